"""What the office manager does in the admin reaches the real Asterisk: an extension deleted in
bulk can no longer log in nor be rung; after a password rotation the old password is refused
and the new one works; a deactivated extension is refused until it is reactivated."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from pbx.models import Call, Extension
from pbx.sandbox import sipp_call
from tests.conftest import signed_in

from .conftest import Asterisk, running_stasis
from .harness import allow_plain_sip, phone, sip_register
from .test_first_call import CUSTOMER, OFFICE
from .test_scenarios import office, queue, registered, steps, the_call

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin_client(asterisk: Asterisk) -> Client:
    manager = User.objects.create_superuser("ola", "ola@firma.test", "Ola-Long-Password-1")
    return signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), manager)


def selected(client: Client, action: str, *numbers: str, **extra: str):  # type: ignore[no-untyped-def]
    ids = [str(Extension.objects.get(number=n).pk) for n in numbers]
    return client.post("/admin/pbx/extension/", {"action": action, "_selected_action": ids, **extra}, follow=True)


def test_a_bulk_delete_refuses_the_old_login_and_the_extension_is_no_longer_rung(staff, admin_client):
    allow_plain_sip("101")
    assert sip_register("101", staff["101"][1])
    office(queue("ring_all"))
    page = selected(admin_client, "delete_selected", "101", post="yes")
    assert page.status_code == 200
    assert not [m for m in page.context["messages"] if "Asterisk has not picked it up" in str(m)]
    assert not sip_register("101", staff["101"][1])
    with phone("102", staff["102"][1], answers=True, registered=registered), running_stasis():
        result = sipp_call("caller_talks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5111)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        call = the_call()
    assert ("ring_queue", {"targets": ["102"], "strategy": "ring_all", "queue": "Sprzedaż"}) in steps(call)
    assert call.outcome == Call.Outcome.ANSWERED


def test_after_a_rotation_the_old_password_is_refused_and_the_new_one_works(staff, admin_client):
    allow_plain_sip("101")
    old = staff["101"][1]
    assert sip_register("101", old)
    page = selected(admin_client, "new_passwords", "101")
    shown = [str(m) for m in page.context["messages"]]
    found = [m[1] for text in shown if (m := re.search(r"shown only now: (\S+)$", text))]
    new = found[0]
    assert not sip_register("101", old)
    assert sip_register("101", new)


def test_a_deactivated_extension_is_refused_until_it_is_reactivated(staff, admin_client):
    allow_plain_sip("102")
    password = staff["102"][1]
    selected(admin_client, "deactivate", "102")
    assert not sip_register("102", password)
    selected(admin_client, "reactivate", "102")
    assert sip_register("102", password)
