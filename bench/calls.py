"""Calls per second through Centrala's Stasis app against the same call in plain dialplan,
on one Asterisk in one run (`make bench`).

Both paths do the same: answer, play a greeting, ring an answering agent (a SIPp phone),
bridge, record the conversation, and end when the caller hangs up after a few seconds.
For rising call rates it prints calls that succeeded and failed, INVITE-to-200 time (median,
95th percentile), the Stasis process's CPU and memory, and whether every recording was
stored complete; then Centrala / plain dialplan as ratios. Bounded: each step is a fixed
number of calls at one rate. Everything runs on loopback in a private "bench" instance.

    python bench/calls.py [--rates 10,40,100] [--seconds 8]
"""

from __future__ import annotations

import argparse
import base64
import glob
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SANDBOX = ROOT / "bin" / "asterisk-sandbox"
HTTP, SIP, TLS = 28088, 25060, 25061
CENTRALA_NUMBER, BASELINE_NUMBER, AGENT = "+48221234567", "+48221234599", "200"
CALLER, AGENT_ADDRESS = "127.0.0.2", "127.0.0.5"


@dataclass
class Step:
    path: str
    rate: int
    calls: int
    ok: int
    failed: int
    median_ms: float
    p95_ms: float
    cpu_percent: float = 0.0
    rss_mb: float = 0.0


def sandbox(*args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([str(SANDBOX), *args], capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(f"asterisk-sandbox {' '.join(args)} failed: {result.stderr or result.stdout}")
    return result.stdout.strip()


def environment() -> dict[str, str]:
    root = sandbox("root")
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "1", "LOG_LEVEL": "WARNING",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/centrala_bench_calls",
        "ARI_URL": f"http://127.0.0.1:{HTTP}/ari", "ARI_USER": "centrala-bench", "ARI_APP": "centrala-bench",
        "ARI_PASSWORD": secrets.token_hex(16), "ASTERISK_HTTP_PORT": str(HTTP), "ASTERISK_SIP_PORT": str(SIP),
        "ASTERISK_TLS_PORT": str(TLS), "ASTERISK_RTP_START": "14000", "ASTERISK_RTP_END": "15999",
        "ASTERISK_CONFIG_DIR": sandbox("etc-dir", "bench"), "ASTERISK_CHROOT": root, "TRUNK_MATCH": CALLER,
        "CENTRALA_MEDIA_ROOT": tempfile.mkdtemp(prefix="centrala-bench-media-"),
        "RECORDING_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }  # fmt: skip


BASELINE_DIALPLAN = f"""; Added by bench/calls.py: the benchmark's baseline, the same call in plain dialplan.
[from-trunk]
exten => {BASELINE_NUMBER},1,Answer()
 same => n,Playback(hello-world)
 same => n,MixMonitor(bench-${{UNIQUEID}}.wav)
 same => n,Dial(PJSIP/{AGENT},20)
 same => n,Hangup()
"""


def configure() -> str:
    """The office: a greeting, then ring the agent; every inbound call recorded. Returns the
    agent's SIP password."""
    from django.core.management import call_command
    from django.db import connection

    from company_numbers.models import CompanyNumber
    from compliance.models import ProcessingPurpose
    from pbx.actions import do_create_extension
    from pbx.asterisk_config import apply_config
    from pbx.models import Destination, Extension, Prompt, Scenario
    from recordings.models import RecordingRule

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE recordings_recording, pbx_call, numbers_companynumber, pbx_scenario, "
                       "pbx_destination, pbx_extension, recordings_recordingrule CASCADE")  # fmt: skip
    agent, password = do_create_extension(AGENT, "Agent")
    Extension.objects.filter(pk=agent.pk).update(plain_sip=True)
    greeting = Prompt.objects.get_or_create(name="Powitanie", sound="hello-world")[0]
    # One announcement, as in the baseline: the recording notice (the greeting), then the agent.
    ring = Destination.objects.create(name="Agent", kind="extension", extension=agent, seconds=20)
    CompanyNumber.objects.create(e164=CENTRALA_NUMBER, scenario=Scenario.objects.create(name="Biuro", when_open=ring))
    purpose = ProcessingPurpose.objects.get_or_create(name="Benchmark", defaults={
        "legal_basis": "6.1.f", "retention_days": 1, "announcement": greeting, "notice_text": "-"})[0]  # fmt: skip
    RecordingRule.objects.create(name="Wszystko", mode="always", purpose=purpose)
    etc = Path(os.environ["ASTERISK_CONFIG_DIR"])
    apply_config(etc, reload=False)
    # The baseline goes into the rendered files for this run only: production never has it,
    # nor the two dialplan applications it needs.
    with (etc / "extensions.conf").open("a") as rendered:
        rendered.write("\n" + BASELINE_DIALPLAN)
    with (etc / "modules.conf").open("a") as rendered:
        rendered.write("\nload = app_dial.so\nload = app_mixmonitor.so\n")
    return password


def sipp(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SANDBOX), "exec", "sipp", *args], capture_output=True, text=True, timeout=timeout,
                          check=False)  # fmt: skip


