"""Calls per second through Centrala's Stasis app against the same call in plain dialplan,
on one Asterisk in one run (`make bench`).

Two calls, each on both paths:
- full: answer, play a greeting, ring an answering agent (a SIPp phone), bridge, record the
  conversation, and end when the caller hangs up after 10 s;
- light: answer, play 3 s, hang up (the PBX hangs up). Beside it runs the reference call of
  shared/research/sandbox-notes.md (Answer, MixMonitor, Wait(3), Hangup), the "400 calls/s
  with no failure" bar.
For rising call rates it prints calls that succeeded and failed, INVITE-to-200 time (median,
95th percentile), the Stasis process's CPU and memory, and for the full call how many callers
the app connected to the agent, how many recordings were stored complete and how long after
the step the last one was; then Centrala / plain dialplan as ratios. Bounded: each step
is a fixed number of calls at one rate. Everything runs on loopback in a private "bench"
instance whose database nothing else writes, so the baseline dialplan added to its rendered
configuration is never rendered away during the run.

A full step lasts longer than a call (`--full-seconds`, 30 by default, against the caller's
10 s), so that for its last 20 s callers arrive while others hang up, as at a steady rate; the
time to first audio is printed over the whole step and over that steady part.

    python bench/calls.py [--rates 10,40,100] [--light-rates 100,200,400] [--seconds 8]
                          [--full-seconds 30] [--over-ari]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import glob
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SANDBOX = ROOT / "bin" / "asterisk-sandbox"

from bench.call_report import FULL_CALL_SECONDS, Step, median_and_p95, report  # noqa: E402 (needs ROOT on the path)
from bench.first_audio import FirstAudioProbe  # noqa: E402

HTTP, SIP, TLS = 28088, 25060, 25061
CENTRALA_NUMBER, BASELINE_NUMBER, AGENT = "+48221234567", "+48221234599", "200"
LIGHT_NUMBER, LIGHT_BASELINE_NUMBER, NOTES_NUMBER = "+48221234568", "+48221234598", "+48221234597"
# The light call through a bare ARI handler (bench/ari_transport.py over the event socket, no
# Centrala in it), under an app name of its own: the floor Centrala's light call is held to.
BARE_NUMBER, BARE_APP = "+48221234596", "centrala-bench-bare"
# --split N: the app runs as the first of STASIS_WORKERS=N, and the light call to a number of its
# own is spread over all N workers by the rendered dialplan (docs/architecture.md, "Several
# Stasis workers"); the other workers run for that step only. The light call to LIGHT_NUMBER
# stays on the first worker alone, for the comparison in the same run.
SPLIT_NUMBER = "+48221234595"
CALLER, AGENT_ADDRESS = "127.0.0.2", "127.0.0.5"


def sandbox(*args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([str(SANDBOX), *args], capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(f"asterisk-sandbox {' '.join(args)} failed: {result.stderr or result.stdout}")
    return result.stdout.strip()


def environment(over_ari: bool) -> dict[str, str]:
    root = sandbox("root")
    shared = "" if over_ari else f"{root}/srv/centrala/bench/spool/recording"
    return {
        "ASTERISK_RECORDING_DIR": shared,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "1",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/centrala_bench_calls",
        "ARI_URL": f"http://127.0.0.1:{HTTP}/ari",
        "ARI_USER": "centrala-bench",
        "ARI_APP": "centrala-bench",
        "ARI_PASSWORD": secrets.token_hex(16),
        "ASTERISK_HTTP_PORT": str(HTTP),
        "ASTERISK_SIP_PORT": str(SIP),
        "ASTERISK_TLS_PORT": str(TLS),
        "ASTERISK_RTP_START": "14000",
        "ASTERISK_RTP_END": "15999",
        "ASTERISK_CONFIG_DIR": sandbox("etc-dir", "bench"),
        "ASTERISK_CHROOT": root,
        "TRUNK_MATCH": CALLER,
        "CENTRALA_MEDIA_ROOT": tempfile.mkdtemp(prefix="centrala-bench-media-"),
        "RECORDING_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }


BASELINE_DIALPLAN = f"""; Added by bench/calls.py: the benchmark's baseline, the same calls in plain dialplan.
[from-trunk]
exten => {BASELINE_NUMBER},1,Answer()
 same => n,Playback(hello-world)
 same => n,MixMonitor(bench-${{UNIQUEID}}.wav)
 same => n,Dial(PJSIP/{AGENT},20)
 same => n,Hangup()
