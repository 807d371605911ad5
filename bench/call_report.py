"""What bench/calls.py measures in a step (`Step`) and how it prints the steps side by side:
Centrala against plain dialplan, against the bare ARI handler and against several Stasis
workers; first audio; CPU per call."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

FULL_CALL_SECONDS = 10  # the full call's caller hangs up after this (bench/sipp/caller.xml)


@dataclass
class Step:
    call: str  # "full" or "light"
    path: str  # "centrala", "dialplan", "notes" (the sandbox-notes reference) or "bare" (bare ARI)
    rate: int
    calls: int
    ok: int
    failed: int
    median_ms: float
    p95_ms: float
    cpu_percent: float = 0.0
    rss_mb: float = 0.0
    asterisk_cpu: float = 0.0  # Asterisk's CPU over the step, in % of one core
    started: float = 0.0  # epoch seconds: the calls of this step began in [started, ended)
    ended: float = 0.0
    stored: int = 0  # full call through Centrala: recordings stored, and intact of them
    intact: int = 0
    talk_median: float = float("nan")  # seconds of conversation in the recordings, median
    bridged: int = 0  # full call through Centrala: callers the app connected to the agent
    last_stored_after: float = float("nan")  # seconds from the step's end to its last recording stored
    first_audio_ms: tuple[float, float] = (float("nan"), float("nan"))  # full call: median, p95
    first_audio_probes: tuple[int, int] = (0, 0)  # probe calls heard, and refused or silent
    # the same, of the probe calls placed while callers both arrived and hung up (the steady state)
    first_audio_steady_ms: tuple[float, float] = (float("nan"), float("nan"))
    first_audio_steady_heard: int = 0
    stasis_cpu_s: float = 0.0  # CPU seconds over the step: the Stasis app's, and Asterisk's
    asterisk_cpu_s: float = 0.0

    def per_call_ms(self, cpu_s: float) -> float:
        """CPU per call made, in ms (the step's CPU over its calls, whatever their outcome)."""
        return cpu_s * 1000 / self.calls if self.calls else float("nan")


def median_and_p95(times: list[float]) -> tuple[float, float]:
    """Of sorted times: the median and the 95th percentile (the slowest, under 20 times)."""
    if not times:
        return float("nan"), float("nan")
    return statistics.median(times), times[int(len(times) * 0.95) - 1] if len(times) >= 20 else times[-1]


def side_by_side(steps: list[Step], call: str = "", other: str = "dialplan") -> list[tuple[str, int, Step, Step]]:
    """(call, rate, through Centrala, through `other`) for each call and rate at which `other`
    was measured (of `call` only): dialplan, the bare handler, or several Stasis processes."""
    found = {(s.call, s.rate, s.path): s for s in reversed(steps)}  # the first step of each wins
    return [
        (kind, rate, found[(kind, rate, "centrala")], found[(kind, rate, other)])
        for kind, rate in sorted({(s.call, s.rate) for s in steps if s.path == other and call in ("", s.call)})
    ]


def _first_audio(ari: tuple[float, float], ari_heard: str, dialplan: tuple[float, float], dialplan_heard: str) -> str:
    """Centrala's first audio (median, p95) against dialplan's, and the difference of the p95s."""
    return (
        f"Centrala median {ari[0]:.1f} ms, p95 {ari[1]:.1f} ms ({ari_heard}); dialplan median {dialplan[0]:.1f} ms, "
        f"p95 {dialplan[1]:.1f} ms{dialplan_heard}; p95 difference {ari[1] - dialplan[1]:+.1f} ms"
    )


def report(steps: list[Step], recordings_via: str) -> None:
    print(
        f"\n{'call':<6}{'path':<9}{'rate/s':>7}{'calls':>7}{'ok':>6}{'failed':>7}{'INVITE→200 median':>19}"
        f"{'p95':>9}{'Asterisk CPU':>14}{'Stasis CPU':>12}{'RSS':>8}{'bridged':>9}{'stored':>9}{'intact':>8}"
        f"{'talk':>7}{'last stored':>13}"
    )
    for s in steps:
        ours = s.path in ("centrala", "bare") or s.path.startswith("split")  # (a bare handler's CPU too)
        full = ours and s.call == "full"
        cpu = f"{s.cpu_percent:.0f} %" if ours else "-"
        rss = f"{s.rss_mb:.0f} MB" if ours else "-"
        bridged = f"{s.bridged}/{s.calls}" if full else "-"
        stored = f"{s.stored}/{s.bridged}" if full else "-"
        intact = f"{s.intact}/{s.stored}" if full else "-"
        talk = f"{s.talk_median:.1f} s" if full and s.talk_median == s.talk_median else "-"
        last = f"+{s.last_stored_after:.0f} s" if full and s.last_stored_after == s.last_stored_after else "-"
        print(
            f"{s.call:<6}{s.path:<9}{s.rate:>7}{s.calls:>7}{s.ok:>6}{s.failed:>7}{s.median_ms:>16.1f} ms"
            f"{s.p95_ms:>6.0f} ms{s.asterisk_cpu:>12.0f} %{cpu:>12}{rss:>8}{bridged:>9}{stored:>9}{intact:>8}"
            f"{talk:>7}{last:>13}"
        )
    print(
        "(bridged: callers the app connected to the agent / calls, from the call history;\n stored: recordings"
        f" stored / bridged calls, through the {recordings_via}; intact: whole WAV audio / stored;\n talk: median"
        " length of the recordings (of the caller's 10 s); last stored: seconds after the step's last call ended)"
    )
    print("\nCentrala / plain dialplan:")
    for kind, rate, via_ari, via_dialplan in side_by_side(steps):
        share = (via_ari.ok / via_dialplan.ok) if via_dialplan.ok else float("nan")
        print(
            f"  {kind:<5} {rate:>3}/s: successful calls {share:.2f}, median setup "
            f"{via_ari.median_ms / via_dialplan.median_ms:.2f}x, p95 setup {via_ari.p95_ms / via_dialplan.p95_ms:.2f}x"
        )
    print("\nCentrala / a bare ARI handler (bench/ari_transport.py, requests over the event socket):")
    for _, rate, via_ari, bare in side_by_side(steps, "light", "bare"):
        print(
            f"  light {rate:>3}/s: median setup {via_ari.median_ms:.1f} ms against {bare.median_ms:.1f} ms "
            f"({via_ari.median_ms / bare.median_ms:.2f}x), p95 {via_ari.p95_ms:.0f} against {bare.p95_ms:.0f} ms; "
            f"calls {via_ari.ok}/{via_ari.calls} against {bare.ok}/{bare.calls}; app CPU per call "
            f"{via_ari.per_call_ms(via_ari.stasis_cpu_s):.2f} ms against {bare.per_call_ms(bare.stasis_cpu_s):.2f} ms"
        )
    split = [path for path in dict.fromkeys(s.path for s in steps) if path.startswith("split")]
    if split:
        print("\nThe light call over several Stasis workers against one (--split, STASIS_WORKERS):")
    for _, _, one, many in (pair for path in split for pair in side_by_side(steps, "light", path)):
        print(
            f"  light {many.rate:>3}/s, {many.path}: median setup {many.median_ms:.1f} ms "
            f"against {one.median_ms:.1f} ms, "
            f"p95 {many.p95_ms:.0f} against {one.p95_ms:.0f} ms; calls {many.ok}/{many.calls} against "
            f"{one.ok}/{one.calls}; CPU per call, all processes {many.per_call_ms(many.stasis_cpu_s):.2f} ms against "
            f"{one.per_call_ms(one.stasis_cpu_s):.2f} ms"
        )
    print("\nTime to first audio (INVITE to the greeting's first RTP packet at a probe caller, beside the load):")
    for _, rate, via_ari, via_dialplan in side_by_side(steps, "full"):
        heard, not_heard = via_ari.first_audio_probes
        line = _first_audio(via_ari.first_audio_ms, f"{heard} heard, {not_heard} not", via_dialplan.first_audio_ms, "")
        print(f"  full  {rate:>3}/s: {line}")
        if not (via_ari.first_audio_steady_heard and via_dialplan.first_audio_steady_heard):
            print(f"    while callers also hang up: no probe call (steps of over {FULL_CALL_SECONDS} s have some)")
            continue
        line = _first_audio(
            via_ari.first_audio_steady_ms,
            f"{via_ari.first_audio_steady_heard} heard",
            via_dialplan.first_audio_steady_ms,
            f" ({via_dialplan.first_audio_steady_heard})",
        )
        print(f"    while callers also hang up: {line}")
    print("\nCPU per call (ms of one core, the step's CPU over its calls):")
    for kind, rate, via_ari, via_dialplan in side_by_side(steps):
        ari_ms = via_ari.per_call_ms(via_ari.asterisk_cpu_s)
        dialplan_ms = via_dialplan.per_call_ms(via_dialplan.asterisk_cpu_s)
        print(
            f"  {kind:<5} {rate:>3}/s: Stasis app {via_ari.per_call_ms(via_ari.stasis_cpu_s):.2f} ms; "
            f"Asterisk {ari_ms:.2f} ms through Centrala, {dialplan_ms:.2f} ms in dialplan ({ari_ms / dialplan_ms:.2f}x)"
        )
