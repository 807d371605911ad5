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
    payload = struct.pack("!BBH", event, (0x80 if end else 0) | 10, duration)
    udp_body = rtp + payload
    udp = struct.pack("!HHHH", 6000, 6000, 8 + len(udp_body), 0) + udp_body
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, bytes([127, 0, 0, 1]),
                     bytes([127, 0, 0, 1])) + udp  # fmt: skip
    return b"\x00" * 12 + b"\x08\x00" + ip  # Ethernet: no addresses needed, type IPv4


def write_dtmf_pcap(path: Path, keys: str, first: int = 1, gap_ms: int = 400, tone_ms: int = 120) -> None:
    """One digit after another, each `tone_ms` long, `gap_ms` apart (by the pcap clock).

    Digits get RTP timestamps 8000*first, 8000*(first+1)...: captures played on one call must
    not overlap, or Asterisk takes a digit for a repeat of an earlier one.
    """
    records, seq, clock_ms = [], 1, 0
    for index, key in enumerate(keys):
        timestamp = 8000 * (first + index)  # a new RTP timestamp per digit
        steps = tone_ms // PACKET_MS
        for n in range(steps):
            records.append((clock_ms, _packet(seq, timestamp, n == 0, EVENTS[key], False, (n + 1) * 160)))
            seq, clock_ms = seq + 1, clock_ms + PACKET_MS
        for _ in range(3):  # the end packet, sent three times as RFC 4733 asks
            records.append((clock_ms, _packet(seq, timestamp, False, EVENTS[key], True, steps * 160)))
            seq = seq + 1
        clock_ms += gap_ms
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    body = b"".join(
        struct.pack("<IIII", ms // 1000, (ms % 1000) * 1000, len(frame), len(frame)) + frame for ms, frame in records
    )
    path.write_bytes(header + body)
