"""Keeps `make run`'s processes up, the way compose's restart policy does in production: each
named command runs; one that exits is started again after a back-off (1 s, doubling to 30 s,
back to 1 s once it has run a minute), with a log line saying which and why; SIGINT or SIGTERM
stops them all (each gets SIGTERM, then SIGKILL after a grace period) and ends the supervisor.

    python -m pbx.supervisor stasis="manage.py stasis" web="manage.py runserver ..."

Standard library only: it runs before and without Django."""

from __future__ import annotations

import logging
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from types import FrameType

log = logging.getLogger("centrala.supervisor")

FIRST_DELAY = 1.0
MAX_DELAY = 30.0
STEADY_SECONDS = 60.0  # a process that ran this long counts as healthy again: short delay next time
GRACE_SECONDS = 10.0


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    delay: float = FIRST_DELAY
    restart_at: float | None = None  # when to start it again after it exited
    restarts: int = 0

    def start(self, now: float) -> None:
        # Its own session: Ctrl-C reaches the supervisor, which stops the children in order,
        # instead of killing them all at once behind its back.
        self.process = subprocess.Popen(self.argv, start_new_session=True)
        self.started_at, self.restart_at = now, None
        log.info("%s started (pid %d)", self.name, self.process.pid)

    def check(self, now: float) -> None:
        """Start it again when it is due; note its exit when it has just exited."""
        if self.process is None:
            if self.restart_at is not None and now >= self.restart_at:
                self.restarts += 1
                self.start(now)
            return
        code = self.process.poll()
        if code is None:
            return
        ran = now - self.started_at
        if ran >= STEADY_SECONDS:
            self.delay = FIRST_DELAY
        wait, self.delay = self.delay, min(self.delay * 2, MAX_DELAY)
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        log.warning("%s %s after %.0f s; starting it again in %.0f s", self.name, how, ran, wait)
        self.process, self.restart_at = None, now + wait

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()


class Supervisor:
    def __init__(self, children: list[Child]) -> None:
        self.children = children
        self.stopping = False

    def request_stop(self, signum: int, frame: FrameType | None = None) -> None:
        if not self.stopping:
            log.info("stopping (%s)", signal.Signals(signum).name)
        self.stopping = True

    def run(self, tick: float = 0.2) -> None:
        now = time.monotonic()
        for child in self.children:
            child.start(now)
        while True:
            time.sleep(tick)
            if self.stopping:  # before looking at the children: none is started again now
                break
            now = time.monotonic()
            for child in self.children:
                child.check(now)
        self.stop_all()

    def stop_all(self) -> None:
        for child in self.children:
            child.stop()
        deadline = time.monotonic() + GRACE_SECONDS
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop within %.0f s: killed", child.name, GRACE_SECONDS)
                child.process.kill()
                child.process.wait()


def parse(specs: list[str]) -> list[Child]:
    """`name=command line` pairs; a bad one is refused with a sentence naming it."""
    children = []
    for spec in specs:
        name, sep, command = spec.partition("=")
        if not sep or not name or not command.strip():
            raise SystemExit(f"supervisor: '{spec}' is not name=command")
        children.append(Child(name, shlex.split(command)))
    return children


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s supervisor: %(message)s", datefmt="%H:%M:%S")
    supervisor = Supervisor(parse(argv))
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    supervisor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
