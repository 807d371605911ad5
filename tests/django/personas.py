"""Named people and a small firm for the Django tests: two teams, their supervisors and agents,
a call through each team's queue with its recording. Used through tests/django/conftest.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.contrib.auth.models import Group, User

from pbx.actions import do_apply_facts
from pbx.callflow import commands as c
from pbx.callflow.vocabulary import StepKind
from pbx.extensions import do_create_extension
from pbx.models import Call, Queue
from recordings.actions import do_ingest_recording
from tests.django.test_recordings import make_wav

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
            c.CallStep(key, call_key=key, at=T0, kind=StepKind.RING_QUEUE, detail={"targets": ["101"], "queue": queue}),
            c.CallStep(
                key, call_key=key, at=T0 + timedelta(seconds=5), kind=StepKind.CONNECTED, detail={"target": answered_by}
            ),
        ]
    )
    return Call.objects.get(pk=key)


def make_firm(tmp_path: Path) -> dict:
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