def start_agent(password: str) -> subprocess.Popen[str]:
    base = [f"127.0.0.1:{SIP}", "-i", AGENT_ADDRESS, "-mi", AGENT_ADDRESS, "-p", "5096", "-nostdin"]
    registered = sipp(*base, "-sf", "/srv/centrala/sipp/agent_registers.xml", "-set", "ext", AGENT, "-m", "1",
                      "-au", AGENT, "-ap",
                      password, "-timeout", "10s", "-timeout_error", timeout=30)  # fmt: skip
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
    from pbx.ari.client import run_with_ari

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        endpoints = run_with_ari(lambda ari: ari.endpoints("PJSIP"))
        if any(e["resource"] == extension and e.get("state") == "online" for e in endpoints):
            return True
        time.sleep(0.5)
    return False


def run_calls(path: str, number: str, rate: int, seconds: int, stasis_pid: int, root: Path) -> Step:
    calls = rate * seconds
    for old in glob.glob(str(root / "caller_*_rtt.csv")):
        os.unlink(old)
    cpu_before, wall_before = cpu_seconds(stasis_pid), time.monotonic()
    result = sipp(f"127.0.0.1:{SIP}", "-sf", "/srv/centrala/bench/caller.xml", "-s", number, "-i", CALLER,
                  "-mi", CALLER, "-p", "5070", "-r", str(rate), "-m", str(calls), "-l", str(rate * 30),
                  "-timeout", f"{seconds + 60}s", "-nostdin", "-trace_rtt", "-rtt_freq", "1",
                  timeout=seconds + 120)  # fmt: skip
    cpu = (cpu_seconds(stasis_pid) - cpu_before) / (time.monotonic() - wall_before) * 100
    times = sorted(float(line.split(";")[1]) for f in glob.glob(str(root / "caller_*_rtt.csv"))
                   for line in Path(f).read_text().splitlines()[1:] if line.count(";") >= 2)  # fmt: skip
    ok, failed = _count(result.stdout, "Successful call"), _count(result.stdout, "Failed call")
    median = statistics.median(times) if times else float("nan")
    p95 = times[int(len(times) * 0.95) - 1] if len(times) >= 20 else (times[-1] if times else float("nan"))
    return Step(path, rate, calls, ok, failed, median, p95, cpu, rss_mb(stasis_pid))


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


