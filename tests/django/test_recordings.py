"""Ingesting recordings: metadata from the file itself, no half-written state, access rules."""

from __future__ import annotations

import hashlib
import wave
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.db import IntegrityError
from django.test import Client
from django.utils import timezone

from pbx.models import Call
from recordings.actions import RecordingRejected, do_ingest_recording
from recordings.models import Recording

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


def test_ingest_stores_the_file_with_duration_size_and_hash(call: Call, tmp_path: Path):
    path = make_wav(tmp_path / "r.wav", 2.5)
    recording = do_ingest_recording(str(call.pk), "k-caller", "wav", path)
    data = path.read_bytes()
    assert (recording.duration_seconds, recording.size_bytes) == (2.5, len(data))
    assert recording.sha256 == hashlib.sha256(data).hexdigest()
    assert recording.file.read() == data


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


@pytest.mark.django_db(transaction=True)  # foreign keys are checked at commit, so commit for real
def test_when_the_row_cannot_be_written_the_stored_file_is_removed(tmp_path: Path):
    path = make_wav(tmp_path / "r.wav", 1)
    missing_call = "00000000-0000-0000-0000-000000000000"
    with pytest.raises(IntegrityError):
        do_ingest_recording(missing_call, "k-orphan", "wav", path)
    assert not Recording.objects.exists()
    assert not default_storage.exists(f"recordings/{timezone.now():%Y/%m/%d}/k-orphan.wav")


def test_audio_is_served_only_to_signed_in_users_allowed_to_view(call: Call, tmp_path: Path, manager: User):
    recording = do_ingest_recording(str(call.pk), "k-caller", "wav", make_wav(tmp_path / "r.wav", 1))
    url = f"/recordings/{recording.pk}/audio"
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]

    staff_without_permission = User.objects.create_user("jan", password="Jan-Long-Password-1", is_staff=True)
    client = Client()
    client.force_login(staff_without_permission)
    assert client.get(url).status_code == 403

    client.force_login(manager)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav" and response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == recording.file.open("rb").read()


def test_media_files_are_not_served_statically(call: Call, tmp_path: Path, manager: User):
    recording = do_ingest_recording(str(call.pk), "k-caller", "wav", make_wav(tmp_path / "r.wav", 1))
    client = Client()
    client.force_login(manager)
    assert client.get(f"/media/{recording.file.name}").status_code == 404
