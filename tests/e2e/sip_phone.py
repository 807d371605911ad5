"""A scripted SIP phone for what neither SIPp nor Debian's baresip can do: one phone on two
calls at once, then an attended transfer (REFER with Replaces, RFC 3891) joining them.

Plain SIP over UDP from loopback (the extension must be a plain-SIP test phone), digest
authentication, one audio line per call that nobody listens to (Asterisk needs an address to
send to, not a listener). A reader thread answers Asterisk's OPTIONS and NOTIFYs at once, as
a phone does, and queues everything else for the test, which waits for what it expects with
`expect`. Test code only; not a SIP stack."""

from __future__ import annotations

import contextlib
import hashlib
import queue
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import quote


@dataclass
class Message:
    first_line: str
    headers: list[tuple[str, str]]
    body: str = ""

    @property
    def is_request(self) -> bool:
        return not self.first_line.startswith("SIP/2.0")

    @property
    def method(self) -> str:
        return self.first_line.split(" ", 1)[0] if self.is_request else self.header("CSeq").split()[-1]

    @property
    def status(self) -> int:
        return 0 if self.is_request else int(self.first_line.split()[1])

    def header(self, name: str) -> str:
        return next((v for n, v in self.headers if n.lower() == name.lower()), "")

    def all(self, name: str) -> list[str]:
        return [v for n, v in self.headers if n.lower() == name.lower()]

    @property
    def call_id(self) -> str:
        return self.header("Call-ID")


COMPACT = {
    "i": "Call-ID",
    "f": "From",
    "t": "To",
    "v": "Via",
    "m": "Contact",
    "l": "Content-Length",
    "c": "Content-Type",
}


def parse(data: bytes) -> Message:
    head, _, body = data.decode("utf-8", "replace").partition("\r\n\r\n")
    lines = head.split("\r\n")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((COMPACT.get(name.strip(), name.strip()), value.strip()))
    return Message(lines[0], headers, body)


def tag_of(value: str) -> str:
    found = re.search(r";\s*tag=([^;>\s]+)", value)
    return found.group(1) if found else ""


def uri_of(value: str) -> str:
    found = re.search(r"<([^>]+)>", value)
    return found.group(1) if found else value.split(";")[0].strip()


@dataclass
class Dialog:
    call_id: str
    local_tag: str
    remote_tag: str
    local_uri: str  # ours, with no tag
    remote_uri: str
    remote_target: str  # where in-dialog requests go (the other side's Contact)
    rtp_port: int
    cseq: int = 1
    remote_sdp: str = ""  # the other side's session description (where it wants our audio)
    ended: threading.Event = field(default_factory=threading.Event)

    def replaces(self) -> str:
        """This dialog as the far side (Asterisk) knows it, for a Replaces parameter."""
        return f"{self.call_id};to-tag={self.remote_tag};from-tag={self.local_tag}"


