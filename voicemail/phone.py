"""Voicemail on a staff phone (*97, pbx/callflow/services.py): the messages of every box the
extension owns, decrypted into the sounds library for the length of the call (Asterisk plays
them from there, never over ARI), each fetch in the audit log; removed when the call is done,
and any left behind by a crash at the next opening."""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from pathlib import Path

from django.conf import settings

from compliance.audit import do_audit
from pbx.audio import library
from pbx.callflow import names
from pbx.callflow.events import VoiceMessage
from pbx.extensions import phone_actor
from recordings.crypto import RecordingUnreadable
from voicemail.actions import do_mark_heard
from voicemail.models import Message

log = logging.getLogger(__name__)

PLAYING = "playing"  # the library's folder for messages being played on phones
MAX_MESSAGES = 50
STALE_SECONDS = 6 * 3600  # a folder this old belongs to no call any more
_KEY = re.compile(rf"^{names.UUID}$")


def open_for_phone(extension: str, call_key: str) -> tuple[VoiceMessage, ...]:
    """The messages `extension` may hear on its phone, new ones first (newest first within
    each), playable for call `call_key`. Erased messages are not there."""
    if not _KEY.match(call_key):
        raise ValueError(f"not a call key: {call_key!r}")
    _sweep_stale()
    messages = list(
        Message.objects.filter(mailbox__owners__number=extension, mailbox__owners__active=True)
        .not_erased()
        .select_related("recording")
        .distinct()
    )
    messages.sort(key=lambda m: (m.heard_at is not None, -m.left_at.timestamp()))
    folder = library.folder(PLAYING, call_key)
    actor, source = phone_actor(extension), f"phone {extension}"
    out = []
    for message in messages[:MAX_MESSAGES]:
        recording = message.recording
        try:
            audio = recording.audio()
        except RecordingUnreadable as exc:
            log.error("voicemail message %s cannot be played: %s", message.pk, exc)
            continue
        stem = f"m{message.pk}"
        path = folder / f"{stem}.{recording.format}"
        path.write_bytes(audio)
        os.chmod(path, 0o644)  # Asterisk runs as another user
        do_audit(actor, "recording.play", str(recording.pk), source=source, call=str(recording.call_id))
        out.append(
            VoiceMessage(id=message.pk, media=library.uri(PLAYING, call_key, stem), new=message.heard_at is None)
        )
    return tuple(out)


def close_for_phone(call_key: str) -> None:
    """The call is done: its decrypted messages go."""
    if _KEY.match(call_key):
        shutil.rmtree(Path(settings.CENTRALA_SOUNDS_DIR, PLAYING, call_key), ignore_errors=True)


def do_mark_heard_on_phone(message_id: int, extension: str) -> bool:
    """A message played to its end on one of its owners' phones: heard."""
    message = Message.objects.filter(pk=message_id, mailbox__owners__number=extension).first()
    if message is None:
        return False
    return do_mark_heard(message, phone_actor(extension), source=f"phone {extension}")


def _sweep_stale() -> None:
    root = Path(settings.CENTRALA_SOUNDS_DIR, PLAYING)
    if not root.is_dir():
        return
    cutoff = time.time() - STALE_SECONDS
    for folder in root.iterdir():
        if folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
