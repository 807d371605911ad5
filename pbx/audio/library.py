"""Where the firm's sounds live: one directory that this host writes and Asterisk reads
(CENTRALA_SOUNDS_DIR here, ASTERISK_SOUNDS_DIR as Asterisk sees the same folder: a volume in
compose, a folder inside the sandbox's chroot here).

    prompts/prompt-<id>-<version>.wav|.wav16    the office's own prompts (a new name per change,
                                                so a call in progress never hears half a file)
    system/<language>/<name>.wav|.wav16         built-in messages, built from system_prompts.py
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from django.conf import settings

PROMPTS = "prompts"
SYSTEM = "system"


def folder(*parts: str) -> Path:
    """A folder of the library, made readable for Asterisk when missing."""
    root = Path(settings.CENTRALA_SOUNDS_DIR)
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    for made in (root, *(root.joinpath(*parts[: n + 1]) for n in range(len(parts)))):
        os.chmod(made, 0o755)  # Asterisk runs as another user
    return path


def uri(*parts: str) -> str:
    """The media URI Asterisk plays for a file of the library (no extension: Asterisk picks
    the format that suits the call)."""
    return "sound:" + "/".join([str(settings.ASTERISK_SOUNDS_DIR).rstrip("/"), *parts])


FORMATS = ("wav", "wav16")  # 8 kHz (every call can play it) and 16 kHz (wideband phones)


def file(*parts: str, fmt: str = "wav") -> Path:
    """Where a sound of the library lies on this host, in format `fmt` (it may not be there)."""
    *dirs, stem = parts
    return Path(settings.CENTRALA_SOUNDS_DIR, *dirs, f"{stem}.{fmt}")


def present(*parts: str) -> bool:
    """Whether the file is there, as this host sees it (8 kHz at least)."""
    return file(*parts).is_file()


def remove(*parts: str) -> None:
    for fmt in FORMATS:
        with contextlib.suppress(FileNotFoundError):
            file(*parts, fmt=fmt).unlink()


def best_file(*parts: str) -> Path | None:
    """The file to listen to in a browser: 16 kHz where it exists, else 8 kHz; None if neither."""
    if not parts[-1]:
        return None
    for fmt in reversed(FORMATS):
        path = file(*parts, fmt=fmt)
        if path.is_file():
            return path
    return None
