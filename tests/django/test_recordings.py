"""Ingesting recordings: metadata from the file itself, no half-written state, access rules."""

from __future__ import annotations

import hashlib
import wave
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.db import IntegrityError
from django.test import Client
from django.utils import timezone

from api.models import WebhookDelivery, WebhookEndpoint
from compliance.models import AuditEntry, ProcessingPurpose
from pbx.models import Call, Prompt
from recordings.actions import (
    Incoming,
    RecordingRejected,
    do_erase_recording,
    do_ingest_recording,
    do_ingest_recordings,
)
from recordings.crypto import RecordingUnreadable
from recordings.models import Recording
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def make_wav(path: Path, seconds: float) -> Path:
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\x10\x20" * int(8000 * seconds))
    return path


@pytest.fixture
def call() -> Call:
    return Call.objects.create(channel_id="1.1", direction="inbound", started_at=timezone.now())


def stored_bytes(recording: Recording) -> bytes:
    """The file as it is stored (encrypted), read and closed."""
    with default_storage.open(recording.file.name, "rb") as handle:
        return handle.read()


def test_ingest_stores_the_file_encrypted_with_duration_size_and_hash(call: Call, tmp_path: Path):
    path = make_wav(tmp_path / "r.wav", 2.5)
    recording = do_ingest_recording(str(call.pk), "k-caller", "wav", path)
    data = path.read_bytes()
    assert (recording.duration_seconds, recording.size_bytes) == (2.5, len(data))
    assert recording.sha256 == hashlib.sha256(data).hexdigest()
    stored = stored_bytes(recording)
    assert b"RIFF" not in stored and b"WAVE" not in stored and len(stored) == len(data) + 12 + 16
    assert Recording.objects.get().audio() == data


def test_each_recording_has_its_own_key_and_files_cannot_be_swapped(call: Call, tmp_path: Path):
    path = make_wav(tmp_path / "r.wav", 1)
    first = do_ingest_recording(str(call.pk), "k-one", "wav", path)
    second = do_ingest_recording(str(call.pk), "k-two", "wav", path)
    assert bytes(first.wrapped_key) != bytes(second.wrapped_key)
    assert stored_bytes(first) != stored_bytes(second)
    from recordings.crypto import decrypt

    with pytest.raises(RecordingUnreadable, match="do not match"):
        decrypt(stored_bytes(second), bytes(first.wrapped_key), str(first.pk))


def test_erasure_by_key_destruction_makes_the_recording_unreadable_and_is_audited(call: Call, tmp_path: Path):
    recording = do_ingest_recording(str(call.pk), "k-caller", "wav", make_wav(tmp_path / "r.wav", 1))
    stored_copy = stored_bytes(recording)  # e.g. a backup taken earlier
    do_erase_recording(recording, actor="iod", reason="art. 17 request")
    erased = Recording.objects.get()
    with pytest.raises(RecordingUnreadable, match="destroyed"):
        erased.audio()
    from recordings.crypto import decrypt

    with pytest.raises(RecordingUnreadable):
        decrypt(stored_copy, bytes(erased.wrapped_key), str(erased.pk))
    assert not default_storage.exists(recording.file.name)
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.target, entry.detail["reason"]) == (
        "iod",
        "recording.erase",
        str(recording.pk),
        "art. 17 request",
    )


def test_ingest_is_idempotent_by_asterisk_name(call: Call, tmp_path: Path):
    path = make_wav(tmp_path / "r.wav", 1)
    first = do_ingest_recording(str(call.pk), "k-caller", "wav", path)
    second = do_ingest_recording(str(call.pk), "k-caller", "wav", path)
    assert first.pk == second.pk and Recording.objects.count() == 1


def test_a_file_that_is_not_wav_is_rejected_and_nothing_is_stored(call: Call, tmp_path: Path):
    path = tmp_path / "r.wav"
    path.write_bytes(b"<html>error</html>")
    with pytest.raises(RecordingRejected, match="not a readable WAV"):
        do_ingest_recording(str(call.pk), "k-caller", "wav", path)
    assert not Recording.objects.exists()


def test_a_recording_of_a_call_not_in_the_history_is_refused_and_nothing_is_stored(tmp_path: Path):
    path = make_wav(tmp_path / "r.wav", 1)
    for missing_call in ("00000000-0000-0000-0000-000000000000", "not-a-call-id"):
        with pytest.raises(LookupError, match="not in the history"):
            do_ingest_recording(missing_call, "k-orphan", "wav", path)
    assert not Recording.objects.exists()
    assert not default_storage.exists(f"recordings/{timezone.now():%Y/%m/%d}/k-orphan.wav.enc")


@pytest.mark.django_db(transaction=True)  # foreign keys are checked at commit, so commit for real
def test_when_the_rows_cannot_be_written_no_stored_file_is_left(call: Call, tmp_path: Path, monkeypatch):
    items = [Incoming(str(call.pk), f"k-{n}", "wav", make_wav(tmp_path / f"{n}.wav", 1)) for n in range(3)]

    def gone(*args: object, **kwargs: object) -> None:  # the row's insert fails, after the files were saved
        raise IntegrityError("insert or update on table violates foreign key constraint")

    monkeypatch.setattr(Recording.objects, "bulk_create", gone)
    with pytest.raises(IntegrityError):
        do_ingest_recordings(items)
    assert not Recording.objects.exists()
    for n in range(3):
        assert not default_storage.exists(f"recordings/{timezone.now():%Y/%m/%d}/k-{n}.wav.enc")