exten => {LIGHT_BASELINE_NUMBER},1,Answer()
 same => n,Playback(silence/3)
 same => n,Hangup()
exten => {BARE_NUMBER},1,Stasis({BARE_APP})
 same => n,Hangup()
exten => {NOTES_NUMBER},1,Answer()
 same => n,MixMonitor(bench-notes-${{UNIQUEID}}.wav)
 same => n,Wait(3)
 same => n,Hangup()
"""


def configure(split: int = 0) -> str:
    """The office: a greeting, then ring the agent; every inbound call recorded. Returns the
    agent's SIP password."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from company_numbers.models import CompanyNumber
    from compliance.models import ProcessingPurpose
    from pbx.asterisk_config import apply_config
    from pbx.extensions import do_create_extension
    from pbx.models import Destination, Extension, Prompt, Scenario
    from recordings.models import RecordingRule

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE recordings_recording, pbx_call, numbers_companynumber, pbx_scenario, "
            "pbx_destination, pbx_extension, recordings_recordingrule CASCADE"
        )
    agent, password = do_create_extension(AGENT, "Agent")
    Extension.objects.filter(pk=agent.pk).update(plain_sip=True)
    greeting = Prompt.objects.get_or_create(name="Powitanie", sound="hello-world")[0]
    # One announcement, as in the baseline: the recording notice (the greeting), then the agent.
    ring = Destination.objects.create(name="Agent", kind="extension", extension=agent, seconds=20)
    office = CompanyNumber.objects.create(
        e164=CENTRALA_NUMBER, scenario=Scenario.objects.create(name="Biuro", when_open=ring)
    )
    purpose = ProcessingPurpose.objects.get_or_create(
        name="Benchmark",
        defaults={"legal_basis": "6.1.f", "retention_days": 1, "announcement": greeting, "notice_text": "-"},
    )[0]
    RecordingRule.objects.create(name="Wszystko", mode="always", purpose=purpose, company_number=office)
    # The light call: 3 s of announcement, then the PBX hangs up; nothing recorded.
    silence = Prompt.objects.get_or_create(name="Trzy sekundy", sound="silence/3")[0]
    bye = Destination.objects.create(name="Koniec", kind="hangup")
    three = Destination.objects.create(name="Komunikat", kind="announcement", prompt=silence, then=bye)
    light = Scenario.objects.create(name="Lekki", when_open=three)
    CompanyNumber.objects.create(e164=LIGHT_NUMBER, scenario=light)
    etc = Path(os.environ["ASTERISK_CONFIG_DIR"])
    if split:
        settings.STASIS_WORKERS = split
        CompanyNumber.objects.create(e164=SPLIT_NUMBER, scenario=light)
    apply_config(etc, reload=False)
    dialplan = (etc / "extensions.conf").read_text()
    # --split: the light number's calls stay with the first worker (the one-process step).
    one_worker = re.sub(rf"^exten => {re.escape(LIGHT_NUMBER)},1,.*\n(?: same => .*\n)*", "", dialplan, flags=re.M)
    # The baseline goes into the rendered files for this run only: production never has it,
    # nor the two dialplan applications it needs.
    (etc / "extensions.conf").write_text(one_worker + "\n" + BASELINE_DIALPLAN)
    with (etc / "modules.conf").open("a") as rendered:
        rendered.write("\nload = app_dial.so\nload = app_mixmonitor.so\n")
    return password


def sipp(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SANDBOX), "exec", "sipp", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def start_agent(password: str, registers: str = "/srv/centrala/sipp/agent_registers.xml") -> subprocess.Popen[bytes]:
    base = [f"127.0.0.1:{SIP}", "-i", AGENT_ADDRESS, "-mi", AGENT_ADDRESS, "-p", "5096", "-nostdin"]
    registered = sipp(
        *base,
        "-sf",
        registers,
        "-set",
        "ext",
        AGENT,
        "-m",
        "1",
        "-au",
        AGENT,
        "-ap",
        password,
        "-timeout",
        "10s",
        "-timeout_error",
        timeout=30,
    )
    if registered.returncode != 0:
        raise SystemExit(f"the agent could not register:\n{registered.stdout[-3000:]}")
    argv = [str(SANDBOX), "exec", "sipp", *base, "-sf", "/srv/centrala/bench/agent.xml", "-aa", "-m", "1000000"]
    quiet = subprocess.DEVNULL
    agent = subprocess.Popen(argv, stdin=quiet, stdout=quiet, stderr=quiet)
    # Asterisk checks a new contact with OPTIONS; until the agent (-aa) answers one, up to a
    # qualify period later, the extension counts as offline and calls would go to plan B.
    if not _online(AGENT, timeout=40):
        agent.terminate()
        raise SystemExit(
            "the agent registered but Asterisk does not see it online:\n"
            + sandbox("cli", "bench", f"pjsip show aor {AGENT}")
        )
    return agent


