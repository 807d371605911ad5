"""A job for the engine's own tests (tests/django/test_jobs.py): it says which process ran it
and when it started and finished, so a test can kill that worker mid-job."""

from __future__ import annotations

import os
import time
from pathlib import Path


def slow(seconds: float, folder: str) -> str:
    Path(folder, f"started-{os.getpid()}").touch()
    time.sleep(seconds)
    Path(folder, f"done-{os.getpid()}").touch()
    return f"done by {os.getpid()}"