class SipPhone:
    def __init__(
        self,
        login: str,
        password: str,
        server: tuple[str, int],
        host: str = "127.0.0.5",
        port: int = 5300,
        rings_only: bool = False,
    ):
        self.login, self.password, self.server = login, password, server
        self.rings_only = rings_only  # every call rings until the caller gives up; none is answered
        self._ringing: dict[str, Message] = {}
        self.host, self.port = host, port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.sock.settimeout(0.2)
        self.inbox: queue.Queue[Message] = queue.Queue()
        self.dialogs: dict[str, Dialog] = {}
        self._audio: list[socket.socket] = []
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read, name=f"sip-phone-{login}", daemon=True)
        self._reader.start()

    # --- wire -----------------------------------------------------------------------------

    def _send(self, text: str) -> None:
        self.sock.sendto(text.encode(), self.server)

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                data, _ = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            message = parse(data)
            if self.rings_only and message.is_request and message.method in ("INVITE", "CANCEL"):
                self._ring(message)
                continue
            if message.is_request and message.method in ("OPTIONS", "NOTIFY", "BYE"):
                self.reply(message, 200)  # a phone answers these at once
                if message.method == "BYE" and (dialog := self.dialogs.get(message.call_id)):
                    dialog.ended.set()
            if message.method != "OPTIONS":
                self.inbox.put(message)

    def _ring(self, request: Message) -> None:
        if request.method == "INVITE":
            self._ringing.setdefault(request.call_id, request)
            self.reply(request, 180, "Ringing", to_tag=f"ring{abs(hash(request.call_id)) % 10**8}")
            return
        self.reply(request, 200)  # CANCEL: the INVITE it cancels ends with 487
        invite = self._ringing.pop(request.call_id, None)
        if invite is not None:
            self.reply(invite, 487, "Request Terminated", to_tag=f"ring{abs(hash(request.call_id)) % 10**8}")

    def reply(self, request: Message, status: int, reason: str = "OK", to_tag: str = "", body: str = "") -> None:
        to = request.header("To")
        if to_tag and not tag_of(to):
            to = f"{to};tag={to_tag}"
        lines = [f"SIP/2.0 {status} {reason}"]
        lines += [f"Via: {via}" for via in request.all("Via")]
        lines += [f"From: {request.header('From')}", f"To: {to}", f"Call-ID: {request.call_id}"]
        lines += [f"CSeq: {request.header('CSeq')}", f"Contact: <sip:{self.login}@{self.host}:{self.port}>"]
        self._send(self._with_body(lines, body))

    @staticmethod
    def _with_body(lines: list[str], body: str) -> str:
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body.encode())}")
        return "\r\n".join(lines) + "\r\n\r\n" + body

    def expect(self, wanted: Callable[[Message], bool], timeout: float = 10.0) -> Message:
        """The next message `wanted` accepts; others that arrive meanwhile are dropped."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = self.inbox.get(timeout=left)
            except queue.Empty:
                break
            if wanted(message):
                return message
        raise AssertionError(f"{self.login}: nothing wanted arrived within {timeout} s")

    def _request(
        self, method: str, uri: str, headers: list[str], body: str = "", call_id: str = "", cseq: int = 1
    ) -> tuple[Message, list[str]]:
        """Send a request (with digest authentication if challenged); its final response."""
        sent = list(headers)
        for _ in range(2):
            branch = "z9hG4bK" + secrets.token_hex(8)
            lines = [
                f"{method} {uri} SIP/2.0",
                f"Via: SIP/2.0/UDP {self.host}:{self.port};rport;branch={branch}",
                "Max-Forwards: 70",
                f"Call-ID: {call_id}",
                f"CSeq: {cseq} {method}",
                *sent,
            ]
            self._send(self._with_body(lines, body))
            response = self.expect(lambda m: not m.is_request and m.call_id == call_id and m.status >= 200, 10)
            if method == "INVITE" and response.status >= 300:  # acknowledged here; a 2xx by the caller
                self._send(
                    "\r\n".join(
                        [
                            f"ACK {uri} SIP/2.0",
                            f"Via: SIP/2.0/UDP {self.host}:{self.port};rport;branch={branch}",
                            "Max-Forwards: 70",
                            f"From: {response.header('From')}",
                            f"To: {response.header('To')}",
                            f"Call-ID: {call_id}",
                            f"CSeq: {cseq} ACK",
                            "Content-Length: 0",
                        ]
                    )
                    + "\r\n\r\n"
                )
            if response.status not in (401, 407):
                return response, sent
            challenge_header = "WWW-Authenticate" if response.status == 401 else "Proxy-Authenticate"
            answer = "Authorization" if response.status == 401 else "Proxy-Authorization"
            sent = [*headers, f"{answer}: {self._digest(response.header(challenge_header), method, uri)}"]
            cseq += 1
        return response, sent

    def _digest(self, challenge: str, method: str, uri: str) -> str:
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
        realm, nonce = fields["realm"], fields["nonce"]

        def md5(text: str) -> str:
            return hashlib.md5(text.encode()).hexdigest()

        ha1, ha2 = md5(f"{self.login}:{realm}:{self.password}"), md5(f"{method}:{uri}")
        cnonce, nc = secrets.token_hex(8), "00000001"
        parts = [f'username="{self.login}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"', "algorithm=MD5"]
        if "auth" in fields.get("qop", ""):
            response = md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
            parts += ["qop=auth", f"nc={nc}", f'cnonce="{cnonce}"']
        else:
            response = md5(f"{ha1}:{nonce}:{ha2}")
        parts.append(f'response="{response}"')
        if "opaque" in fields:
            parts.append(f'opaque="{fields["opaque"]}"')
        return "Digest " + ", ".join(parts)

    def _sdp(self, port: int, direction: str = "sendrecv") -> str:
        session = secrets.randbelow(10**9)
        return (
            f"v=0\r\no=phone {session} {session} IN IP4 {self.host}\r\ns=-\r\nc=IN IP4 {self.host}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
            f"a=fmtp:101 0-15\r\na={direction}\r\n"
        )

    def _audio_port(self) -> int:
        audio = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        audio.bind((self.host, 0))
        self._audio.append(audio)
        return int(audio.getsockname()[1])

    # --- what a phone does ------------------------------------------------------------------

    @property
    def aor(self) -> str:
        return f"sip:{self.login}@{self.server[0]}"

    def register(self, expires: int = 120) -> None:
        call_id = f"reg-{secrets.token_hex(6)}@{self.host}"
        response, _ = self._request(
            "REGISTER",
            f"sip:{self.server[0]}:{self.server[1]}",
            [
                f"From: <{self.aor}>;tag={secrets.token_hex(4)}",
                f"To: <{self.aor}>",
                f"Contact: <sip:{self.login}@{self.host}:{self.port}>",
                f"Expires: {expires}",
            ],
            call_id=call_id,
        )
        assert response.status == 200, response.first_line

    def answer(self, timeout: float = 20.0) -> Dialog:
        """Wait for a call, answer it, wait for the ACK."""
        invite = self.expect(lambda m: m.is_request and m.method == "INVITE" and m.call_id not in self.dialogs, timeout)
        port, tag = self._audio_port(), secrets.token_hex(4)
        dialog = Dialog(
            call_id=invite.call_id,
            local_tag=tag,
            remote_tag=tag_of(invite.header("From")),
            local_uri=uri_of(invite.header("To")),
            remote_uri=uri_of(invite.header("From")),
            remote_target=uri_of(invite.header("Contact")),
            rtp_port=port,
        )
        self.dialogs[dialog.call_id] = dialog
        self.reply(invite, 200, to_tag=tag, body=self._sdp(port))
        self.expect(lambda m: m.is_request and m.method == "ACK" and m.call_id == dialog.call_id)
        return dialog

    def call(self, number: str) -> Dialog:
        """Dial `number`; returns once answered (and acknowledged)."""
        call_id, tag, port = f"{secrets.token_hex(8)}@{self.host}", secrets.token_hex(4), self._audio_port()
        uri = f"sip:{number}@{self.server[0]}:{self.server[1]}"
        response, _ = self._request(
            "INVITE",
            uri,
            [
                f"From: <{self.aor}>;tag={tag}",
                f"To: <sip:{number}@{self.server[0]}>",
                f"Contact: <sip:{self.login}@{self.host}:{self.port}>",
            ],
            body=self._sdp(port),
            call_id=call_id,
        )
        assert response.status == 200, response.first_line
        cseq = int(response.header("CSeq").split()[0])
        dialog = Dialog(
            call_id=call_id,
            local_tag=tag,
            remote_tag=tag_of(response.header("To")),
            local_uri=self.aor,
            remote_uri=uri_of(response.header("To")),
            remote_target=uri_of(response.header("Contact")),
            rtp_port=port,
            cseq=cseq,
            remote_sdp=response.body,
        )
        self.dialogs[call_id] = dialog
        self._in_dialog(dialog, "ACK", cseq=cseq)
        return dialog

    def _in_dialog(
        self, dialog: Dialog, method: str, extra: tuple[str, ...] = (), body: str = "", cseq: int = 0
    ) -> None:
        if not cseq:
            dialog.cseq += 1
            cseq = dialog.cseq
        lines = [
            f"{method} {dialog.remote_target} SIP/2.0",
            f"Via: SIP/2.0/UDP {self.host}:{self.port};rport;branch=z9hG4bK{secrets.token_hex(8)}",
            "Max-Forwards: 70",
            f"From: <{dialog.local_uri}>;tag={dialog.local_tag}",
            f"To: <{dialog.remote_uri}>;tag={dialog.remote_tag}",
            f"Call-ID: {dialog.call_id}",
            f"CSeq: {cseq} {method}",
            f"Contact: <sip:{self.login}@{self.host}:{self.port}>",
            *extra,
        ]
        self._send(self._with_body(lines, body))

    def _in_dialog_request(self, dialog: Dialog, method: str, extra: tuple[str, ...] = (), body: str = "") -> Message:
        self._in_dialog(dialog, method, extra, body)
        cseq = f"{dialog.cseq} {method}"
        return self.expect(
            lambda m: not m.is_request and m.call_id == dialog.call_id and m.header("CSeq") == cseq and m.status >= 200
        )

    def hold(self, dialog: Dialog, held: bool = True) -> int:
        """Put the other side on hold (re-INVITE, sendonly), or take it off; the status."""
        response = self._in_dialog_request(
            dialog, "INVITE", body=self._sdp(dialog.rtp_port, "sendonly" if held else "sendrecv")
        )
        self._in_dialog(dialog, "ACK", cseq=dialog.cseq)
        return response.status

    def transfer(self, dialog: Dialog, to_number: str, replacing: Dialog) -> int:
        """Attended transfer: REFER on `dialog`, to whoever is on `replacing`; the status."""
        target = f"sip:{to_number}@{self.server[0]}?Replaces={quote(replacing.replaces(), safe='')}"
        response = self._in_dialog_request(dialog, "REFER", (f"Refer-To: <{target}>", f"Referred-By: <{self.aor}>"))
        return response.status

    def transfer_result(self, dialog: Dialog, timeout: float = 10.0) -> str:
        """The final sipfrag Asterisk NOTIFYs about the REFER on `dialog` (e.g. "SIP/2.0 200 OK")."""
        while True:
            notify = self.expect(
                lambda m: m.is_request and m.method == "NOTIFY" and m.call_id == dialog.call_id, timeout
            )
            if "terminated" in notify.header("Subscription-State"):
                return notify.body.strip()

    def hang_up(self, dialog: Dialog) -> int:
        status = self._in_dialog_request(dialog, "BYE").status
        dialog.ended.set()
        return status

    def close(self, unregister: bool = True) -> None:
        """Stop; `unregister`: first remove the registration (a phone that never registered,
        playing the carrier, has none to remove)."""
        if unregister:
            with contextlib.suppress(AssertionError, OSError):
                self.register(expires=0)
        self._stop.set()
        self._reader.join(2)
        for sock in [self.sock, *self._audio]:
            sock.close()


@contextlib.contextmanager
def sip_phone(
    login: str, password: str, server: tuple[str, int], port: int = 5300, rings_only: bool = False
) -> Iterator[SipPhone]:
    phone = SipPhone(login, password, server, port=port, rings_only=rings_only)
    try:
        phone.register()
        yield phone
    finally:
        phone.close()
