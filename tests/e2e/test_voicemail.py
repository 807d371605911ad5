"""Voicemail on the real Asterisk: a caller leaves a message in the office's box; the box's
owner gets the e-mail, the webhook is queued, the message lamp on the owner's phone lights, and
the owner hears it in the admin (then it is heard, and the lamp goes out) while a colleague who
does not own the box is refused."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.core import mail
from django.test import Client

from api.models import WebhookDelivery, WebhookEndpoint
from company_numbers.models import CompanyNumber
from compliance.roles import sync_roles
from pbx.models import Destination, Extension, Scenario
from pbx.sandbox import sipp_call
from tests.conftest import signed_in
from voicemail.models import Mailbox, Message

from .conftest import running_stasis
from .harness import lamp_phone
from .test_first_call import CUSTOMER, OFFICE, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def person(name: str, number: str) -> User:
    sync_roles(Group, Permission)  # a transactional test starts from an empty database
    user = User.objects.create_user(name, email=f"{name}@biuro.example", password=f"{name}-Long-Password-1")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name="Agent"))
    Extension.objects.filter(number=number).update(user=user)
    return user


def test_a_message_reaches_the_boxs_owner_by_e_mail_and_lamp_and_only_the_owner_hears_it(asterisk, staff):
    # Piotr (102) owns the box (and is on duty, so the callback is his too); Anna (101) neither.
    anna, piotr = person("anna", "101"), person("piotr", "102")
    box = Mailbox.objects.create(name="Biuro")
    box.owners.add(Extension.objects.get(number="102"))
    WebhookEndpoint.objects.create(name="CRM", url="https://crm.example/hooks", events=["voicemail.new"])
    take = Destination.objects.create(name="Poczta", kind="voicemail", seconds=3, mailbox=box)
    scenario = Scenario.objects.create(name="Biuro", when_open=take)
    CompanyNumber.objects.create(e164=OFFICE, label="Biuro", scenario=scenario, is_main=True)
    with lamp_phone("102", staff["102"][1]) as piotrs_phone, running_stasis():
        wait_for(lambda: "Voice-Message: 0/0" in piotrs_phone(), timeout=20)  # lamp off at the start
        result = sipp_call("caller_speaks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5093)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        message = wait_for(lambda: Message.objects.select_related("recording").first(), timeout=30)
        wait_for(lambda: mail.outbox, timeout=15)
        # The lamp lights within a configuration refresh (10 s)...
        wait_for(lambda: "Messages-Waiting: yes" in piotrs_phone() and "Voice-Message: 1/0" in piotrs_phone(), 25)
        [email] = mail.outbox
        assert email.to == ["piotr@biuro.example"] and CUSTOMER in email.subject
        assert f"/admin/voicemail/message/{message.pk}/change/" in email.body
        assert WebhookDelivery.objects.get().event == "voicemail.new"
        assert message.recording.duration_seconds >= 3.0 and message.heard_at is None
        assert signed_in(Client(), anna).get(f"/recordings/{message.recording_id}/audio").status_code == 403
        heard = signed_in(Client(), piotr).get(f"/recordings/{message.recording_id}/audio")
        assert heard.status_code == 200 and heard.content[:4] == b"RIFF"
        # ... and goes out once the message is heard.
        wait_for(lambda: "Voice-Message: 0/1" in piotrs_phone(), timeout=25)
    message.refresh_from_db()
    assert message.heard_by == "piotr"
