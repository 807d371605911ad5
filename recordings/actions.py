"""Storing recordings. A recording enters Centrala only through `do_ingest_recordings`."""

import hashlib
import uuid
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from api.webhooks import do_enqueue, one_read_of_endpoints
from compliance.audit import do_audit
from compliance.models import ProcessingPurpose
from pbx.access import calls_of_own_or_team
from pbx.ari.client import AriError, AriNotFound
from pbx.asterisk import app_name, run_with_ari
from pbx.callflow.events import RECORDING_CONTROL
from pbx.models import Call
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


@dataclass(frozen=True)
class Incoming:
    """A finished recording's file, to be stored for its call."""

    call_id: str
    asterisk_name: str
    fmt: str
    path: Path
    kind: str = "call"
    purpose_id: int | None = None


def do_ingest_recording(
    call_id: str, asterisk_name: str, fmt: str, path: Path, kind: str = "call", purpose_id: int | None = None
) -> Recording:
    """Store a downloaded recording file and link it to its call. Idempotent by name."""
    [result] = do_ingest_recordings([Incoming(call_id, asterisk_name, fmt, path, kind, purpose_id)])
    if isinstance(result, Exception):
        raise result
    return result


def do_ingest_recordings(items: Sequence[Incoming]) -> list[Recording | Exception]:
    """Store several recording files, each linked to its call, in one transaction and in one
    query each for the names stored already, the calls, the purposes' retention, the rows and
    the webhooks' endpoints, however many there are (at 40 calls a second, stored one by one,
    they were most of the database's work per call). Idempotent by name.

    For each item in order: its recording, or why it could not be stored (RecordingRejected
    for a file that is no recording, OSError, LookupError for a call or purpose that is not
    there), which leaves the others stored. Each audio is encrypted with its own key before it
    touches storage. The files are saved first and the rows written after; if the rows cannot
    be written the saved files are removed again, so there is never a file without a row."""
    names = [item.asterisk_name for item in items]
    stored = {r.asterisk_name: r for r in Recording.objects.filter(asterisk_name__in=names).order_by()}
    todo = [item for item in items if item.asterisk_name not in stored]
    calls = {
        str(pk)
        for pk in Call.objects.filter(pk__in={_uuid(item.call_id) for item in todo} - {""}).values_list("pk", flat=True)
    }
    retention = _retention_days({item.purpose_id for item in todo})
    results: list[Recording | Exception] = []
    new: list[Recording] = []
    now = timezone.now()
    try:
        for item in items:
            if item.asterisk_name in stored:  # stored before, or earlier in this batch
                results.append(stored[item.asterisk_name])
                continue
            try:
                recording, ciphertext = _encrypted(item, calls, retention, now)
            except (RecordingRejected, OSError, LookupError) as exc:
                results.append(exc)
                continue
            recording.file.save(f"{item.asterisk_name}.{item.fmt}.enc", ContentFile(ciphertext), save=False)
            new.append(recording)
            stored[item.asterisk_name] = recording
            results.append(recording)
        with transaction.atomic(), one_read_of_endpoints():
            Recording.objects.bulk_create(new)
            for recording in new:
                do_enqueue("recording.ready", _ready_event(recording), at=now)
    except BaseException:
        for recording in new:
            default_storage.delete(recording.file.name)
        raise
    return results


def _ready_event(recording: Recording) -> dict[str, Any]:
    return {
        "recording": str(recording.pk),
        "call": str(recording.call_id),
        "kind": recording.kind,
        "duration_seconds": recording.duration_seconds,
        "audio": f"/api/recordings/{recording.pk}/audio/",
    }


def _encrypted(
    item: Incoming, calls: set[str], retention: dict[int | None, int], now: datetime
) -> tuple[Recording, bytes]:
    """The row for `item` and its file's encrypted content."""
    if _uuid(item.call_id) not in calls:
        raise LookupError(f"call {item.call_id} is not in the history")
    if item.purpose_id not in retention:
        raise LookupError(f"there is no processing purpose {item.purpose_id}")
    duration = wav_duration(item.path) if item.fmt == "wav" else 0.0
    plaintext = item.path.read_bytes()
    recording = Recording(
        purpose_id=item.purpose_id,
        expires_at=now + timedelta(days=retention[item.purpose_id]),
        call_id=item.call_id,
        kind=item.kind,
        asterisk_name=item.asterisk_name,
        format=item.fmt,
        size_bytes=len(plaintext),
        duration_seconds=duration,
        sha256=hashlib.sha256(plaintext).hexdigest(),
        created_at=now,
    )
    ciphertext, recording.wrapped_key = encrypt(plaintext, str(recording.pk))
    return recording, ciphertext


def _uuid(value: str) -> str:
    """`value` as the history writes a call's id; "" if it is none."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return ""


def _retention_days(purposes: set[int | None]) -> dict[int | None, int]:
    """Days each purpose that exists keeps its recordings; None: DEFAULT_RETENTION_DAYS."""
    days: dict[int | None, int] = {None: int(settings.DEFAULT_RETENTION_DAYS)}
    ids = [purpose for purpose in purposes if purpose is not None]
    if ids:
        days.update(ProcessingPurpose.objects.filter(pk__in=ids).values_list("pk", "retention_days"))
    return days


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
