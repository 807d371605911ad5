"""Spare sockets: websockets under app names of their own that carry the Stasis app's requests
only, against a local websockets server playing Asterisk. Which socket (or HTTP) each request
takes, that a bridge join never waits behind other requests nor they behind it, and that the
spare sockets connect and stop with the event stream."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from websockets.asyncio.server import ServerConnection, serve

from pbx.ari.client import AriClient, AriUnavailable
from pbx.ari.socket_requests import SocketRequests
from pbx.ari.stream import Backoff, EventStream, events_url

FAST = Backoff(initial=0.01, maximum=0.02)


class Asterisk:
    """Answers every request at once, except those whose URI is in `held`: those only once
    `release()` is called. Records which app's socket each request came over."""

    def __init__(self, held: frozenset[str] = frozenset()) -> None:
        self.held = held
        self.got: dict[str, list[str]] = defaultdict(list)
        self.connected: list[str] = []
        self._released = asyncio.Event()
        self._later: set[asyncio.Task[None]] = set()

    def release(self) -> None:
        self._released.set()

    async def __call__(self, ws: ServerConnection) -> None:
        app = app_of(ws)
        self.connected.append(app)
        async for raw in ws:
            request = json.loads(raw)
            self.got[app].append(request["uri"])
            if request["uri"] in self.held:
                task = asyncio.create_task(self._answer_later(ws, request))
                self._later.add(task)
                task.add_done_callback(self._later.discard)
            else:
                await ws.send(_reply(request))

    async def _answer_later(self, ws: ServerConnection, request: dict[str, Any]) -> None:
        await self._released.wait()
        await ws.send(_reply(request))


def app_of(ws: ServerConnection) -> str:
    """The app name a socket connected under (its URL's `app`)."""
    assert ws.request is not None
    return parse_qs(urlsplit(ws.request.path).query)["app"][0]


def _reply(request: dict[str, Any]) -> str:
    return json.dumps({"type": "RESTResponse", "request_id": request["request_id"], "status_code": 204})


@asynccontextmanager
async def connected(
    asterisk: Callable[[ServerConnection], Awaitable[None]], spares: int, http: httpx.MockTransport | None = None
) -> AsyncIterator[tuple[AriClient, SocketRequests, list[SocketRequests]]]:
    """A client with the event socket and `spares` spare sockets, wired as
    pbx.asterisk.app_connection wires them for app "centrala", all connected to `asterisk`;
    the stream (spares included) stopped on leaving."""
    async with serve(asterisk, "127.0.0.1", 0) as server:
        base = f"http://127.0.0.1:{next(iter(server.sockets)).getsockname()[1]}/ari"
        events, spare = SocketRequests(timeout=5), [SocketRequests(timeout=5) for _ in range(spares)]
        companions = [
            EventStream(events_url(base, f"centrala-requests-{n}"), "u", "p", backoff=FAST, requests=requests)
            for n, requests in enumerate(spare, 1)
        ]
        stream = EventStream(
            events_url(base, "centrala"), "u", "p", backoff=FAST, requests=events, companions=companions
        )
        runner = asyncio.create_task(stream.run(lambda event: None))
        async with AriClient(
            "http://ari.test/ari", "u", "p", transport=http, socket=events, spare_sockets=spare
        ) as ari:
            await until(lambda: events.ready and all(requests.ready for requests in spare))
            try:
                yield ari, events, spare
            finally:
                await stream.stop()
                await asyncio.wait_for(runner, 5)  # returns only once the spares' streams are done too


async def until(condition: Any) -> None:
    async with asyncio.timeout(5):
        while not condition():
            await asyncio.sleep(0.01)


def test_joins_take_an_idle_spare_socket_and_other_requests_the_least_busy_socket():
    over_http: list[str] = []

    def http(request: httpx.Request) -> httpx.Response:
        over_http.append(request.url.path)
        return httpx.Response(204)

    async def main() -> Asterisk:
        asterisk = Asterisk(held=frozenset({"channels/c1/ring", "bridges/k1/addChannel", "bridges/k2/addChannel"}))
        async with connected(asterisk, spares=2, http=httpx.MockTransport(http)) as (ari, events, spares):
            ringing = asyncio.create_task(ari.ring("c1"))  # all idle: the event socket; held
            await until(lambda: events.pending == 1)
            await ari.hangup("c2")  # the event socket is busy: the first spare
            first_join = asyncio.create_task(ari.add_to_bridge("k1", ("c1", "c2")))  # the first spare, idle again
            await until(lambda: spares[0].pending == 1)
            await ari.stop_moh("c3")  # not behind the join: the second spare
            second_join = asyncio.create_task(ari.add_to_bridge("k2", ("c3", "c4")))  # the second spare
            await until(lambda: spares[1].pending == 1)
            await ari.add_to_bridge("k3", ("c5", "c6"))  # no idle spare: HTTP, never the event socket
            await ari.start_moh("c7")  # both spares carry a join: the event socket, though busy
            asterisk.release()
            await asyncio.gather(ringing, first_join, second_join)
        return asterisk

    asterisk = asyncio.run(main())
    assert asterisk.got == {
        "centrala": ["channels/c1/ring", "channels/c7/moh"],
        "centrala-requests-1": ["channels/c2", "bridges/k1/addChannel"],
        "centrala-requests-2": ["channels/c3/moh", "bridges/k2/addChannel"],
    }
    assert over_http == ["/ari/bridges/k3/addChannel"]


