"""`manage.py stasis` as deployed, run as its own process by the tests that kill, restart or
stop it. Its output goes to a file, not a pipe: a pipe nobody reads until the end fills up (64
KiB: a few tracebacks during a database outage) and the app then freezes at its next log line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings

from pbx.stasis.health import health_file, read_report


class StasisProcess:
    def __init__(self, *args: str, **env: str) -> None:
        """`manage.py stasis` with `args` (`--worker 2`) and `env` on top of the tests' own."""
        self.spool = Path(env.get("CENTRALA_SPOOL_DIR", settings.STASIS_SPOOL_DIR))
        handle, name = tempfile.mkstemp(prefix="centrala-stasis-", suffix=".log")
        self.log = Path(name)
        self.output = ""  # everything it said, once stopped
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.test_settings",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{settings.DATABASES['default']['NAME']}",
            "LOG_LEVEL": "INFO",
            "CENTRALA_SPOOL_DIR": str(self.spool),
            **env,
        }
        with os.fdopen(handle, "w") as log:  # the child keeps its own copy
            self.proc = subprocess.Popen(
                [sys.executable, "manage.py", "stasis", *args],
                cwd=settings.BASE_DIR,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode

    def connected(self) -> bool:
        """This process (not an earlier one) reports its event stream connected. Asking ARI
        whether the app is listed is not enough: an earlier app that subscribed to event sources
        can stay listed after it is gone, and a call sent then is refused."""
        report = read_report(health_file(self.spool))
        return report is not None and report.pid == self.proc.pid and report.connected

    def wait_connected(self, timeout: float = 20) -> StasisProcess:
        deadline = time.monotonic() + timeout
        while not self.connected():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"manage.py stasis did not connect within {timeout} s:\n{self.stop()[-3000:]}")
            time.sleep(0.1)
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> str:
        """Send `sig`, wait for the process to end, and return everything it said."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.proc.wait(timeout)
        if self.log.exists():
            self.output = self.log.read_text(errors="replace")
            self.log.unlink()
        return self.output
