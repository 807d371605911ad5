"""Where a caller's wait for the first sound goes, call by call, from a packet capture of a
`bench/calls.py` run: the probe's SIP and audio and the Stasis app's ARI socket, all on
loopback (docs/benchmark.md, "The first-audio tail was the app's").

    tcpdump -i lo -s 0 -w /tmp/run.pcap 'tcp port 28088 or (udp and host 127.0.0.2 and
        (port 5391 or (dst portrange 32768-60999 and src host 127.0.0.1)))' &
    python bench/calls.py --rates 40 --light-rates ""; kill -INT %1
    python bench/ari_capture.py /tmp/run.pcap

It prints, over every inbound call of the capture, how long the app took to react on its socket
(the StasisStart frame to the answer request, the answer's response to the play request), and
for each probe call the time from its INVITE to each step: Asterisk's StasisStart (its own
stamp, and the frame on the socket), the app's answer request and its response, the 200 OK,
the play request, Asterisk's reply to it (its own stamp: the playback has started; the app
asks Asterisk not to send PlaybackStarted), and the first RTP packet. Needs tshark (Debian's
package)."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

ARI_PORT, PROBE_SIP_PORT, PROBE_CALLER = 28088, 5391, "601999000"
SEPARATOR = "\x1f"
DECODE = f"tcp.port=={ARI_PORT},http"  # ARI's port carries HTTP and its websocket


def tshark(capture: str, display_filter: str, fields: list[str], decode: str = "") -> Iterator[list[str]]:
    """The fields of each packet that passes `display_filter`."""
    argv = ["tshark", "-r", capture, "-Y", display_filter, "-T", "fields", "-E", f"separator={SEPARATOR}"]
    argv += ["-d", decode] if decode else []
    for name in fields:
        argv += ["-e", name]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"tshark could not read {capture}: {result.stderr.strip()}")
    for line in result.stdout.splitlines():
        yield line.split(SEPARATOR)


def stamp(text: str) -> float:
    """An ARI event's timestamp ("2026-12-03T03:24:50.585+0000") as epoch seconds."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


@dataclass
class Channel:
    """What the socket said of one inbound channel, as epoch seconds of the frames."""

    caller: str
    started: float  # the StasisStart frame
    started_stamp: float  # Asterisk's own stamp on it
    answer: float | None = None
    answered: float | None = None  # the answer's response
    play: float | None = None
    playback_stamp: float | None = None  # Asterisk's stamp on its reply to the play (started)


@dataclass
class ProbeCall:
    invite: float
    audio_port: int | None = None
    ok: float | None = None  # the 200 OK to the INVITE
    first_rtp: float | None = None
    channel: Channel | None = None


def read_socket(capture: str) -> dict[str, Channel]:
    """Inbound channels (StasisStart with "inbound"), their answer and play requests."""
    channels: dict[str, Channel] = {}
    answers: dict[str, str] = {}  # request id -> channel
    plays: dict[str, str] = {}
    frames = tshark(capture, "websocket.payload.text", ["frame.time_epoch", "websocket.payload.text"], DECODE)
    for at_text, text in frames:
        at = float(at_text)
        try:
            message: dict[str, Any] = json.loads(text)
        except json.JSONDecodeError:
            continue
        kind = message.get("type")
        if kind == "StasisStart" and (message.get("args") or [""])[0] == "inbound":
            channel = message["channel"]
            channels[channel["id"]] = Channel(channel["caller"]["number"], at, stamp(message["timestamp"]))
        elif kind == "RESTRequest":
            request = re.match(r"channels/([^/?]+)/(answer|play)", message.get("uri", ""))
            if request is None or request.group(1) not in channels:
                continue
            target = channels[request.group(1)]
            if request.group(2) == "answer" and target.answer is None:
                target.answer = at
                answers[message["request_id"]] = request.group(1)
            elif request.group(2) == "play" and target.play is None:
                target.play = at
                plays[message["request_id"]] = request.group(1)
        elif kind == "RESTResponse" and message.get("request_id") in answers:
            target = channels[answers.pop(message["request_id"])]
            target.answered = target.answered or at
        elif kind == "RESTResponse" and message.get("request_id") in plays:
            target = channels[plays.pop(message["request_id"])]
            if message.get("status_code") == 201:
                target.playback_stamp = stamp(message["timestamp"])
    return channels


