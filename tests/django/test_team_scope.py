"""Who sees which calls and recordings: supervisors their own queues, agents their own calls,
the office manager every call but no recording, the DPO everything; refusals are logged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from compliance.models import AuditEntry, ProcessingPurpose
from pbx.access import calls_visible_to
from pbx.actions import do_apply_facts
from pbx.callflow import commands as c
from pbx.extensions import do_create_extension
from pbx.models import Call, Prompt, Queue
from recordings.access import recordings_visible_to
from recordings.actions import do_ingest_recording
from recordings.models import Recording
from tests.conftest import signed_in
from tests.django.test_recordings import make_wav

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def person(name: str, role: str) -> User:
    user = User.objects.create_user(name, password="Long-Password-123", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)


def call_through(queue: str, answered_by: str, key: str) -> Call:
    """What the Stasis app writes for a queue call answered by `answered_by`."""
    do_apply_facts(
        [
            c.CallStarted(
                key,
                call_key=key,
                at=T0,
                direction="inbound",
                caller="+48601234567",
                called="+48221234567",
                sip_call_id="",
            ),
            c.CallStep(key, call_key=key, at=T0, kind="ring_queue", detail={"targets": ["101"], "queue": queue}),
            c.CallStep(
                key, call_key=key, at=T0 + timedelta(seconds=5), kind="connected", detail={"target": answered_by}
            ),
        ]
    )
    return Call.objects.get(pk=key)


@pytest.fixture
def firm(tmp_path: Path) -> dict:
    """Two teams: sales (Ewa supervises, Anna 101 answers) and service (Jan supervises, Piotr 102)."""
    ewa, jan = person("ewa", "Team supervisor"), person("jan", "Team supervisor")
    anna, piotr = person("anna", "Agent"), person("piotr", "Agent")
    for number, user in (("101", anna), ("102", piotr)):
        extension, _ = do_create_extension(number, user.username)
        extension.user = user
        extension.save()
    Queue.objects.create(name="Sprzedaż").supervisors.add(ewa)
    Queue.objects.create(name="Serwis").supervisors.add(jan)
    sales = call_through("Sprzedaż", "101", "6f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e01")
    service = call_through("Serwis", "102", "6f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e02")
    recordings = {
        name: do_ingest_recording(str(call.pk), f"{name}-call", "wav", make_wav(tmp_path / f"{name}.wav", 1))
        for name, call in (("sales", sales), ("service", service))
    }
    return {"ewa": ewa, "jan": jan, "anna": anna, "piotr": piotr, "calls": (sales, service), "rec": recordings}


def test_the_history_knows_each_calls_queue_and_who_talked(firm):
    sales, service = firm["calls"]
    assert (sales.queue.name, [x.number for x in sales.staff.all()]) == ("Sprzedaż", ["101"])
    assert (service.queue.name, [x.number for x in service.staff.all()]) == ("Serwis", ["102"])


def test_supervisors_see_their_own_queues_calls_and_recordings_only(firm):
    sales, _ = firm["calls"]
    assert list(calls_visible_to(firm["ewa"])) == [sales]
    assert list(recordings_visible_to(firm["ewa"])) == [firm["rec"]["sales"]]
    assert list(recordings_visible_to(firm["jan"])) == [firm["rec"]["service"]]


def test_a_supervisor_cannot_open_another_teams_recording_and_the_attempt_is_logged(firm):
    client = Client()
    signed_in(client, firm["ewa"])
    theirs, ours = firm["rec"]["service"], firm["rec"]["sales"]
    response = client.get(f"/recordings/{theirs.pk}/audio", REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 403 and b"RIFF" not in response.content
    refused = AuditEntry.objects.get(action="recording.refused")
    assert (refused.actor, refused.target, refused.source) == ("ewa", str(theirs.pk), "10.0.0.7")
    assert not AuditEntry.objects.filter(action="recording.play").exists()
    assert client.get(f"/recordings/{ours.pk}/audio").status_code == 200
    assert AuditEntry.objects.filter(action="recording.play", target=str(ours.pk)).count() == 1


def test_the_admin_lists_only_the_supervisors_recordings_and_logs_a_peek_at_others(firm):
    client = Client()
    signed_in(client, firm["ewa"])
    listing = client.get("/admin/recordings/recording/")
    assert listing.status_code == 200
    assert str(firm["rec"]["sales"].pk) in listing.content.decode()
    assert str(firm["rec"]["service"].pk) not in listing.content.decode()
    peek = client.get(f"/admin/recordings/recording/{firm['rec']['service'].pk}/change/")
    assert (peek.status_code, peek["Location"]) == (302, "/admin/")  # "does not exist"
    assert AuditEntry.objects.filter(action="recording.refused", target=str(firm["rec"]["service"].pk)).exists()


def test_recordings_can_be_searched_by_queue_and_extension(firm):
    client = Client()
    signed_in(client, User.objects.create_superuser("root", password="Long-Password-123"))
    sales_queue = Queue.objects.get(name="Sprzedaż")
    by_queue = client.get(f"/admin/recordings/recording/?call__queue__id__exact={sales_queue.pk}").content.decode()
    assert str(firm["rec"]["sales"].pk) in by_queue and str(firm["rec"]["service"].pk) not in by_queue
    by_extension = client.get("/admin/recordings/recording/?q=102").content.decode()
    assert str(firm["rec"]["service"].pk) in by_extension and str(firm["rec"]["sales"].pk) not in by_extension


def test_agents_see_their_own_calls_and_no_recordings(firm):
    _, service = firm["calls"]
    assert list(calls_visible_to(firm["piotr"])) == [service]
    assert not recordings_visible_to(firm["piotr"]).exists()


def test_the_office_manager_sees_every_call_but_no_recording_and_the_dpo_everything(firm):
    ola, iod = person("ola", "Office manager"), person("iod", "Data protection officer")
    assert calls_visible_to(ola).count() == 2 and not recordings_visible_to(ola).exists()
    assert calls_visible_to(iod).count() == 2 and recordings_visible_to(iod).count() == 2


def test_a_purpose_naming_who_may_listen_narrows_even_the_dpo(firm):
    iod = person("iod", "Data protection officer")
    purpose = ProcessingPurpose.objects.create(
        name="Reklamacje",
        legal_basis="6.1.f",
        retention_days=30,
        notice_text="x",
        announcement=Prompt.objects.create(name="Nagrywamy", sound="conf-now-recording"),
    )
    purpose.listeners.add(Group.objects.get(name="Team supervisor"))
    Recording.objects.filter(pk=firm["rec"]["sales"].pk).update(purpose=purpose, created_at=timezone.now())
    assert list(recordings_visible_to(iod)) == [firm["rec"]["service"]]
    assert list(recordings_visible_to(firm["ewa"])) == [firm["rec"]["sales"]]
