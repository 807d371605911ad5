"""Write RFC 2833 DTMF as a pcap SIPp can play. SIPp's own captures all carry the same RTP
timestamps, so a second digit from them looks like a repeat of the first to Asterisk; here
each digit gets its own timestamp, as a real phone sends it."""

from __future__ import annotations

import struct
from pathlib import Path

EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}
PAYLOAD_TYPE = 101
PACKET_MS = 20


def _packet(seq: int, timestamp: int, marker: bool, event: int, end: bool, duration: int) -> bytes:
    rtp = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | PAYLOAD_TYPE, seq & 0xFFFF, timestamp, 0x43454E54)
    return _frame(rtp + struct.pack("!BBH", event, (0x80 if end else 0) | 10, duration))


def _frame(rtp: bytes) -> bytes:
    """An RTP packet in UDP, IPv4 and Ethernet (no addresses needed, type IPv4)."""
    udp = struct.pack("!HHHH", 6000, 6000, 8 + len(rtp), 0) + rtp
    loopback = bytes([127, 0, 0, 1])
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, loopback, loopback) + udp
    return b"\x00" * 12 + b"\x08\x00" + ip


def _audio(seq: int, clock_ms: int) -> bytes:
    """One 20 ms packet of A-law audio (a quiet buzz), so that a recording has something to hear."""
    samples = bytes(0xD5 ^ (0x10 if n % 8 < 4 else 0) for n in range(160))
    return _frame(struct.pack("!BBHII", 0x80, 8, seq & 0xFFFF, clock_ms * 8, 0x43454E54) + samples)


def _renumber(frame: bytes, seq: int) -> bytes:
    """The frame with RTP sequence number `seq` (sequence numbers follow the send order)."""
    offset = 14 + 20 + 8 + 2  # Ethernet, IPv4, UDP headers, then RTP's first two bytes
    return frame[:offset] + struct.pack("!H", seq & 0xFFFF) + frame[offset + 2 :]


def write_dtmf_pcap(path: Path, keys: str, first: int = 1, gap_ms: int = 400, tone_ms: int = 120) -> None:
    """One digit after another, each `tone_ms` long, `gap_ms` apart (by the pcap clock).

    Digits get RTP timestamps 8000*first, 8000*(first+1)...: captures played on one call must
    not overlap, or Asterisk takes a digit for a repeat of an earlier one.
    """
    presses, clock_ms = [], 0
    for key in keys:
        presses.append((clock_ms, key))
        clock_ms += tone_ms + gap_ms
    write_key_presses(path, presses, first=first, tone_ms=tone_ms)


def write_key_presses(
    path: Path, presses: list[tuple[int, str]], first: int = 1, tone_ms: int = 120, audio_ms: int = 0
) -> None:
    """Keys at the given milliseconds after the capture starts playing (at the call's answer).

    With `audio_ms`, the caller also speaks (audio every 20 ms from 0 to `audio_ms`, but while
    a key is pressed), as a phone sends it: Asterisk ends a recording that hears nothing for 4 s.
    Audio from 0 ms also anchors the clock, since SIPp replays a capture from its first packet.
    """
    records: list[tuple[int, bytes]] = []
    pressed = [range(ms, ms + tone_ms + 3 * PACKET_MS) for ms, _ in presses]
    for ms in range(0, audio_ms, PACKET_MS):
        if not any(ms in span for span in pressed):
            records.append((ms, _audio(0, ms)))
    seq = 1
    for index, (clock_ms, key) in enumerate(presses):
        timestamp = 8000 * (first + index)  # a new RTP timestamp per digit
        steps = tone_ms // PACKET_MS
        for n in range(steps):
            records.append((clock_ms, _packet(seq, timestamp, n == 0, EVENTS[key], False, (n + 1) * 160)))
            seq, clock_ms = seq + 1, clock_ms + PACKET_MS
        for _ in range(3):  # the end packet, sent three times as RFC 4733 asks
            records.append((clock_ms, _packet(seq, timestamp, False, EVENTS[key], True, steps * 160)))
            seq = seq + 1
    records.sort(key=lambda record: record[0])
    records = [(ms, _renumber(frame, seq)) for seq, (ms, frame) in enumerate(records, start=1)]
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    body = b"".join(
        struct.pack("<IIII", ms // 1000, (ms % 1000) * 1000, len(frame), len(frame)) + frame for ms, frame in records
    )
    path.write_bytes(header + body)
