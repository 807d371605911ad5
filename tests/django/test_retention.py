"""Retention runs and legal hold: dry run first, holds respected, tombstones kept, idempotent."""

from __future__ import annotations

import os
import wave
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from compliance.models import AuditEntry, ProcessingPurpose, RecordingTombstone
from compliance.retention import HoldError, do_apply_retention, do_release_legal_hold, do_set_legal_hold
from pbx.models import Call, Prompt
from recordings.actions import do_ingest_recording
from recordings.models import Recording
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def purpose() -> ProcessingPurpose:
    prompt = Prompt.objects.create(name="Nagrywamy", sound="conf-now-recording")
    return ProcessingPurpose.objects.create(
        name="Reklamacje",
        legal_basis="6.1.f",
        retention_days=90,
        announcement=prompt,
        notice_text="Rozmowy są nagrywane w celu rozpatrzenia reklamacji.",
    )


def recording(tmp_path: Path, name: str, purpose: ProcessingPurpose | None = None, age_days: int = 0) -> Recording:
    path = tmp_path / f"{name}.wav"
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\x01\x02" * 8000)
    call = Call.objects.create(channel_id=name, direction="inbound", started_at=timezone.now())
    rec = do_ingest_recording(str(call.pk), name, "wav", path, purpose_id=purpose.pk if purpose else None)
    assert rec.expires_at is not None
    Recording.objects.filter(pk=rec.pk).update(expires_at=rec.expires_at - timedelta(days=age_days))
    return Recording.objects.get(pk=rec.pk)


@pytest.fixture
def two_people() -> tuple[User, User]:
    """Two people with the DPO role: a hold is set by one and released by the other."""
    people = [User.objects.create_user(name, password=f"{name.title()}-Long-Password-1") for name in ("iod", "szef")]
    for person in people:
        person.groups.add(Group.objects.get(name="Data protection officer"))
    iod, szef = (User.objects.get(pk=p.pk) for p in people)
    return iod, szef


def test_expiry_follows_the_purpose_or_the_default(tmp_path, purpose, settings):
    settings.DEFAULT_RETENTION_DAYS = 30
    with_purpose, voicemail = recording(tmp_path, "a", purpose), recording(tmp_path, "b")
    assert with_purpose.expires_at and voicemail.expires_at
    assert round((with_purpose.expires_at - with_purpose.created_at).total_seconds() / 86400) == 90
    assert round((voicemail.expires_at - voicemail.created_at).total_seconds() / 86400) == 30


def test_the_command_is_a_dry_run_unless_told(tmp_path, purpose, capsys):
    recording(tmp_path, "old", purpose, age_days=91)
    call_command("apply_retention")
    assert (
        "DRY RUN (nothing deleted; use --apply): 1 expired, 0 deleted, 0 kept on legal hold" in capsys.readouterr().out
    )
    assert Recording.objects.count() == 1 and not RecordingTombstone.objects.exists()


def test_apply_deletes_expired_keeps_held_and_fresh_and_leaves_tombstones(tmp_path, purpose, two_people, capsys):
    old = recording(tmp_path, "old", purpose, age_days=91)
    held = recording(tmp_path, "held", purpose, age_days=91)
    fresh = recording(tmp_path, "fresh", purpose, age_days=10)
    do_set_legal_hold(held, two_people[0], "roszczenie klienta, sygn. I C 123/26")
    call_command("apply_retention", "--apply")
    out = capsys.readouterr().out
    assert "1/1 deleted" in out and "2 expired, 1 deleted, 1 kept on legal hold" in out
    assert set(Recording.objects.values_list("asterisk_name", flat=True)) == {"held", "fresh"}
    assert not default_storage.exists(old.file.name)
    tomb = RecordingTombstone.objects.get()
    assert (tomb.recording_id, tomb.sha256, tomb.purpose, tomb.retention_days, tomb.reason) == (
        old.pk,
        old.sha256,
        "Reklamacje",
        90,
        "retention period over",
    )
    assert AuditEntry.objects.filter(action="retention.run").get().detail == {
        "deleted": 1,
        "held": 1,
        "orphan_files": 0,
    }
    assert fresh.pk in set(Recording.objects.values_list("pk", flat=True))


def test_a_second_run_does_nothing(tmp_path, purpose):
    recording(tmp_path, "old", purpose, age_days=91)
    assert do_apply_retention(apply=True).deleted == 1
    again = do_apply_retention(apply=True)
    assert (again.expired, again.deleted, again.orphan_files) == (0, 0, 0)
    assert RecordingTombstone.objects.count() == 1


def test_a_file_left_by_an_interrupted_run_is_removed_next_time(tmp_path, purpose):
    rec = recording(tmp_path, "old", purpose, age_days=91)
    Recording.objects.filter(pk=rec.pk).delete()  # as if killed right after the row went
    in_flight = recording(tmp_path, "new", purpose)  # and one being stored right now
    Recording.objects.filter(pk=in_flight.pk).delete()
    path = Path(default_storage.path(rec.file.name))
    two_hours_ago = (timezone.now() - timedelta(hours=2)).timestamp()
    os.utime(path, (two_hours_ago, two_hours_ago))
    assert do_apply_retention(apply=True).orphan_files == 1
    assert not default_storage.exists(rec.file.name)
    assert default_storage.exists(in_flight.file.name)  # too young to be an orphan


def test_releasing_a_hold_needs_a_second_person(tmp_path, purpose, two_people):
    iod, szef = two_people
    rec = recording(tmp_path, "held", purpose)
    with pytest.raises(HoldError, match="needs a reason"):
        do_set_legal_hold(rec, iod, "  ")
    do_set_legal_hold(rec, iod, "spór sądowy")
    with pytest.raises(HoldError, match="someone other than"):
        do_release_legal_hold(rec, iod)
    assert Recording.objects.get(pk=rec.pk).on_hold
    do_release_legal_hold(rec, szef)
    assert not Recording.objects.get(pk=rec.pk).on_hold
    assert list(AuditEntry.objects.order_by("seq").values_list("actor", "action")) == [
        ("iod", "recording.hold"),
        ("szef", "recording.release"),
    ]


def test_the_recordings_admin_places_and_releases_holds_with_two_people(tmp_path, purpose, two_people, manager):
    from django.test import Client

    rec = recording(tmp_path, "r", purpose)
    iod, szef = two_people
    for user in (iod, szef):
        user.is_staff = True
        user.save()
        user.groups.add(Group.objects.get(name="Data protection officer"))
    first, second = Client(HTTP_ACCEPT_LANGUAGE="en"), Client(HTTP_ACCEPT_LANGUAGE="en")
    signed_in(first, iod)
    signed_in(second, szef)
    url = "/admin/recordings/recording/"
    page = first.post(url, {"action": "place_hold", "_selected_action": [rec.pk], "reason": ""}, follow=True)
    assert "needs a reason" in page.content.decode() and not Recording.objects.get().on_hold
    first.post(url, {"action": "place_hold", "_selected_action": [rec.pk], "reason": "spór"}, follow=True)
    assert Recording.objects.get().hold_reason == "spór"
    page = first.post(url, {"action": "release_hold", "_selected_action": [rec.pk], "reason": ""}, follow=True)
    assert "someone other than" in page.content.decode() and Recording.objects.get().on_hold
    second.post(url, {"action": "release_hold", "_selected_action": [rec.pk], "reason": ""}, follow=True)
    assert not Recording.objects.get().on_hold
