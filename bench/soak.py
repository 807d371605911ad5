"""A soak: full calls at a steady rate for a long while, with the Stasis app killed (SIGKILL,
started again 2 s later) and Asterisk restarted in the middle, printing over time what could
grow without bound. Nothing may.

Same private "bench" instance and office as bench/calls.py (a greeting, ring an answering
SIPp agent, bridge, record the conversation; the caller hangs up after 10 s). Every
`--sample` seconds it prints: the Stasis app's resident memory, open file descriptors,
asyncio tasks and calls it follows (from its health report), database connections, the fact
spool's size, calls completed and recordings stored so far. At the end: each figure's first
and last value after the warm-up, and how the calls ended.

    python bench/soak.py [--minutes 20] [--rate 10] [--sample 30] [--kill-at 0.4] [--restart-asterisk-at 0.6]
                         [--trace]

--trace runs the app under tracemalloc (STASIS_TRACE_MEMORY frames, 1 unless set; every
Python allocation is then counted, in "traced MB") and, at every sample after the
warm-up, has it log the allocation sites that grew most since the first (SIGUSR1); the last
such report is printed at the end. The trace itself costs memory: read RSS from a run without.

Bounded: the calls stop at --minutes; every process it starts is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.calls import (  # noqa: E402 - after the path is set
    CENTRALA_NUMBER,
    caller_args,
    environment,
    rss_mb,
    sandbox,
    start_agent,
    start_instance,
)


@dataclass
class Sample:
    minute: float
    pid: int
    rss_mb: float
    fds: int
    tasks: int
    python_blocks: int
    traced_kb: int
    calls_followed: int
    db_connections: int
    spool_kb: float
    calls_done: int
    recordings: int
    note: str = ""


def start_stasis(log: Path, trace: bool = False) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LOG_LEVEL": "WARNING", "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": secrets.token_hex(32)}
    if trace:
        env["STASIS_TRACE_MEMORY"] = os.environ.get("STASIS_TRACE_MEMORY", "1")
    with log.open("a") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "stasis"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def wait_connected(pid: int, timeout: float = 60) -> None:
    from django.conf import settings

    from pbx.stasis.health import health_file, read_report

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        report = read_report(health_file(settings.STASIS_SPOOL_DIR))
        if report is not None and report.pid == pid and report.connected:
            return
        time.sleep(0.2)
    raise SystemExit(f"the Stasis app (pid {pid}) did not connect within {timeout:.0f} s")


def sample(minute: float, pid: int, note: str) -> Sample:
    from django.conf import settings
    from django.db import connection

    from pbx.models import Call
    from pbx.stasis.health import health_file, read_report
    from recordings.models import Recording

    report = read_report(health_file(settings.STASIS_SPOOL_DIR))
    figures = report.figures if report is not None and report.pid == pid else {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        connections = int(cursor.fetchone()[0]) - 1  # not this one
    spool = Path(settings.STASIS_SPOOL_DIR) / "call-facts.jsonl"
    try:
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        rss = rss_mb(pid)
    except OSError:
        fds, rss = 0, 0.0
    return Sample(
        minute,
        pid,
        rss,
        fds,
        figures.get("tasks", 0),
        figures.get("python_blocks", 0),
        figures.get("traced_kb", 0),
        figures.get("calls", 0),
        connections,
        spool.stat().st_size / 1024 if spool.exists() else 0.0,
        Call.objects.filter(ended_at__isnull=False).count(),
        Recording.objects.count(),
        note,
    )


def callers(rate: int, seconds: int) -> subprocess.Popen[str]:
    argv = [str(ROOT / "bin" / "asterisk-sandbox"), "exec", "sipp"]
    argv += caller_args("caller.xml", CENTRALA_NUMBER, rate, rate * seconds, seconds + 120)
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=20, help="how long calls are made")
    parser.add_argument("--rate", type=int, default=10, help="full calls per second")
    parser.add_argument("--sample", type=float, default=30, help="seconds between samples")
    parser.add_argument("--kill-at", type=float, default=0.4, help="SIGKILL the app at this share of the run")
    parser.add_argument("--restart-asterisk-at", type=float, default=0.6, help="restart Asterisk at this share")
    parser.add_argument("--trace", action="store_true", help="log what grows (tracemalloc), see above")
    args = parser.parse_args()
    seconds = int(args.minutes * 60)
    env = environment(over_ari=False)
    spool = Path(tempfile.mkdtemp(prefix="centrala-soak-spool-"))
    env["CENTRALA_SPOOL_DIR"] = str(spool)
    password, root = start_instance(env)
    # The agent's registration must outlast the soak (the tests' scenario registers for 120 s).
    scenarios = root / "srv" / "centrala"
    registers = (scenarios / "sipp" / "agent_registers.xml").read_text().replace("Expires: 120", "Expires: 7200")
    (scenarios / "bench" / "agent_registers_long.xml").write_text(registers)
    log = Path(tempfile.mkstemp(prefix="centrala-soak-stasis-", suffix=".log")[1])
    stasis = start_stasis(log, args.trace)
    wait_connected(stasis.pid)
    agent = start_agent(password, "/srv/centrala/bench/agent_registers_long.xml")
    load = callers(args.rate, seconds)
    began = time.monotonic()
    events = {"kill": args.kill_at * seconds, "asterisk": args.restart_asterisk_at * seconds}
    samples: list[Sample] = []
    print(
        f"{'min':>5}{'pid':>9}{'RSS MB':>8}{'fds':>6}{'tasks':>7}{'blocks k':>9}{'traced MB':>10}{'calls':>7}"
        f"{'db conn':>9}{'spool KB':>10}{'done':>8}{'recordings':>12}  event",
        flush=True,
    )
    try:
        next_sample = 0.0
        while load.poll() is None:
            elapsed = time.monotonic() - began
            note = ""
            if "kill" in events and elapsed >= events["kill"]:
                del events["kill"]
                stasis.send_signal(signal.SIGKILL)
                stasis.wait(10)
                time.sleep(2)
                stasis = start_stasis(log, args.trace)
                wait_connected(stasis.pid)
                note = "app killed (SIGKILL) and started again"
            if "asterisk" in events and elapsed >= events["asterisk"]:
                del events["asterisk"]
                sandbox("stop", "bench")
                sandbox("start", "bench", env={**os.environ})
                wait_connected(stasis.pid)
                note = "Asterisk restarted"
            if elapsed >= next_sample or note:
                samples.append(sample(elapsed / 60, stasis.pid, note))
                s = samples[-1]
                print(
                    f"{s.minute:>5.1f}{s.pid:>9}{s.rss_mb:>8.0f}{s.fds:>6}{s.tasks:>7}{s.python_blocks / 1000:>9.0f}"
                    f"{s.traced_kb / 1024:>10.1f}"
                    f"{s.calls_followed:>7}"
                    f"{s.db_connections:>9}{s.spool_kb:>10.1f}{s.calls_done:>8}{s.recordings:>12}  {s.note}",
                    flush=True,
                )
                next_sample = elapsed + args.sample
                if args.trace and elapsed >= 60:  # the first after the warm-up is the baseline
                    stasis.send_signal(signal.SIGUSR1)
            time.sleep(0.5)
        output = load.stdout.read() if load.stdout else ""
        time.sleep(15)  # the last calls end and their recordings are stored
        samples.append(sample((time.monotonic() - began) / 60, stasis.pid, "calls over"))
    finally:
        if load.poll() is None:
            load.terminate()
        agent.terminate()
        stasis.terminate()
        stasis.wait(30)
        sandbox("stop", "bench")
    summary(samples, output, log)


def summary(samples: list[Sample], sipp_output: str, log: Path) -> None:
    import re

    from django.db.models import Count

    from pbx.models import Call

    last = samples[-1]
    print(f"\n{last.calls_done} calls completed, {last.recordings} recordings stored.")
    outcomes = dict(Call.objects.values_list("outcome").annotate(n=Count("pk")))
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    ok = re.findall(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", sipp_output)
    failed = re.findall(r"Failed call\s*\|\s*\d+\s*\|\s*(\d+)", sipp_output)
    print(f"SIPp callers: {ok[-1] if ok else '?'} successful, {failed[-1] if failed else '?'} failed")
    # Each run of the app (a new pid after the kill), and after the Asterisk restart: the first
    # sample past its first minute against its last.
    restarts = [s.minute for s in samples if s.note and s.note != "calls over"]
    windows = list(zip([0.0, *restarts], [*restarts, float("inf")], strict=True))
    for start, end in windows:
        steady = [s for s in samples if start + 1 <= s.minute < end and not s.note]
        if len(steady) < 2:
            continue
        first, final = steady[0], steady[-1]
        print(f"minute {first.minute:.1f} to {final.minute:.1f} (pid {final.pid}):")
        names = ("rss_mb", "fds", "tasks", "python_blocks", "traced_kb", "calls_followed", "db_connections", "spool_kb")
        for name in names:
            print(f"  {name:<15}{getattr(first, name):>10.1f} -> {getattr(final, name):>10.1f}")
    text = log.read_text()
    traces = text.split("memory trace: ")
    if len(traces) > 1:
        print("last memory trace: " + traces[-1].split("\n20")[0])
    problems = [line for line in text.splitlines() if " ERROR " in line]
    print(f"Stasis app log: {log} ({len(problems)} errors)")
    for line in problems[:5]:
        print("  " + line[:200])


if __name__ == "__main__":
    main()
