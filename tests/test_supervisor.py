"""make run's supervisor (pbx/supervisor.py): a process that dies is started again after a
back-off that grows while it keeps dying and resets once it ran a while; SIGTERM stops every
process and the supervisor; a bad command line is refused with a sentence."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pbx import supervisor
from pbx.supervisor import Child, parse


def test_a_process_that_exits_is_started_again_with_a_growing_back_off(monkeypatch):
    monkeypatch.setattr(supervisor, "FIRST_DELAY", 1.0)
    child = Child("quick", [sys.executable, "-c", "raise SystemExit(3)"])
    child.start(0.0)
    assert child.process is not None
    child.process.wait(10)
    child.check(0.5)  # exited: due again at 1.5
    assert child.process is None and child.restart_at == 1.5
    child.check(1.0)
    assert child.process is None  # not yet
    child.check(1.5)
    assert child.process is not None and child.restarts == 1
    child.process.wait(10)
    child.check(2.0)
    assert child.restart_at == 4.0  # 2 s this time
    child.check(4.0)
    assert child.process is not None
    child.process.wait(10)
    child.check(4.0 + supervisor.STEADY_SECONDS)  # it ran a minute: healthy, back to 1 s
    assert child.restart_at == 4.0 + supervisor.STEADY_SECONDS + 1.0


def test_sigterm_stops_every_process_and_the_supervisor(tmp_path: Path):
    marker = tmp_path / "started"
    sleeper = f"import pathlib, time; pathlib.Path({str(marker)!r}).write_text('x'); time.sleep(60)"
    crasher = "raise SystemExit(1)"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pbx.supervisor",
            f"sleeper={sys.executable} -c {sleeper!r}",
            f"crasher={sys.executable} -c {crasher!r}",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(3.5)  # the crasher dies and is started again, twice
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "crasher exited with code 1" in err and "starting it again in 1 s" in err and "in 2 s" in err
    assert "stopping (SIGTERM)" in err
    assert "sleeper exited" not in err  # it ran until the end


@pytest.mark.parametrize("bad", ["nameonly", "=cmd", "web= "])
def test_a_bad_command_line_is_refused_with_a_sentence(bad):
    with pytest.raises(SystemExit, match="is not name=command"):
        parse([bad])
