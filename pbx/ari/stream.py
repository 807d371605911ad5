"""ARI's event websocket: connect, read, parse, reconnect.

The reader only parses and hands each event to a synchronous, non-blocking callback, so a
slow consumer never stalls the socket (Asterisk drops a socket whose writes time out). On
every (re)connect `on_connected` is scheduled as its own task, for reconciliation, while the
reader keeps reading. Liveness is ours to check: Asterisk never pings inbound ARI sockets,
so the client pings and gives up on a silent peer. Only a silent one: events arriving prove
the peer alive, and under load Asterisk's pong waits behind thousands of queued events, so
a plain ping timeout would cut a busy but healthy stream (and lose its events).

Asterisk sends a channel's events twice when the app also subscribes to the channel's
endpoint (Centrala did, for presence; it now follows the phones' device states instead): once
through the channel, once through the endpoint, as identical text. A repeated key press or a repeated
"playback finished" would be taken for a new one (a second recording of the same name, a
digit carried into the next menu), so the reader drops a message that is the same text as
one of the last few hundred (`RecentMessages`), before it is even decoded.

With `requests`, the socket also carries the app's ARI requests: it is attached on connect,
gets every RESTResponse, and is detached when the socket drops. `companions` are streams of
sockets that carry requests only (spare sockets, under app names of their own that no call
enters): they run, reconnect and stop with this one, and their events, if any, are dropped.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidStatus, WebSocketException

from pbx.ari.socket_requests import SocketRequests
from pbx.callflow.events import Event, MalformedEvent, parse_event

log = logging.getLogger(__name__)
# Every message as Asterisk sent it, for support and for test fixtures (ARI_LOG_EVENTS=1).
raw_log = logging.getLogger("pbx.ari.raw")


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: delay n is random in [(1-jitter)*d, d]."""

    initial: float = 0.25
    maximum: float = 10.0
    factor: float = 2.0
    jitter: float = 0.5

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        ceiling = min(self.maximum, self.initial * self.factor**attempt)
        return ceiling * (1 - self.jitter * rand())


def events_url(ari_url: str, app: str, subscribe_all: bool = False) -> str:
    """`subscribe_all`: the app hears every channel, bridge and endpoint, not only its own."""
    base = ari_url.rstrip("/").replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    return f"{base}/events?{urlencode({'app': app, 'subscribeAll': str(subscribe_all).lower()})}"