def check_recordings(expected: int, timeout: float = 120) -> tuple[int, int, float]:
    """(stored, intact, median seconds): intact means it decrypts to a WAV file whose length
    is what the header says, and holds more than two seconds of the conversation."""
    import io
    import wave

    from recordings.models import Recording

    deadline = time.monotonic() + timeout
    while Recording.objects.count() < expected and time.monotonic() < deadline:
        time.sleep(1)
    intact, lengths = 0, []
    for recording in Recording.objects.all():
        data = recording.audio()
        with wave.open(io.BytesIO(data)) as audio:
            seconds = audio.getnframes() / audio.getframerate()
            whole = len(data) >= 44 + audio.getnframes() * audio.getsampwidth() * audio.getnchannels()
        lengths.append(seconds)
        intact += whole and seconds > 2
    return Recording.objects.count(), intact, statistics.median(lengths) if lengths else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="10,40,100", help="calls per second, comma separated")
    parser.add_argument("--seconds", type=int, default=8, help="seconds of calls at each rate")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    env = environment()
    os.environ.update(env)
    create_database("centrala_bench_calls")
    import django

    django.setup()
    from pbx.sandbox import copy_scenarios

    password = configure()
    copy_scenarios()
    root = Path(env["ASTERISK_CHROOT"])
    (root / "srv" / "centrala" / "bench").mkdir(parents=True, exist_ok=True)
    for name in ("caller.xml", "agent.xml"):
        (root / "srv" / "centrala" / "bench" / name).write_text((ROOT / "bench" / "sipp" / name).read_text())
    sandbox("stop", "bench")
    sandbox("start", "bench", env={**os.environ})
    stasis_log = Path(tempfile.mkstemp(prefix="centrala-bench-stasis-", suffix=".log")[1])
    with stasis_log.open("w") as out:
        env = {**os.environ, "LOG_LEVEL": "INFO"}
        stasis = subprocess.Popen([sys.executable, "manage.py", "stasis"], cwd=ROOT, env=env, stdout=out,
                                  stderr=subprocess.STDOUT)  # fmt: skip
    steps: list[Step] = []
    try:
        time.sleep(3)
        for rate in rates:
            agent = start_agent(password)
            time.sleep(2)
            try:
                for path, number in (("centrala", CENTRALA_NUMBER), ("dialplan", BASELINE_NUMBER)):
                    steps.append(run_calls(path, number, rate, args.seconds, stasis.pid, root))
                    time.sleep(2)
            finally:
                agent.terminate()
                agent.wait(10)
        stored, intact, median_length = check_recordings(sum(s.ok for s in steps if s.path == "centrala"))
    finally:
        stasis.terminate()
        stasis.wait(30)
        sandbox("stop", "bench")
    report(steps, stored, intact, median_length)
    problems = [line for line in stasis_log.read_text().splitlines() if " ERROR " in line or " WARNING " in line]
    print(f"Stasis app log: {stasis_log} ({len(problems)} warnings and errors)")
    for line in problems[:5]:
        print("  " + line[:200])


def create_database(name: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def report(steps: list[Step], stored: int, intact: int, median_length: float) -> None:
    print(f"\n{'path':<9}{'rate/s':>7}{'calls':>7}{'ok':>6}{'failed':>7}{'INVITE→200 median':>19}{'p95':>9}"
          f"{'Stasis CPU':>12}{'RSS':>8}")  # fmt: skip
    for s in steps:
        cpu = f"{s.cpu_percent:.0f} %" if s.path == "centrala" else "-"
        rss = f"{s.rss_mb:.0f} MB" if s.path == "centrala" else "-"
        print(f"{s.path:<9}{s.rate:>7}{s.calls:>7}{s.ok:>6}{s.failed:>7}{s.median_ms:>16.1f} ms{s.p95_ms:>6.0f} ms"
              f"{cpu:>12}{rss:>8}")  # fmt: skip
    print("\nCentrala / plain dialplan:")
    for rate in sorted({s.rate for s in steps}):
        ours = next(s for s in steps if s.rate == rate and s.path == "centrala")
        base = next(s for s in steps if s.rate == rate and s.path == "dialplan")
        share = (ours.ok / base.ok) if base.ok else float("nan")
        print(f"  {rate:>3}/s: successful calls {share:.2f}, median setup {ours.median_ms / base.median_ms:.2f}x, "
              f"p95 setup {ours.p95_ms / base.p95_ms:.2f}x")  # fmt: skip
    print(
        f"\nrecordings through Centrala: {stored} stored, {intact} intact "
        f"(of {sum(s.ok for s in steps if s.path == 'centrala')} successful calls), median length {median_length:.1f} s"
    )


if __name__ == "__main__":
    main()
