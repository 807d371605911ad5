"""The office's own prompts kept in Django's storage too (STORAGES: local files by default,
S3-compatible object storage when CENTRALA_S3_BUCKET is set): the master copy. A host's sounds
library (pbx/audio/library.py), which its Asterisk plays from, is filled from it by
`manage.py sync_sounds`, which the web and Stasis containers run as they start: with several
Asterisk hosts, a prompt changed on one is played on all.

Each prompt's files are kept as prompts/<stem>.wav and .wav16. They are put there once the
change that made them commits, and deleted once the change that dropped them commits; if the
storage is away then, the next sync puts right what it can (a file only here is sent there)."""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage

from pbx.audio import library

log = logging.getLogger(__name__)
FOLDER = "prompts"
FORMATS = library.FORMATS


def _name(stem: str, fmt: str) -> str:
    return f"{FOLDER}/{stem}.{fmt}"


def _local(stem: str, fmt: str) -> Path:
    library.folder(library.PROMPTS)  # made (readable for Asterisk) when missing
    return library.file(library.PROMPTS, stem, fmt=fmt)


def keep(stem: str) -> int:
    """Send this host's files of `stem` to the storage (those not there yet)."""
    sent = 0
    for fmt in FORMATS:
        path, name = _local(stem, fmt), _name(stem, fmt)
        if path.is_file() and not default_storage.exists(name):
            with path.open("rb") as handle:
                saved = default_storage.save(name, File(handle))
            if saved != name:  # never expected (a stem is new each time): say so, keep both
                log.warning("prompt file %s was stored as %s", name, saved)
            sent += 1
    return sent


def forget(stem: str) -> None:
    for fmt in FORMATS:
        default_storage.delete(_name(stem, fmt))


def fetch(stem: str) -> int:
    """Bring the storage's files of `stem` that this host lacks into its library."""
    fetched = 0
    for fmt in FORMATS:
        path, name = _local(stem, fmt), _name(stem, fmt)
        if path.is_file() or not default_storage.exists(name):
            continue
        with (
            default_storage.open(name, "rb") as source,
            tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as out,
        ):
            for chunk in iter(lambda: source.read(1 << 20), b""):
                out.write(chunk)
        os.chmod(out.name, 0o644)  # Asterisk runs as another user
        os.replace(out.name, path)  # whole or not at all: a call never plays half a file
        fetched += 1
    return fetched


@dataclass
class Synced:
    fetched: int = 0  # files brought here from the storage
    sent: int = 0  # files only here, sent to the storage
    missing: list[str] | None = None  # prompts whose audio is in neither place


def sync(stems: list[str]) -> Synced:
    result = Synced(missing=[])
    for stem in stems:
        result.fetched += fetch(stem)
        result.sent += keep(stem)
        if not library.present(library.PROMPTS, stem):
            assert result.missing is not None
            result.missing.append(stem)
    return result
