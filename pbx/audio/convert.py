"""Any audio file (WAV, MP3, OGG, M4A, any rate, stereo or mono) -> the WAV files Asterisk
plays: mono, 16-bit, loudness-normalised (EBU R128), at 8 kHz (`.wav`) and 16 kHz (`.wav16`;
Asterisk picks it for wideband phones)."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.utils.translation import gettext as _

from pbx.refusals import BadInput

MAX_SECONDS = 600  # a greeting or hold music longer than ten minutes is a mistake
MIN_SECONDS = 0.2
# Asterisk's format name -> sample rate. The extension is the format name.
FORMATS = {"wav": 8000, "wav16": 16000}
# Speech at -18 LUFS sits well on phone lines; true peak under -2 dBTP avoids clipping in codecs.
TARGET_LUFS = -18.0
# Bumped whenever the conversion changes what it writes: built-in messages are built again.
CONVERSION = "2"
PEAK_DBTP = -2.0
TIMEOUT = 120


class BadAudio(BadInput):
    """The file cannot become a prompt; the message says why, for the office."""


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BadAudio(
            _("%(tool)s is not installed on this server; install Debian's %(package)s package.")
            % {"tool": name, "package": "espeak-ng" if name == "espeak-ng" else "ffmpeg"}
        )
    return found


def probe(path: Path) -> float:
    """The file's length in seconds; BadAudio when it holds no audio or is too long or short."""
    result = subprocess.run(
        [
            tool("ffprobe"),
            "-v",
            "error",
            "-show_entries",
            "format=duration:stream=codec_type",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    try:
        info = json.loads(result.stdout or "{}")
    except json.JSONDecodeError:
        info = {}
    streams = [s.get("codec_type") for s in info.get("streams", [])]
    if result.returncode != 0 or "audio" not in streams:
        raise BadAudio(_("This file is not a sound recording (or it is damaged). Upload WAV, MP3, OGG or M4A."))
    try:
        seconds = float(info.get("format", {}).get("duration", "nan"))
    except ValueError:
        seconds = float("nan")
    if not seconds == seconds:  # NaN: a stream with no length
        raise BadAudio(_("The length of this recording cannot be read; the file is probably damaged."))
    if seconds > MAX_SECONDS:
        raise BadAudio(
            _("The recording lasts %(minutes)d minutes; a prompt may last at most %(limit)d minutes.")
            % {"minutes": seconds // 60, "limit": MAX_SECONDS // 60}
        )
    if seconds < MIN_SECONDS:
        raise BadAudio(_("The recording is empty or too short to hear."))
    return seconds


def loudness_filter(source: Path) -> str:
    """A fixed gain that brings the recording to speech loudness (EBU R128: -18 LUFS), held
    back where its peaks would pass -2 dBTP. Measured first, applied as one gain, so short
    clips come out right too (loudnorm's own one-pass mode adapts over a 3 s window and
    leaves a two-second clip as quiet as it was). Silence is left alone."""
    measuring = ["-af", f"loudnorm=I={TARGET_LUFS}:TP={PEAK_DBTP}:print_format=json", "-f", "null", "-"]
    result = subprocess.run(
        [tool("ffmpeg"), "-nostdin", "-hide_banner", "-i", str(source), "-vn", *measuring],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    start = result.stderr.rfind("{")
    try:
        measured = json.loads(result.stderr[start:]) if start >= 0 else {}
        loudness, peak = float(measured["input_i"]), float(measured["input_tp"])
    except (json.JSONDecodeError, KeyError, ValueError):
        return "anull"
    if not (math.isfinite(loudness) and math.isfinite(peak)):
        return "anull"  # silence: nothing to bring up
    gain = min(TARGET_LUFS - loudness, PEAK_DBTP - peak)
    return f"volume={gain:.2f}dB"


def convert(source: Path, folder: Path, stem: str) -> float:
    """Write `<stem>.wav` and `<stem>.wav16` into `folder` (atomically: both or neither) and
    return the length in seconds. BadAudio when ffmpeg cannot read the file."""
    seconds = probe(source)
    loudness = loudness_filter(source)
    written: list[tuple[Path, Path]] = []
    with tempfile.TemporaryDirectory(prefix="centrala-audio-", dir=folder) as tmp:
        for fmt, rate in FORMATS.items():
            out = Path(tmp) / f"{stem}.{fmt}"
            reading = ["-nostdin", "-v", "error", "-y", "-i", str(source), "-vn", "-af", loudness]
            writing = ["-ac", "1", "-ar", str(rate), "-sample_fmt", "s16", "-f", "wav", str(out)]
            result = subprocess.run(
                [tool("ffmpeg"), *reading, *writing],
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                check=False,
            )
            if result.returncode != 0 or not out.is_file() or out.stat().st_size <= 44:
                raise BadAudio(_("This recording could not be converted; the file is probably damaged."))
            os.chmod(out, 0o644)  # Asterisk runs as another user
            written.append((out, folder / out.name))
        for tmp_file, final in written:
            os.replace(tmp_file, final)
    return seconds
