"""Settings read from the environment refuse a bad value at start, naming it (config/settings.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def start_with(**env: str) -> subprocess.CompletedProcess[str]:
    """Import the settings as `manage.py` does, with `env` added."""
    return subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9", "ARI_SPARE_SOCKETS must be from 0 to 8, not 9"),
        ("-1", "ARI_SPARE_SOCKETS must be from 0 to 8, not -1"),
        ("two", "ARI_SPARE_SOCKETS must be a whole number"),
    ],
)
def test_a_bad_number_of_spare_sockets_stops_the_start_with_a_message_naming_it(value: str, message: str):
    result = start_with(ARI_SPARE_SOCKETS=value)
    assert result.returncode != 0 and message in result.stderr, result.stderr[-2000:]


@pytest.mark.parametrize("value", ["0", "8", ""])
def test_spare_sockets_from_none_to_eight_are_taken(value: str):
    result = start_with(ARI_SPARE_SOCKETS=value)
    assert result.returncode == 0, result.stderr[-2000:]
