"""Storing recordings. A recording enters Centrala only through `do_ingest_recording`."""

import hashlib
import wave
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from recordings.models import Recording


class RecordingRejected(ValueError):
    """The file Asterisk handed over is not a usable recording (empty, truncated, not WAV)."""


def wav_duration(path: Path) -> float:
    try:
        with wave.open(str(path), "rb") as audio:
            return audio.getnframes() / float(audio.getframerate())
    except (wave.Error, EOFError) as exc:
        raise RecordingRejected(f"{path.name}: not a readable WAV file ({exc})") from exc


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def do_ingest_recording(call_id: str, asterisk_name: str, fmt: str, path: Path, kind: str = "call") -> Recording:
    """Store a downloaded recording file and link it to its call. Idempotent by name.

    The file is saved first and the row written after; if the row cannot be written the
    saved file is removed again, so there is never a file without a row.
    """
    existing = Recording.objects.filter(asterisk_name=asterisk_name).first()
    if existing is not None:
        return existing
    duration = wav_duration(path) if fmt == "wav" else 0.0
    recording = Recording(
        call_id=call_id,
        kind=kind,
        asterisk_name=asterisk_name,
        format=fmt,
        size_bytes=path.stat().st_size,
        duration_seconds=duration,
        sha256=sha256_of(path),
        created_at=timezone.now(),
    )
    with path.open("rb") as handle:
        recording.file.save(f"{asterisk_name}.{fmt}", File(handle), save=False)
    try:
        with transaction.atomic():
            recording.save()
    except Exception:
        default_storage.delete(recording.file.name)
        raise
    return recording
