"""Time to first audio, as a caller hears it: from sending the INVITE to the first RTP packet
of the greeting arriving at the caller's audio port. SIPp cannot tell this (its per-call times
end at the 200 OK), so a probe places its own calls beside SIPp's load, as the carrier (from
the carrier's address, its own port), one after another, and hangs each up once it has heard
the first packet."""

from __future__ import annotations

import contextlib
import re
import secrets
import socket
import struct
import threading
import time

from tests.e2e.sip_phone import SipPhone

PROBE_CALLER = "+48601999000"
SILENCE = b"\xd5" * 160  # 20 ms of PCMA silence


def _media_address(sdp: str) -> tuple[str, int]:
    """Where Asterisk wants the caller's audio, from its answer's SDP."""
    address = re.search(r"^c=IN IP4 (\S+)", sdp, re.M)
    port = re.search(r"^m=audio (\d+)", sdp, re.M)
    if address is None or port is None:
        raise AssertionError("no audio address in the answer")
    return address.group(1), int(port.group(1))


class FirstAudioProbe:
    """Calls `number` every `every` seconds in a thread until stopped; `times_ms` are what it
    measured, `invited` when each of those calls began (epoch seconds, the same order),
    `failures` the calls that were refused or stayed silent for `patience` seconds."""

    def __init__(self, number: str, server: tuple[str, int], host: str, port: int, every: float = 0.3) -> None:
        self.number, self.every = number, every
        self.phone = SipPhone(PROBE_CALLER, "", server, host=host, port=port)
        self.times_ms: list[float] = []
        self.invited: list[float] = []
        self.failures = 0
        self.patience = 5.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="first-audio-probe", daemon=True)

    def __enter__(self) -> FirstAudioProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)
        self.phone.close(unregister=False)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._probe()

    def _probe(self) -> None:
        phone, started, invited = self.phone, time.monotonic(), time.time()
        try:
            dialog = phone.call(self.number)  # returns once answered (and acknowledged)
        except (AssertionError, OSError):  # refused, or no answer
            self.failures += 1
            return
        audio = next(sock for sock in phone._audio if sock.getsockname()[1] == dialog.rtp_port)
        try:
            heard = self._listen(audio, _media_address(dialog.remote_sdp), started)
            with contextlib.suppress(AssertionError, OSError):
                phone.hang_up(dialog)
        except (AssertionError, OSError):
            heard = None
        finally:
            phone._audio.remove(audio)
            audio.close()
        if heard is None:
            self.failures += 1
        else:
            self.times_ms.append(heard)
            self.invited.append(invited)

    def heard_between(self, start: float, end: float) -> list[float]:
        """The times of the calls that began in [start, end) (epoch seconds), sorted."""
        return sorted(ms for ms, at in zip(self.times_ms, self.invited, strict=True) if start <= at < end)

    def _listen(self, audio: socket.socket, far_end: tuple[str, int], started: float) -> float | None:
        """Talk as a phone does (a packet of silence every 20 ms: Asterisk's Answer() waits up
        to 500 ms for the caller's first frame) until the first packet arrives; its time in ms."""
        deadline, sequence = started + self.patience, secrets.randbelow(60000)
        ssrc = secrets.token_bytes(4)
        audio.settimeout(0.02)
        while time.monotonic() < deadline:
            header = struct.pack("!BBHI", 0x80, 8, sequence & 0xFFFF, (sequence * 160) & 0xFFFFFFFF) + ssrc
            audio.sendto(header + SILENCE, far_end)
            sequence += 1
            try:
                audio.recvfrom(2048)
                return (time.monotonic() - started) * 1000
            except TimeoutError:
                continue
        return None
