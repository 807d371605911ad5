"""Polish text to speech with Debian's espeak-ng: a robotic but clear voice, good enough to
start with until the office records its own. Another offline engine can replace it through
SPEECH_COMMAND (a command that reads the text on stdin and writes a WAV file to the path
given as its last argument)."""

from __future__ import annotations

import shlex
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from .convert import TIMEOUT, BadAudio, convert, tool

MAX_CHARACTERS = 1000  # about a minute and a half of speech


def check_text(text: str) -> str:
    """The text to speak, tidied; BadAudio naming the problem."""
    text = " ".join(text.split())
    if not text:
        raise BadAudio(_("Type the text to be read out."))
    if len(text) > MAX_CHARACTERS:
        raise BadAudio(
            _("The text has %(count)d characters; at most %(limit)d can be read out (about a minute and a half).")
            % {"count": len(text), "limit": MAX_CHARACTERS}
        )
    return text


def speak(text: str, folder: Path, stem: str, language: str = "pl") -> float:
    """Read `text` out into `<stem>.wav` and `<stem>.wav16` in `folder`; the length in seconds."""
    text = check_text(text)
    with tempfile.TemporaryDirectory(prefix="centrala-speech-") as tmp:
        raw = Path(tmp) / "speech.wav"
        command = settings.SPEECH_COMMAND
        argv = (
            [*shlex.split(command), str(raw)]
            if command
            else [tool("espeak-ng"), "-v", language, "--stdin", "-w", str(raw)]
        )
        result = subprocess.run(argv, input=text, capture_output=True, text=True, timeout=TIMEOUT, check=False)
        if result.returncode != 0 or not raw.is_file():
            raise BadAudio(_("The text could not be read out: %(error)s") % {"error": result.stderr.strip()[:200]})
        return convert(raw, folder, stem)
