"""ARI requests over the Stasis app's event websocket (Asterisk's REST over WebSocket, 22.4
and later): see `SocketRequests`."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from .errors import AriTimeout, AriUnavailable


@dataclass(frozen=True)
class Sent:
    """A request sent over the socket, its answer to come."""

    request_id: str
    method: str
    path: str
    answer: asyncio.Future[dict[str, Any]]


class SocketRequests:
    """ARI requests sent over the app's event websocket (Asterisk's REST over WebSocket).

    Measured on the sandbox (docs/benchmark.md), Asterisk answers these several times faster
    than the same requests over HTTP, and with a third of the client's CPU: no HTTP session,
    header parsing and authentication per request, on either side.

    Asterisk reads a websocket's requests one at a time, in the socket's own thread. So a
    request that may wait for a channel's own thread (adding it to a bridge: Asterisk runs it
    between the channel's frames, after a playback the channel may be busy with) would hold up
    every call's requests behind it; the client keeps those off the event socket (an idle
    spare socket, else HTTP: `socket_choice.SocketChoice`).

    The event stream attaches the socket when it connects, hands every RESTResponse here and
    detaches it when the socket drops: requests then waiting fail as AriUnavailable, and later
    ones go over HTTP until the stream is back.
    """

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self._send: Callable[[str], Awaitable[None]] | None = None
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self.sent = 0  # requests sent over the socket so far, for health reporting and tests

    @property
    def ready(self) -> bool:
        return self._send is not None

    @property
    def pending(self) -> int:
        """Requests sent and not yet answered (nor given up on)."""
        return len(self._waiting)

    def attach(self, send: Callable[[str], Awaitable[None]]) -> None:
        self._send = send

    def detach(self, why: str) -> None:
        self._send = None
        waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_exception(AriUnavailable(f"the ARI event socket closed ({why}) before Asterisk answered"))

    def resolve(self, message: dict[str, Any]) -> None:
        """A RESTResponse from the socket: wake the request it answers (a late answer to a
        request that timed out meanwhile is dropped)."""
        future = self._waiting.pop(str(message.get("request_id", "")), None)
        if future is not None and not future.done():
            future.set_result(message)

    async def request(
        self, method: str, path: str, params: dict[str, Any] | None = None, body: Any = None
    ) -> SocketReply:
        """Send one request; its answer, read as an HTTP response is, so errors map as for HTTP."""
        return await self.response(await self.send(method, path, params, body))

    async def send(self, method: str, path: str, params: dict[str, Any] | None = None, body: Any = None) -> Sent:
        """Send one request, not waiting for its answer (`response` does). Asterisk runs a
        socket's requests one at a time in the order they arrive: a request sent after
        another starts once the first is done."""
        send = self._send
        if send is None:
            raise AriUnavailable(f"{method} {path}: the ARI event socket is not connected")
        request_id = f"c{next(self._ids)}"
        message: dict[str, Any] = {
            "type": "RESTRequest",
            "transaction_id": request_id,
            "request_id": request_id,
            "method": method,
            "uri": path,
        }
        if params:
            # As a list, not in the URI: values need no escaping ("sound:silence/3", names).
            message["query_strings"] = [{"name": k, "value": _param(v)} for k, v in params.items()]
        if body is not None:
            message["content_type"] = "application/json"
            message["message_body"] = json.dumps(body)
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = answer
        try:
            await send(json.dumps(message))
        except Exception as exc:  # the socket failed under the send
            self._waiting.pop(request_id, None)
            raise AriUnavailable(f"{method} {path}: cannot send over the ARI event socket ({exc})") from exc
        self.sent += 1
        return Sent(request_id, method, path, answer)

    async def response(self, sent: Sent) -> SocketReply:
        """The answer to a request sent; AriTimeout after `timeout`."""
        # A timer on the answer itself: asyncio.timeout (a context manager, a task's
        # cancellation and its undoing) cost a twentieth of the event loop's CPU per call.
        timer = asyncio.get_running_loop().call_later(self.timeout, _expire, sent)
        try:
            answer = await sent.answer
        finally:
            timer.cancel()
            self._waiting.pop(sent.request_id, None)
        content = str(answer.get("message_body") or "").encode()
        return SocketReply(int(answer.get("status_code", 500)), content, str(answer.get("reason_phrase") or ""))

    def forget(self, sent: Sent) -> None:
        """A request whose answer nobody will wait for."""
        self._waiting.pop(sent.request_id, None)


class SocketReply:
    """Asterisk's answer to a request over the socket, read as an HTTP response is (status,
    body, JSON). Not an httpx.Response: building one per answer (headers, a byte stream, its
    reading) was a tenth of the event loop's CPU per light call (docs/benchmark.md)."""

    __slots__ = ("_phrase", "content", "status_code")

    def __init__(self, status_code: int, content: bytes, reason_phrase: str = "") -> None:
        self.status_code = status_code
        self.content = content
        self._phrase = reason_phrase

    @property
    def reason_phrase(self) -> str:
        return self._phrase or httpx.codes.get_reason_phrase(self.status_code)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


def _expire(sent: Sent) -> None:
    if not sent.answer.done():
        sent.answer.set_exception(AriTimeout(f"{sent.method} {sent.path}: no answer from Asterisk in time"))


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
