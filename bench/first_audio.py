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
import statistics
import struct
import threading
import time

from tests.e2e.sip_phone import Dialog, SipPhone, tag_of, uri_of

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
    measured, `failures` the calls that were refused or stayed silent for `patience` seconds."""

    def __init__(self, number: str, server: tuple[str, int], host: str, port: int, every: float = 0.3) -> None:
        self.number, self.every = number, every
        self.phone = SipPhone(PROBE_CALLER, "", server, host=host, port=port)
        self.times_ms: list[float] = []
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
        self.phone._stop.set()  # no registration to undo: close without one
        self.phone._reader.join(2)
        for sock in [self.phone.sock, *self.phone._audio]:
            sock.close()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._probe()

    def _probe(self) -> None:
        phone, started = self.phone, time.monotonic()
        call_id, tag = f"{secrets.token_hex(8)}@{phone.host}", secrets.token_hex(4)
        port = phone._audio_port()
        audio = phone._audio[-1]
        uri = f"sip:{self.number}@{phone.server[0]}:{phone.server[1]}"
        try:
            response, _ = phone._request(
                "INVITE",
                uri,
                [
                    f"From: <{phone.aor}>;tag={tag}",
                    f"To: <sip:{self.number}@{phone.server[0]}>",
                    f"Contact: <sip:{phone.login}@{phone.host}:{phone.port}>",
                ],
                body=phone._sdp(port),
                call_id=call_id,
            )
            if response.status != 200:
                self.failures += 1
                return
            dialog = Dialog(
                call_id=call_id,
                local_tag=tag,
                remote_tag=tag_of(response.header("To")),
                local_uri=phone.aor,
                remote_uri=uri_of(response.header("To")),
                remote_target=uri_of(response.header("Contact")),
                rtp_port=port,
                cseq=int(response.header("CSeq").split()[0]),
            )
            phone.dialogs[call_id] = dialog
            phone._in_dialog(dialog, "ACK", cseq=dialog.cseq)
            heard = self._listen(audio, _media_address(response.body), started)
            if heard is None:
                self.failures += 1
            else:
                self.times_ms.append(heard)
            with contextlib.suppress(AssertionError, OSError):
                phone.hang_up(dialog)
        except (AssertionError, OSError):
            self.failures += 1
        finally:
            phone._audio.remove(audio)
            audio.close()

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

    def summary(self) -> tuple[float, float]:
        """Median and 95th percentile in ms (NaN when nothing was measured)."""
        times = sorted(self.times_ms)
        if not times:
            return float("nan"), float("nan")
        return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]