def _online(extension: str, timeout: float = 10) -> bool:
    from pbx.asterisk import run_with_ari

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        endpoints = run_with_ari(lambda ari: ari.endpoints("PJSIP"))
        if any(e["resource"] == extension and e.get("state") == "online" for e in endpoints):
            return True
        time.sleep(0.5)
    return False


def caller_args(scenario: str, number: str, rate: int, calls: int, timeout_s: int) -> list[str]:
    """SIPp's arguments for `calls` callers of `scenario` (bench/sipp) at `rate` per second."""
    return [
        f"127.0.0.1:{SIP}",
        "-sf",
        f"/srv/centrala/bench/{scenario}",
        "-s",
        number,
        "-i",
        CALLER,
        "-mi",
        CALLER,
        "-p",
        "5070",
        "-r",
        str(rate),
        "-m",
        str(calls),
        "-l",
        str(rate * 30),
        "-timeout",
        f"{timeout_s}s",
        "-nostdin",
    ]


def run_calls(
    call: str, path: str, number: str, rate: int, seconds: int, stasis_pid: int, root: Path, also: tuple[int, ...] = ()
) -> Step:
    """`also`: more processes whose CPU and memory count with the Stasis app's (--split)."""
    calls = rate * seconds
    for old in glob.glob(str(root / "caller_*_rtt.csv")):
        os.unlink(old)
    asterisk = asterisk_pid()
    pids = (stasis_pid, *also)
    cpu_before, wall_before, started = sum(map(cpu_seconds, pids)), time.monotonic(), time.time()
    asterisk_before = cpu_seconds(asterisk)
    scenario = "caller.xml" if call == "full" else "caller_light.xml"
    # Beside the load, for the full call: the time to the greeting's first packet at the caller.
    probe = FirstAudioProbe(number, ("127.0.0.1", SIP), CALLER, 5391) if call == "full" else None
    with probe if probe is not None else contextlib.nullcontext():
        result = sipp(
            *caller_args(scenario, number, rate, calls, seconds + 60),
            "-trace_rtt",
            "-rtt_freq",
            "1",
            timeout=seconds + 120,
        )
    wall = time.monotonic() - wall_before
    stasis_cpu_s, asterisk_cpu_s = sum(map(cpu_seconds, pids)) - cpu_before, cpu_seconds(asterisk) - asterisk_before
    cpu, asterisk_cpu = stasis_cpu_s / wall * 100, asterisk_cpu_s / wall * 100
    times = sorted(
        float(line.split(";")[1])
        for f in glob.glob(str(root / "caller_*_rtt.csv"))
        for line in Path(f).read_text().splitlines()[1:]
        if line.count(";") >= 2
    )
    ok, failed = _count(result.stdout, "Successful call"), _count(result.stdout, "Failed call")
    median, p95 = median_and_p95(times)
    step = Step(
        call,
        path,
        rate,
        calls,
        ok,
        failed,
        median,
        p95,
        cpu,
        sum(map(rss_mb, pids)),
        asterisk_cpu,
        started,
        time.time(),
    )
    step.stasis_cpu_s, step.asterisk_cpu_s = stasis_cpu_s, asterisk_cpu_s
    if probe is not None:
        step.first_audio_ms = median_and_p95(sorted(probe.times_ms))
        step.first_audio_probes = (len(probe.times_ms), probe.failures)
        steady = probe.heard_between(started + FULL_CALL_SECONDS, started + seconds)
        step.first_audio_steady_ms, step.first_audio_steady_heard = median_and_p95(steady), len(steady)
    return step


