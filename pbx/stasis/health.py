"""The Stasis app's own word on its health, for `manage.py healthcheck stasis` and monitoring.

Asterisk cannot tell: an app that subscribed to event sources (Centrala follows the phones'
presence) can stay listed in ARI after its websocket is gone, so "is the app listed?" can stay
yes for a dead app.
So the app writes, every REPORT_SECONDS, whether its event stream is connected, into a small
file beside its spool; the check reads it and trusts it only while it is fresh.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pbx.files import replace_file

REPORT_SECONDS = 1.0
STALE_SECONDS = 15.0  # a report older than this: the app is hung or gone


@dataclass(frozen=True)
class Report:
    pid: int
    connected: bool
    at: datetime
    # What the app holds now (calls followed, asyncio tasks, facts not yet written), for
    # monitoring and bench/soak.py: none of it may grow without bound.
    figures: dict[str, int] = field(default_factory=dict)

    def age(self, now: datetime | None = None) -> float:
        return ((now or datetime.now(UTC)) - self.at).total_seconds()


def health_file(spool_dir: Path) -> Path:
    return spool_dir / "stasis-health.json"


def worker_spool(spool_dir: Path, worker: int) -> Path:
    """A Stasis worker's own spool (facts waiting for the database, the saved configuration,
    its health report): the first's is `spool_dir` itself, as with a single process."""
    return spool_dir if worker == 1 else spool_dir / f"worker-{worker}"


def write_report(path: Path, connected: bool, **figures: int) -> None:
    data = {"pid": os.getpid(), "connected": connected, "at": datetime.now(UTC).isoformat(), "figures": figures}
    # Rewritten every second and worthless after a crash: no need to wait for the disk.
    replace_file(path, json.dumps(data).encode(), durable=False)


def read_report(path: Path) -> Report | None:
    """The last report, or None when there is none or it cannot be read."""
    try:
        data = json.loads(path.read_text())
        figures = {str(k): int(v) for k, v in (data.get("figures") or {}).items()}
        return Report(
            pid=int(data["pid"]),
            connected=bool(data["connected"]),
            at=datetime.fromisoformat(data["at"]),
            figures=figures,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def problem(report: Report | None, now: datetime | None = None) -> str:
    """Why the app is not healthy, or "" when it is."""
    if report is None:
        return "the Stasis app has not reported its health (is `manage.py stasis` running?)"
    age = report.age(now)
    if age > STALE_SECONDS:
        return f"the Stasis app's last report is {age:.0f} s old: it is hung or stopped (pid {report.pid})"
    if not report.connected:
        return "the Stasis app runs but is not connected to Asterisk's ARI"
    return ""
