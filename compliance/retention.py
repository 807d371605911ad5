"""Retention and legal hold (GDPR art. 5(1)(e), 17(3)(e)). Every change is audited."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from compliance.audit import do_audit
from compliance.models import RecordingTombstone
from recordings.models import Recording


class HoldError(Exception):
    """A legal hold change that is not allowed (no reason, same person releasing)."""


def _may_hold(user: User) -> None:
    if not user.has_perm("recordings.legal_hold"):
        raise HoldError("Only the data protection officer's role may place or release a legal hold.")


def do_set_legal_hold(recording: Recording, user: User, reason: str) -> None:
    """Keep a recording past its retention (a claim, an inspection). DPO role only."""
    _may_hold(user)
    if not reason.strip():
        raise HoldError("A legal hold needs a reason (e.g. the claim it preserves evidence for).")
    with transaction.atomic():
        Recording.objects.filter(pk=recording.pk).update(
            hold_reason=reason.strip(), hold_set_by=user, hold_set_at=timezone.now()
        )
        do_audit(user.get_username(), "recording.hold", str(recording.pk), reason=reason.strip())


def do_release_legal_hold(recording: Recording, user: User) -> None:
    """Releasing needs a second person with the DPO role: not the one who set the hold."""
    _may_hold(user)
    recording.refresh_from_db()
    if not recording.on_hold:
        raise HoldError("This recording is not on legal hold.")
    if recording.hold_set_by_id == user.pk:
        raise HoldError("The hold must be released by someone other than the person who set it.")
    with transaction.atomic():
        Recording.objects.filter(pk=recording.pk).update(hold_reason="", hold_set_by=None, hold_set_at=None)
        do_audit(user.get_username(), "recording.release", str(recording.pk), was=recording.hold_reason)


@dataclass(frozen=True)
class RetentionResult:
    expired: int
    deleted: int
    held: int
    orphan_files: int


def expired_recordings() -> Iterator[Recording]:
    return Recording.objects.filter(expires_at__lte=timezone.now()).select_related("purpose").iterator()


def do_apply_retention(apply: bool, progress: Callable[[int, int], None] | None = None) -> RetentionResult:
    """Delete recordings past their expiry that are not on hold, leaving a tombstone each.

    A dry run (apply=False) counts only. Each deletion is its own transaction (row gone and
    tombstone written together); the encrypted file goes after the commit. If the run is
    interrupted between the two, the next run removes the file: with its key gone with the
    row, it was unreadable anyway. Running it twice does nothing the second time.
    """
    orphans = _remove_orphan_files() if apply else 0
    candidates = list(expired_recordings())
    held = [r for r in candidates if r.on_hold]
    due = [r for r in candidates if not r.on_hold]
    deleted = 0
    for index, recording in enumerate(due, start=1):
        if apply:
            _delete_expired(recording)
            deleted += 1
        if progress is not None:
            progress(index, len(due))
    if apply:
        do_audit("system", "retention.run", "recordings", deleted=deleted, held=len(held), orphan_files=orphans)
    return RetentionResult(expired=len(candidates), deleted=deleted, held=len(held), orphan_files=orphans)


def _delete_expired(recording: Recording) -> None:
    name = recording.file.name
    with transaction.atomic():
        RecordingTombstone.objects.get_or_create(
            recording_id=recording.pk,
            defaults={
                "call_id": recording.call_id,
                "sha256": recording.sha256,
                "duration_seconds": recording.duration_seconds,
                "purpose": recording.purpose.name if recording.purpose else "",
                "retention_days": recording.purpose.retention_days if recording.purpose else None,
                "recorded_at": recording.created_at,
                "deleted_at": timezone.now(),
                "reason": "retention period over",
            },
        )
        Recording.objects.filter(pk=recording.pk).delete()
    if name and default_storage.exists(name):
        default_storage.delete(name)


ORPHAN_AGE = timedelta(hours=1)


def _remove_orphan_files() -> int:
    """Files under recordings/ that no row refers to (left by an interrupted run).

    Only files older than an hour: a recording being ingested right now has its file saved
    a moment before its row is committed.
    """
    cutoff = timezone.now() - ORPHAN_AGE
    known = set(Recording.objects.values_list("file", flat=True))
    removed = 0
    for name in _walk("recordings"):
        if name not in known and default_storage.get_modified_time(name) < cutoff:
            default_storage.delete(name)
            removed += 1
    return removed


def _walk(folder: str) -> Iterator[str]:
    try:  # object storage has no folders to ask about: a prefix with nothing under it lists empty
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _walk(f"{folder}/{sub}")