def read_probe(capture: str, channels: dict[str, Channel]) -> list[ProbeCall]:
    """The probe's calls (its SIP port), each with its first audio and its channel."""
    calls: dict[str, ProbeCall] = {}
    sip = tshark(
        capture,
        f"sip && udp.port=={PROBE_SIP_PORT}",
        ["frame.time_epoch", "sip.Method", "sip.Status-Code", "sip.Call-ID", "sip.CSeq.method", "sdp.media.port"],
        "udp.port==25060,sip",
    )
    for at_text, method, status, call_id, cseq, port in sip:
        at = float(at_text)
        if method == "INVITE":
            calls[call_id] = ProbeCall(at, int(port.split(",")[0]) if port else None)
        elif status == "200" and cseq == "INVITE" and call_id in calls:
            calls[call_id].ok = calls[call_id].ok or at
    audio: dict[int, list[float]] = {}
    packets = tshark(
        capture, f"udp && ip.dst==127.0.0.2 && udp.dstport!={PROBE_SIP_PORT}", ["frame.time_epoch", "udp.dstport"]
    )
    for at_text, port_text in packets:
        audio.setdefault(int(port_text), []).append(float(at_text))
    ours = sorted((c for c in channels.values() if PROBE_CALLER in c.caller), key=lambda c: c.started)
    probes = sorted(calls.values(), key=lambda p: p.invite)
    for probe in probes:
        probe.first_rtp = next((t for t in audio.get(probe.audio_port or 0, []) if t > probe.invite), None)
        probe.channel = next((c for c in ours if probe.invite <= c.started < probe.invite + 5), None)
    return probes


def spread(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:42s} none"
    values = sorted(values)

    def at(share: float) -> float:
        return values[min(len(values) - 1, int(share * len(values)))]

    return (
        f"{name:42s} {len(values):5d} calls: median {at(0.5):6.1f}, p90 {at(0.9):6.1f}, p95 {at(0.95):6.1f}, "
        f"p99 {at(0.99):6.1f}, max {values[-1]:6.1f} ms"
    )


def ms(later: float | None, earlier: float | None) -> float:
    return (later - earlier) * 1000 if later is not None and earlier is not None else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("capture", help="a pcap file of the run (see above)")
    parser.add_argument("--slowest", type=int, default=10, help="probe calls to show, the slowest")
    args = parser.parse_args()
    channels = read_socket(args.capture)
    calls = list(channels.values())
    print("The app's reactions on its ARI socket, every inbound call:")
    print(spread("StasisStart frame to answer request", [ms(c.answer, c.started) for c in calls if c.answer]))
    print(spread("answer request to its response (Asterisk)", [ms(c.answered, c.answer) for c in calls if c.answered]))
    print(spread("answer response to play request", [ms(c.play, c.answered) for c in calls if c.play and c.answered]))
    print(spread("StasisStart frame to play request", [ms(c.play, c.started) for c in calls if c.play]))
    started = [ms(c.playback_stamp, c.play) for c in calls if c.play and c.playback_stamp]
    print(spread("play request to the playback started (Asterisk's stamp)", started))
    probes = [p for p in read_probe(args.capture, channels) if p.channel is not None and p.first_rtp is not None]
    if not probes:
        print("\nNo probe call with its channel and audio in the capture.")
        return
    first = min(c.started for c in calls)
    print(f"\nThe probe's calls ({len(probes)}), ms after the INVITE, the slowest to their first audio:")
    heads = ["at (s)", "StasisStart", "its frame", "answer", "answered", "200 OK", "play", "started", "first RTP"]
    print(" ".join(f"{h:>11s}" for h in heads))
    for probe in sorted(probes, key=lambda p: ms(p.first_rtp, p.invite))[-args.slowest :]:
        c = probe.channel
        assert c is not None
        steps = [c.started_stamp, c.started, c.answer, c.answered, probe.ok, c.play, c.playback_stamp, probe.first_rtp]
        print(f"{probe.invite - first:11.1f} " + " ".join(f"{ms(s, probe.invite):11.1f}" for s in steps))
    print("\n(at: seconds after the capture's first inbound call; Asterisk stamps events to the millisecond.)")


if __name__ == "__main__":
    main()