class EventStream:
    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        *,
        backoff: Backoff | None = None,
        ping_interval: float = 5.0,
        ping_timeout: float = 5.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        requests: SocketRequests | None = None,
        companions: Sequence[EventStream] = (),
    ) -> None:
        self.url = url
        self.requests = requests
        self.companions = tuple(companions)
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self._headers = {"Authorization": f"Basic {token}"}
        self.backoff = backoff or Backoff()
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self._sleep = sleep
        self._stopping = False
        self._ws: ClientConnection | None = None
        self._last_frame = 0.0  # loop time of the last frame received
        self.connections = 0  # successful connects so far, for health reporting and tests

    @property
    def connected(self) -> bool:
        return self._ws is not None

    async def run(
        self,
        on_event: Callable[[Event], None],
        on_connected: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Read events until `stop()`, reconnecting with backoff whenever the socket drops."""
        companions = [asyncio.create_task(companion.run(_drop)) for companion in self.companions]
        try:
            await self._run(on_event, on_connected)
        finally:
            for companion in self.companions:
                await companion.stop()
            if companions:
                _done, late = await asyncio.wait(companions, timeout=5)
                for task in late:
                    task.cancel()

    async def _run(
        self,
        on_event: Callable[[Event], None],
        on_connected: Callable[[], Awaitable[None]] | None,
    ) -> None:
        attempt = 0
        while not self._stopping:
            try:
                async with connect(
                    self.url,
                    additional_headers=self._headers,
                    ping_interval=None,  # our own keepalive, below
                    max_queue=None,  # never push back on Asterisk: we drain into our own queue
                    open_timeout=5,
                ) as ws:
                    self._ws = ws
                    self.connections += 1
                    attempt = 0
                    base, _, query = self.url.partition("?")
                    app = parse_qs(query).get("app", ["?"])[0]
                    log.info("ARI event stream connected (%s, app %s)", base, app)
                    if self.requests is not None:
                        self.requests.attach(ws.send)
                    if on_connected is not None:
                        _spawn(on_connected())
                    keepalive = asyncio.create_task(self._keepalive(ws))
                    try:
                        await self._read(ws, on_event)
                    finally:
                        keepalive.cancel()
                        if self.requests is not None:
                            self.requests.detach("the event stream ended")
            except InvalidStatus as exc:
                status = exc.response.status_code
                hint = " (check ARI_USER/ARI_PASSWORD)" if status == 401 else ""
                log.error("ARI refused the event stream: HTTP %s%s", status, hint)
            except (OSError, InvalidHandshake, WebSocketException, TimeoutError) as exc:
                if not self._stopping:
                    log.warning("ARI event stream lost: %s", exc or type(exc).__name__)
            finally:
                self._ws = None
            if self._stopping:
                break
            delay = self.backoff.delay(attempt)
            attempt += 1
            await self._sleep(delay)

    async def _read(self, ws: ClientConnection, on_event: Callable[[Event], None]) -> None:
        loop = asyncio.get_running_loop()
        self._last_frame = loop.time()
        recent = RecentMessages()
        async for raw in ws:
            self._last_frame = loop.time()
            if raw_log.isEnabledFor(logging.DEBUG):
                raw_log.debug("%s", raw)
            if recent.seen(raw):
                continue
            message = _decode(raw)
            if message is None:
                continue
            if message.get("type") == "RESTResponse":
                if self.requests is not None:
                    self.requests.resolve(message)
                continue
            event = _parse(message)
            if event is not None:
                on_event(event)

    async def _keepalive(self, ws: ClientConnection) -> None:
        """Every `ping_interval` of silence, ping; no pong within `ping_timeout`: the peer is
        gone (a dead host sends no close), so close and let `run` reconnect."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.ping_interval)
            if loop.time() - self._last_frame < self.ping_interval:
                continue  # events are arriving: alive
            try:
                pong = await ws.ping()
                await asyncio.wait_for(pong, self.ping_timeout)
            except TimeoutError:
                if loop.time() - self._last_frame < self.ping_interval + self.ping_timeout:
                    continue  # events came meanwhile; the pong is only queued behind them
                log.warning(
                    "ARI sent nothing for %.0f s and did not answer a ping; reconnecting",
                    loop.time() - self._last_frame,
                )
                ws.transport.abort()  # a silent peer would not answer a close handshake either
                return
            except WebSocketException:
                return  # closed meanwhile; the reader sees it

    async def stop(self) -> None:
        self._stopping = True
        if self._ws is not None:
            await self._ws.close()
        for companion in self.companions:
            await companion.stop()


class RecentMessages:
    """Remembers the last `size` messages' text; `seen` says whether this one is among them.

    A real event is never the same text as another: each carries its timestamp (to the
    millisecond) and what it is about (channel, playback, digit, state). Only Asterisk's
    copies through a second subscription are."""

    def __init__(self, size: int = 512) -> None:
        self._order: deque[str | bytes] = deque()
        self._set: set[str | bytes] = set()
        self._size = size

    def seen(self, raw: str | bytes) -> bool:
        if raw in self._set:
            return True
        self._set.add(raw)
        self._order.append(raw)
        if len(self._order) > self._size:
            self._set.discard(self._order.popleft())
        return False


def _decode(raw: str | bytes) -> dict[str, Any] | None:
    try:
        message: Any = json.loads(raw)
    except ValueError as exc:
        log.warning("ignoring malformed ARI event: %s", exc)
        return None
    if not isinstance(message, dict):
        log.warning("ignoring malformed ARI event: an event must be a JSON object")
        return None
    return message


def _parse(message: dict[str, Any]) -> Event | None:
    try:
        return parse_event(message)
    except MalformedEvent as exc:
        log.warning("ignoring malformed ARI event: %s", exc)
        return None


def _drop(event: Event) -> None:
    """A spare socket's events: none are expected (no call enters its app)."""


_background: set[asyncio.Task[None]] = set()


def _spawn(coro: Awaitable[None]) -> None:
    task: asyncio.Task[None] = asyncio.ensure_future(coro)
    _background.add(task)
    task.add_done_callback(_background.discard)
