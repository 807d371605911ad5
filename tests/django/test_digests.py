"""Missed-call digests: once a day each e-mails its people the calls nobody answered and where
no message was left (a queue's, a person's, or all), in office time with a link each, and never
the same call twice."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django.test import Client

from pbx.models import Call, CallbackTask, Extension, Queue
from tests.conftest import signed_in
from voicemail.digests import do_send_digests
from voicemail.models import MissedCallDigest

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


def staff(name: str, number: str) -> Extension:
    user = User.objects.create_user(name, email=f"{name}@biuro.example", password=f"{name}-Long-Password-1")
    return Extension.objects.create(number=number, display_name=name.title(), user=user)


def call(caller: str, minutes_ago: int, outcome: str = "missed", queue: Queue | None = None, rang: str = "") -> Call:
    started = NOW - timedelta(minutes=minutes_ago)
    made = Call.objects.create(
        channel_id=f"{caller}-{minutes_ago}",
        direction="inbound",
        caller=caller,
        called="+48221234567",
        started_at=started,
        ended_at=started + timedelta(seconds=40),
        outcome=outcome,
        queue=queue,
    )
    if rang:
        made.events.create(at=started, kind="ring_extension", detail={"targets": [rang], "strategy": "ring_all"})
    return made


class Office(NamedTuple):
    anna: Extension
    piotr: Extension
    sales: Queue


@pytest.fixture
def office(settings) -> Office:
    settings.CENTRALA_URL = "https://centrala.biuro.example"
    return Office(staff("anna", "101"), staff("piotr", "102"), Queue.objects.create(name="Sprzedaż"))


def digest(name: str, *recipients: Extension, **which: Any) -> MissedCallDigest:
    made = MissedCallDigest.objects.create(name=name, **which)
    made.recipients.add(*recipients)
    return made


def test_a_queues_digest_lists_its_missed_calls_in_office_time_each_with_a_link_once(office):
    sales, anna = office.sales, office.anna
    digest("Sprzedaż", anna, queue=sales)
    missed = call("+48601000001", 120, queue=sales)
    CallbackTask.objects.create(
        call=missed, number=missed.caller, reason="abandoned", requested_at=NOW, assigned_to=anna
    )
    call("+48601000002", 60, outcome="answered", queue=sales)
    call("+48601000003", 50, outcome="voicemail", queue=sales)
    call("+48601000004", 40)  # not through the queue
    call("+48601000005", 60 * 30, queue=sales)  # before the first day it covers
    assert do_send_digests(NOW) == 1
    [email] = mail.outbox
    assert email.to == ["anna@biuro.example"] and email.subject == "1 nieodebrane połączenie: Sprzedaż"
    assert "01.12.2026 16:00  +48601000001  (oddzwonić: Anna)" in email.body  # 15:00 UTC is 16:00 in Warsaw
    assert f"https://centrala.biuro.example/admin/pbx/call/{missed.pk}/change/" in email.body
    for other in ("+48601000002", "+48601000003", "+48601000004", "+48601000005"):
        assert other not in email.body
    assert do_send_digests(NOW + timedelta(hours=1)) == 0  # nothing new: nothing sent, nothing twice


def test_a_persons_digest_lists_the_missed_calls_that_rang_them_and_one_for_all_every_one(office):
    anna, piotr = office.anna, office.piotr
    digest("Anna", anna, extension=anna)
    digest("Wszystkie", piotr)
    call("+48601000001", 30, rang="101")
    call("+48601000002", 20, rang="102")
    assert do_send_digests(NOW) == 2
    by_name = {email.subject: email.body for email in mail.outbox}
    assert "+48601000001" in by_name["1 nieodebrane połączenie: Anna"]
    assert "+48601000002" not in by_name["1 nieodebrane połączenie: Anna"]
    both = by_name["2 nieodebrane połączenia: Wszystkie"]
    assert "+48601000001" in both and "+48601000002" in both


def test_a_digest_with_nobody_to_tell_or_switched_off_sends_nothing_and_does_not_report_later(office):
    nobody = digest("Nikt")
    off = digest("Wyłączone", office.anna, active=False)
    call("+48601000001", 30)
    assert do_send_digests(NOW) == 0 and not mail.outbox
    nobody.refresh_from_db()
    off.refresh_from_db()
    assert nobody.last_sent_at == NOW and off.last_sent_at is None


def test_the_command_runs_it_and_the_admin_refuses_a_queue_and_a_person_at_once(office, manager):
    call_command("send_digests", stdout=io.StringIO())
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), manager)
    page = client.post(
        "/admin/voicemail/missedcalldigest/add/",
        {
            "name": "Oba",
            "queue": office.sales.pk,
            "extension": office.anna.pk,
            "recipients": [office.anna.pk],
            "active": "on",
        },
    )
    assert page.status_code == 200 and "Choose a queue or a person, not both." in page.content.decode()
    assert not MissedCallDigest.objects.exists()
