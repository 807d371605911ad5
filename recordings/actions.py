"""Storing recordings. A recording enters Centrala only through `do_ingest_recording`."""

import hashlib
import wave
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from api.webhooks import do_enqueue
from compliance.audit import do_audit
from compliance.models import ProcessingPurpose
from pbx.access import calls_of_own_or_team
from pbx.ari.client import AriError, AriNotFound
from pbx.asterisk import app_name, run_with_ari
from pbx.callflow.events import RECORDING_CONTROL
from pbx.refusals import AsteriskAway, NotAllowed, NotNow, UnknownRequest
from recordings.crypto import encrypt
from recordings.models import Recording


class RecordingRejected(ValueError):
    """The file Asterisk handed over is not a usable recording (empty, truncated, not WAV)."""


def wav_duration(path: Path) -> float:
    try:
        with wave.open(str(path), "rb") as audio:
            return audio.getnframes() / float(audio.getframerate())
    except (wave.Error, EOFError) as exc:
        raise RecordingRejected(f"{path.name}: not a readable WAV file ({exc})") from exc


def do_ingest_recording(
    call_id: str, asterisk_name: str, fmt: str, path: Path, kind: str = "call", purpose_id: int | None = None
) -> Recording:
    """Store a downloaded recording file and link it to its call. Idempotent by name.

    The audio is encrypted with its own key before it touches storage. The file is saved
    first and the row written after; if the row cannot be written the saved file is removed
    again, so there is never a file without a row.
    """
    existing = Recording.objects.filter(asterisk_name=asterisk_name).first()
    if existing is not None:
        return existing
    duration = wav_duration(path) if fmt == "wav" else 0.0
    plaintext = path.read_bytes()
    now = timezone.now()
    recording = Recording(
        purpose_id=purpose_id,
        expires_at=now + timedelta(days=_retention_days(purpose_id)),
        call_id=call_id,
        kind=kind,
        asterisk_name=asterisk_name,
        format=fmt,
        size_bytes=path.stat().st_size,
        duration_seconds=duration,
        sha256=hashlib.sha256(plaintext).hexdigest(),
        created_at=now,
    )
    stored, recording.wrapped_key = encrypt(plaintext, str(recording.pk))
    recording.file.save(f"{asterisk_name}.{fmt}.enc", ContentFile(stored), save=False)
    try:
        with transaction.atomic():
            recording.save()
            do_enqueue(
                "recording.ready",
                {
                    "recording": str(recording.pk),
                    "call": str(call_id),
                    "kind": kind,
                    "duration_seconds": duration,
                    "audio": f"/api/recordings/{recording.pk}/audio/",
                },
            )
    except Exception:
        default_storage.delete(recording.file.name)
        raise
    return recording


def _retention_days(purpose_id: int | None) -> int:
    if purpose_id is None:
        return int(settings.DEFAULT_RETENTION_DAYS)
    return ProcessingPurpose.objects.values_list("retention_days", flat=True).get(pk=purpose_id)


def do_erase_recording(recording: Recording, actor: str, reason: str) -> None:
    """Erase by key destruction: the file (and every backup of it) can no longer be decrypted.

    The stored file is deleted too; the row stays as metadata of what existed.
    """
    with transaction.atomic():
        Recording.objects.filter(pk=recording.pk).update(wrapped_key=b"")
        do_audit(actor, "recording.erase", str(recording.pk), reason=reason, sha256=recording.sha256)
    recording.wrapped_key = b""
    if recording.file and default_storage.exists(recording.file.name):
        default_storage.delete(recording.file.name)


CONTROL_ACTIONS = ("pause", "resume")


def may_control_recording(user: Any, call: Any) -> bool:
    """The staff on the call and the supervisors of its queue; nobody else, however senior."""
    return bool(user.is_superuser) or calls_of_own_or_team(user).filter(pk=call.pk).exists()


def do_control_recording(user: Any, call: Any, action: str, source: str = "") -> None:
    """Ask the Stasis app to pause or resume `call`'s recording (card payments, PCI DSS).

    It reaches the live call as an ARI user event on the caller's channel, and the call treats
    it exactly as the *1/*2 keys: a call not being recorded, or already in that state, is left
    as it is, and the call's timeline shows who did it. The request is written to the audit log.
    Raises pbx.refusals: UnknownRequest, NotAllowed, NotNow (the call is over), AsteriskAway.
    """
    if action not in CONTROL_ACTIONS:
        raise UnknownRequest(f"Unknown action {action!r}: use one of {', '.join(CONTROL_ACTIONS)}.")
    if not may_control_recording(user, call):
        raise NotAllowed("Only the staff on the call or its queue's supervisors can do this.")
    if call.ended_at is not None:
        raise NotNow("The call has ended.")
    who = user.get_username()
    variables = {"action": action, "by": who}
    try:
        app = app_name(call.stasis_worker)  # the Stasis worker serving the call
        run_with_ari(lambda ari: ari.user_event(app, RECORDING_CONTROL, call.channel_id, variables))
    except AriNotFound as exc:
        raise NotNow("The call has ended.") from exc
    except AriError as exc:
        raise AsteriskAway(f"Asterisk cannot be reached: {exc}") from exc
    do_audit(who, f"recording.{action}", str(call.pk), source=source)