def test_several_recordings_are_stored_in_one_go_each_with_its_own_outcome(
    call: Call, tmp_path: Path, django_assert_num_queries
):
    purpose = ProcessingPurpose.objects.create(
        name="Jakość obsługi",
        legal_basis=ProcessingPurpose.LegalBasis.LEGITIMATE_INTEREST,
        retention_days=30,
        announcement=Prompt.objects.create(name="Nagrywamy", sound="hello-world"),
        notice_text="Nagrywamy rozmowy, by poprawiać obsługę.",
    )
    before = do_ingest_recording(str(call.pk), "k-before", "wav", make_wav(tmp_path / "before.wav", 1))
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"<html>error</html>")
    items = [
        Incoming(str(call.pk), "k-one", "wav", make_wav(tmp_path / "one.wav", 1), purpose_id=purpose.pk),
        Incoming(str(call.pk), "k-before", "wav", make_wav(tmp_path / "again.wav", 2)),
        Incoming(str(call.pk), "k-broken", "wav", broken),
        Incoming("00000000-0000-0000-0000-000000000000", "k-no-call", "wav", make_wav(tmp_path / "n.wav", 1)),
        Incoming(str(call.pk), "k-no-purpose", "wav", make_wav(tmp_path / "p.wav", 1), purpose_id=purpose.pk + 99),
        Incoming(str(call.pk), "k-missing", "wav", tmp_path / "missing.wav"),
        Incoming(str(call.pk), "k-two", "wav", make_wav(tmp_path / "two.wav", 1.5)),
        Incoming(str(call.pk), "k-one", "wav", make_wav(tmp_path / "one-again.wav", 1)),
    ]
    # stored already, calls, purposes; the savepoint around them; the rows; the webhooks' endpoints
    with django_assert_num_queries(7):
        one, again, rejected, no_call, no_purpose, missing, two, one_again = do_ingest_recordings(items)
    assert isinstance(rejected, RecordingRejected)
    assert isinstance(no_call, LookupError) and isinstance(no_purpose, LookupError)
    assert isinstance(missing, FileNotFoundError)
    assert again == before and one_again is one
    assert isinstance(one, Recording) and isinstance(two, Recording)
    assert sorted(Recording.objects.values_list("asterisk_name", flat=True)) == ["k-before", "k-one", "k-two"]
    assert Recording.objects.get(pk=two.pk).audio() == (tmp_path / "two.wav").read_bytes()
    kept = {r.asterisk_name: r.expires_at - r.created_at for r in Recording.objects.all() if r.expires_at}
    assert kept["k-one"].days == 30  # its purpose's
    assert kept["k-two"].days == settings.DEFAULT_RETENTION_DAYS


def test_a_batch_tells_webhooks_of_each_recording(call: Call, tmp_path: Path):
    endpoint = WebhookEndpoint.objects.create(
        name="CRM", url="https://crm.firma.test/hooks", events=["recording.ready"]
    )
    items = [Incoming(str(call.pk), f"k-{n}", "wav", make_wav(tmp_path / f"{n}.wav", 1)) for n in range(2)]
    recordings = do_ingest_recordings(items)
    payloads = sorted(d.payload["data"]["recording"] for d in WebhookDelivery.objects.filter(endpoint=endpoint))
    assert payloads == sorted(str(r.pk) for r in recordings if isinstance(r, Recording))


def test_audio_is_served_only_to_signed_in_users_allowed_to_view(call: Call, tmp_path: Path, manager: User):
    recording = do_ingest_recording(str(call.pk), "k-caller", "wav", make_wav(tmp_path / "r.wav", 1))
    url = f"/recordings/{recording.pk}/audio"
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]

    staff_without_permission = User.objects.create_user("jan", password="Jan-Long-Password-1", is_staff=True)
    client = Client()
    signed_in(client, staff_without_permission)
    assert client.get(url).status_code == 403

    refused = [(e.actor, e.action, e.target) for e in AuditEntry.objects.all()]
    assert refused == [("jan", "recording.refused", str(recording.pk))]  # logged, and nothing played

    signed_in(client, manager)
    response = client.get(url, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav" and response["Cache-Control"] == "private, no-store"
    assert response.content == (tmp_path / "r.wav").read_bytes()
    download = client.get(url, {"download": "1"})
    assert download["Content-Disposition"] == 'attachment; filename="k-caller.wav"'
    log = [(e.actor, e.action, e.target, e.source) for e in AuditEntry.objects.order_by("seq")][1:]
    assert log == [
        ("ola", "recording.play", str(recording.pk), "10.1.2.3"),
        ("ola", "recording.download", str(recording.pk), "127.0.0.1"),
    ]


def test_an_erased_recording_answers_gone(call: Call, tmp_path: Path, manager: User):
    recording = do_ingest_recording(str(call.pk), "k-caller", "wav", make_wav(tmp_path / "r.wav", 1))
    do_erase_recording(recording, actor="iod", reason="art. 17")
    client = Client()
    signed_in(client, manager)
    assert client.get(f"/recordings/{recording.pk}/audio").status_code == 410


def test_media_files_are_not_served_statically(call: Call, tmp_path: Path, manager: User):
    recording = do_ingest_recording(str(call.pk), "k-caller", "wav", make_wav(tmp_path / "r.wav", 1))
    client = Client()
    signed_in(client, manager)
    assert client.get(f"/media/{recording.file.name}").status_code == 404