def handler_step(
    mode: str, path: str, number: str, rate: int, seconds: int, root: Path, app: str = "", out: Path | None = None
) -> Step:
    """The light call through bench/ari_transport.py's handler (`mode`: its transport), in a
    process of its own (under `app` when given, else the bench's app name), its report written
    to `out`; the step is named `path`."""
    argv = [sys.executable, str(ROOT / "bench" / "ari_transport.py"), "--handle", mode, "--seconds", str(seconds + 25)]
    with out.open("w") if out is not None else contextlib.nullcontext(subprocess.DEVNULL) as sink:
        handler = subprocess.Popen(
            argv, env={**os.environ, **({"ARI_APP": app} if app else {})}, stdout=sink, start_new_session=True
        )
        try:
            time.sleep(1.5)  # connected before the first call
            return run_calls("light", path, number, rate, seconds, handler.pid, root)
        finally:
            handler.wait(seconds + 60)


def bare_ari_step(rate: int, seconds: int, root: Path) -> Step:
    """The light call through the bare handler over the event socket, under BARE_APP, beside
    the idle Stasis app."""
    return handler_step("socket", "bare", BARE_NUMBER, rate, seconds, root, app=BARE_APP)


def split_step(
    processes: int, rate: int, seconds: int, root: Path, env: dict[str, str], out_dir: Path, first: int
) -> Step:
    """The light call spread over STASIS_WORKERS=`processes` (--split): the app (process
    `first`) is worker 1, the others are started for the step; their CPU and memory are added
    up. Path "split N"."""
    with contextlib.ExitStack() as logs:
        started = [
            subprocess.Popen(
                [sys.executable, "manage.py", "stasis", "--worker", str(n)],
                cwd=ROOT,
                env=env,
                stdout=logs.enter_context((out_dir / f"centrala-bench-worker-{n}.log").open("w")),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            for n in range(2, processes + 1)
        ]
        try:
            time.sleep(4)  # connected and reconciled before the first call
            others = tuple(p.pid for p in started)
            return run_calls("light", f"split {processes}", SPLIT_NUMBER, rate, seconds, first, root, also=others)
        finally:
            for process in started:
                process.terminate()
                process.wait(30)


def asterisk_pid() -> int:
    found = subprocess.run(
        ["pgrep", "-f", "srv/centrala/bench/etc/asterisk.conf"], capture_output=True, text=True, check=False
    ).stdout.split()
    if not found:
        raise SystemExit("the bench instance's Asterisk is not running")
    return int(found[0])


def _count(output: str, label: str) -> int:
    import re

    found = re.findall(rf"{label}\s*\|\s*\d+\s*\|\s*(\d+)", output)
    return int(found[-1]) if found else 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def check_recordings(steps: list[Step], timeout: float = 120) -> None:
    """Fill in each full Centrala step's bridged calls (SIPp's caller cannot tell: it hangs up
    after its 10 s either way; the call history can), its stored and intact recordings and
    their median length (a caller bridged late, under load, has less of its 10 s left to talk).
    Intact: it decrypts to a WAV file whose length is what the header says and as long as the
    history says. Waits up to `timeout` for a recording of every bridged call."""
    import io
    import wave
    from datetime import UTC, datetime

    from pbx.models import Call
    from recordings.models import Recording

    ours = [s for s in steps if s.call == "full" and s.path == "centrala"]
    windows = {id(s): (datetime.fromtimestamp(s.started, UTC), datetime.fromtimestamp(s.ended, UTC)) for s in ours}
    for step in ours:
        # "connected" is written when the agent answers; a call whose join to the bridge then
        # failed ends "failed" (and is hung up), so it does not count.
        connected = Call.objects.filter(started_at__range=windows[id(step)], events__kind="connected")
        step.bridged = connected.exclude(outcome="failed").count()
    deadline = time.monotonic() + timeout
    while Recording.objects.count() < sum(s.bridged for s in ours) and time.monotonic() < deadline:
        time.sleep(1)
    for step in ours:
        window = windows[id(step)]
        last = Recording.objects.filter(call__started_at__range=window).order_by("-created_at").first()
        if last is not None:
            step.last_stored_after = last.created_at.timestamp() - step.ended
        lengths = []
        for recording in Recording.objects.filter(call__started_at__range=window):
            data = recording.audio()
            with wave.open(io.BytesIO(data)) as audio:
                seconds = audio.getnframes() / audio.getframerate()
                whole = len(data) >= 44 + audio.getnframes() * audio.getsampwidth() * audio.getnchannels()
            step.stored += 1
            step.intact += whole and abs(seconds - recording.duration_seconds) < 0.5
            lengths.append(seconds)
        if lengths:
            step.talk_median = statistics.median(lengths)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="10,40,100", help="calls per second of the full call, comma separated")
    parser.add_argument("--light-rates", default="100,200,400", help="calls per second of the light call")
    parser.add_argument("--seconds", type=int, default=8, help="seconds of light calls at each rate")
    parser.add_argument(
        "--full-seconds",
        type=int,
        default=30,
        help=f"seconds of full calls at each rate (over {FULL_CALL_SECONDS}: callers then arrive while others hang up)",
    )
    parser.add_argument(
        "--over-ari", action="store_true", help="download recordings over ARI instead of reading Asterisk's directory"
    )
    parser.add_argument(
        "--split", type=int, default=0, help="also spread the light call over STASIS_WORKERS=N Stasis processes"
    )
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",") if r]
    light_rates = [int(r) for r in args.light_rates.split(",") if r]
    env = environment(args.over_ari) | ({"STASIS_WORKERS": str(args.split)} if args.split else {})
    password, root = start_instance(env, args.split)
    stasis_log = Path(tempfile.mkstemp(prefix="centrala-bench-stasis-", suffix=".log")[1])
    with stasis_log.open("w") as out:
        # As in production: DEBUG off (Django would otherwise time and keep every query).
        env = {**os.environ, "LOG_LEVEL": "INFO", "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": secrets.token_hex(32)}
        worker = ["--worker", "1"] if args.split else []  # the first of STASIS_WORKERS (in env)
        # In a session of its own, as in a container of its own (docs/benchmark.md, "CPU groups").
        stasis = subprocess.Popen(
            [sys.executable, "manage.py", "stasis", *worker],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    steps: list[Step] = []
    try:
        time.sleep(3)
        for rate in rates:
            agent = start_agent(password)
            time.sleep(2)
            try:
                for path, number in (("centrala", CENTRALA_NUMBER), ("dialplan", BASELINE_NUMBER)):
                    steps.append(run_calls("full", path, number, rate, args.full_seconds, stasis.pid, root))
                    time.sleep(2)
            finally:
                agent.terminate()
                agent.wait(10)
        for rate in light_rates:
            for path, number in (
                ("centrala", LIGHT_NUMBER),
                ("dialplan", LIGHT_BASELINE_NUMBER),
                ("notes", NOTES_NUMBER),
            ):
                steps.append(run_calls("light", path, number, rate, args.seconds, stasis.pid, root))
                time.sleep(5)  # the last calls of the step hang up (3 s) before the next begins
            steps.append(bare_ari_step(rate, args.seconds, root))
            time.sleep(5)
            if args.split:
                steps.append(
                    split_step(args.split, rate, args.seconds, root, env, out_dir=stasis_log.parent, first=stasis.pid)
                )
                time.sleep(5)
        check_recordings(steps)
    finally:
        stasis.terminate()
        stasis.wait(30)
        sandbox("stop", "bench")
    report(steps, "shared directory" if env["ASTERISK_RECORDING_DIR"] else "ARI downloads")
    problems = [line for line in stasis_log.read_text().splitlines() if " ERROR " in line or " WARNING " in line]
    print(f"Stasis app log: {stasis_log} ({len(problems)} warnings and errors)")
    for line in problems[:5]:
        print("  " + line[:200])


def start_instance(env: dict[str, str], split: int = 0) -> tuple[str, Path]:
    """Take `env` into this process, set up Django on the bench database, configure the
    office (and the baseline dialplan), hand SIPp its scenarios and (re)start the bench
    instance. Returns the agent's SIP password and the sandbox's root."""
    os.environ.update(env)
    create_database("centrala_bench_calls")
    import django

    django.setup()
    from pbx.sandbox import copy_scenarios

    password = configure(split)
    copy_scenarios()
    root = Path(env["ASTERISK_CHROOT"])
    (root / "srv" / "centrala" / "bench").mkdir(parents=True, exist_ok=True)
    for name in ("caller.xml", "caller_light.xml", "agent.xml"):
        (root / "srv" / "centrala" / "bench" / name).write_text((ROOT / "bench" / "sipp" / name).read_text())
    sandbox("stop", "bench")
    sandbox("start", "bench", env={**os.environ})
    return password, root


def create_database(name: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()