def test_no_request_waits_behind_a_join_even_when_the_event_socket_is_busier():
    async def main() -> Asterisk:
        asterisk = Asterisk(held=frozenset({"bridges/k1/addChannel", "channels/c1/ring", "channels/c2/ring"}))
        async with connected(asterisk, spares=1) as (ari, events, spares):
            join = asyncio.create_task(ari.add_to_bridge("k1", ("c1", "c2")))
            await until(lambda: spares[0].pending == 1)
            rings = [asyncio.create_task(ari.ring(channel)) for channel in ("c1", "c2")]
            await until(lambda: events.pending == 2)
            await ari.start_moh("c3")  # two waiting on the event socket, one join on the spare
            asterisk.release()
            await asyncio.gather(join, *rings)
        return asterisk

    assert asyncio.run(main()).got == {
        "centrala": ["channels/c1/ring", "channels/c2/ring", "channels/c3/moh"],
        "centrala-requests-1": ["bridges/k1/addChannel"],
    }


def test_the_greeting_leaves_behind_the_answer_on_the_least_busy_socket():
    async def main() -> Asterisk:
        asterisk = Asterisk(held=frozenset({"channels/c1/ring"}))
        async with connected(asterisk, spares=1) as (ari, events, _spares):
            assert await ari.answer_and_play("c2", "sound:hello-world", "pb-2") is None  # all idle: the event socket
            ringing = asyncio.create_task(ari.ring("c1"))
            await until(lambda: events.pending == 1)
            assert await ari.answer_and_play("c3", "sound:hello-world", "pb-3") is None  # not behind the ring
            asterisk.release()
            await ringing
        return asterisk

    assert asyncio.run(main()).got == {
        "centrala": ["channels/c2/answer", "channels/c2/play/pb-2", "channels/c1/ring"],
        "centrala-requests-1": ["channels/c3/answer", "channels/c3/play/pb-3"],  # together, in order
    }


def test_a_spare_socket_that_drops_fails_its_join_and_the_others_carry_on():
    sessions: dict[str, int] = defaultdict(int)
    got: list[tuple[str, str]] = []

    async def asterisk(ws: ServerConnection) -> None:
        app = app_of(ws)
        sessions[app] += 1
        async for raw in ws:
            request = json.loads(raw)
            got.append((app, request["uri"]))
            if app == "centrala-requests-1" and sessions[app] == 1:
                await ws.close()  # the first spare goes away under its join
                return
            await ws.send(_reply(request))

    async def main() -> str:
        async with connected(asterisk, spares=1) as (ari, _events, spares):
            try:
                await ari.add_to_bridge("k1", ("c1", "c2"))
            except AriUnavailable as exc:
                lost = str(exc)
            await ari.hangup("c1")  # the event socket still carries requests
            await until(lambda: spares[0].ready)  # the spare is back, alone
            await ari.add_to_bridge("k2", ("c1", "c2"))
        return lost

    assert "event socket closed" in asyncio.run(main())
    assert got == [
        ("centrala-requests-1", "bridges/k1/addChannel"),
        ("centrala", "channels/c1"),
        ("centrala-requests-1", "bridges/k2/addChannel"),
    ]
    assert sessions == {"centrala": 1, "centrala-requests-1": 2}


def test_the_spare_sockets_connect_under_their_own_names_and_stop_with_the_stream():
    async def main() -> tuple[list[str], bool]:
        asterisk = Asterisk()
        async with connected(asterisk, spares=2) as (_ari, events, spares):
            pass
        return asterisk.connected, any(requests.ready for requests in [events, *spares])

    names, still_ready = asyncio.run(main())
    assert sorted(names) == ["centrala", "centrala-requests-1", "centrala-requests-2"]
    assert not still_ready
