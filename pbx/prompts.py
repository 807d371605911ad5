"""The office's prompts: their audio is converted once into the sounds library (pbx/audio),
under a new name at every change; the old files go once the change is committed, so a call
that is playing them finishes, and a failed save leaves the old prompt whole."""

from __future__ import annotations

import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compliance.audit import do_audit
from pbx.asterisk_config import config_changed
from pbx.audio import library, stored
from pbx.audio.convert import BadAudio, convert
from pbx.audio.speech import speak
from pbx.extensions import phone_actor
from pbx.local_time import office_time
from pbx.models import Prompt, QueueMusic


@dataclass(frozen=True)
class NewAudio:
    """Audio converted into the library, not yet used by any prompt."""

    stem: str
    seconds: float


def new_stem() -> str:
    return f"p-{secrets.token_hex(6)}"


def audio_from_upload(upload: IO[bytes]) -> NewAudio:
    """An uploaded file (any format ffmpeg reads) converted into the library; BadAudio."""
    with tempfile.NamedTemporaryFile(prefix="centrala-upload-") as raw:
        for chunk in iter(lambda: upload.read(1 << 20), b""):
            raw.write(chunk)
        raw.flush()
        return audio_from_file(Path(raw.name))


def audio_from_file(path: Path) -> NewAudio:
    """A recording on this host (a prompt recorded by phone) converted into the library."""
    stem = new_stem()
    return NewAudio(stem, convert(path, library.folder(library.PROMPTS), stem))


def audio_from_text(text: str, language: str = "pl") -> NewAudio:
    stem = new_stem()
    return NewAudio(stem, speak(text, library.folder(library.PROMPTS), stem, language))


def audio_for_change(prompt: Prompt, source: str, upload: IO[bytes] | None, text: str) -> NewAudio | None:
    """The new audio that saving `prompt` (as it was) as `source` calls for, converted into the
    library; None when its audio stays as it is, or a stock sound needs none. The admin and the
    API both ask here. BadAudio names what is wrong: the file, the text, or no recording given
    where one is needed."""
    changed = source != prompt.source or prompt.pk is None
    if source == Prompt.Source.UPLOAD:
        if upload is not None:
            return audio_from_upload(upload)
        if changed or not prompt.file_stem:
            raise BadAudio(_("Choose the recording to upload."))
    elif source == Prompt.Source.SPEECH and (changed or text != prompt.text):
        return audio_from_text(text)
    return None


def use_audio(prompt: Prompt, audio: NewAudio | None, source: str) -> None:
    """Point the (unsaved) prompt at new audio; its old files go once the save commits."""
    old = prompt.file_stem
    prompt.source = source
    if source == Prompt.Source.STOCK:
        prompt.file_stem, prompt.seconds = "", None
    elif audio is not None:
        prompt.file_stem, prompt.seconds, prompt.changed_at = audio.stem, audio.seconds, timezone.now()
        transaction.on_commit(lambda: stored.keep(audio.stem), robust=True)  # the master copy
    if old and old != prompt.file_stem:
        transaction.on_commit(lambda: library.remove(library.PROMPTS, old))
        transaction.on_commit(lambda: stored.forget(old), robust=True)
    if prompt.pk is not None and old != prompt.file_stem and QueueMusic.objects.filter(prompt=prompt).exists():
        config_changed(f"hold music {prompt.name} changed")  # musiconhold.conf names its file


def do_save_prompt(prompt: Prompt, audio: NewAudio | None, kind: str, actor: str, **detail: Any) -> Prompt:
    """Save a prompt (of `kind`, a Prompt.Source) with its new audio: the API's path; the
    admin audits its own saves."""
    with transaction.atomic():
        creating = prompt.pk is None
        use_audio(prompt, audio, kind)
        prompt.full_clean()
        prompt.save()
        do_audit(actor, "config.add" if creating else "config.change", f"pbx.prompt:{prompt.pk}", **detail)
    return prompt


def do_delete_prompt(prompt: Prompt, actor: str, **detail: Any) -> None:
    """Delete an unused prompt and its files; ProtectedError names where it is still used."""
    stem = prompt.file_stem
    with transaction.atomic():
        target = f"pbx.prompt:{prompt.pk}"
        prompt.delete()
        do_audit(actor, "config.delete", target, object=prompt.name, **detail)
        if stem:
            transaction.on_commit(lambda: library.remove(library.PROMPTS, stem))
            transaction.on_commit(lambda: stored.forget(stem), robust=True)


def discard(audio: NewAudio | None) -> None:
    """Audio converted for a save that did not happen."""
    if audio is not None:
        library.remove(library.PROMPTS, audio.stem)


def do_save_phone_prompt(audio: NewAudio, prompt_id: int | None, extension: str, at: datetime) -> Prompt:
    """A prompt recorded on a staff phone and kept: it replaces prompt `prompt_id`'s audio, or
    (none given, or deleted meanwhile) becomes a new prompt named after the phone and the time."""
    prompt = Prompt.objects.filter(pk=prompt_id).first() if prompt_id is not None else None
    if prompt is None:
        with translation.override(settings.LANGUAGE_CODE):
            when = office_time(at, seconds=True)
            name = _("Recorded on extension %(extension)s, %(when)s") % {"extension": extension, "when": when}
        taken = set(Prompt.objects.filter(name__startswith=name).values_list("name", flat=True))
        prompt = Prompt(name=next(n for n in (name, *(f"{name} ({k})" for k in range(2, 1000))) if n not in taken))
    try:
        return do_save_prompt(prompt, audio, Prompt.Source.PHONE, phone_actor(extension), source=f"phone {extension}")
    except Exception:
        discard(audio)
        raise
