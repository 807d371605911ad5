"""The event stream against a real local websockets server: typed events, auth, malformed
input, reconnects with backoff, reconciliation hook on every connect."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest
from websockets.asyncio.server import ServerConnection, serve

from pbx.ari.stream import Backoff, EventStream, RecentMessages, events_url
from pbx.callflow import events as e

START = {
    "type": "StasisStart",
    "timestamp": "2026-11-23T09:00:00.000+0000",
    "args": ["inbound", "+48221234567"],
    "channel": {
        "id": "c1",
        "name": "PJSIP/x",
        "state": "Ring",
        "caller": {"number": "601234567", "name": ""},
        "dialplan": {"exten": "+48221234567"},
    },
}
END = {"type": "StasisEnd", "timestamp": "2026-11-23T09:00:01.000+0000", "channel": {"id": "c1"}}


def no_wait_backoff() -> Backoff:
    return Backoff(initial=0.01, maximum=0.02)


async def collect(stream: EventStream, count: int, connects: list[int] | None = None) -> list[e.Event]:
    received: list[e.Event] = []
    done = asyncio.Event()

    def on_event(event: e.Event) -> None:
        received.append(event)
        if len(received) >= count:
            done.set()

    async def on_connected() -> None:
        if connects is not None:
            connects.append(stream.connections)

    runner = asyncio.create_task(stream.run(on_event, on_connected))
    await asyncio.wait_for(done.wait(), 5)
    await stream.stop()
    await asyncio.wait_for(runner, 5)
    return received


def events_from(handler: Callable[[ServerConnection], Awaitable[None]], count: int) -> list[e.Event]:
    """The first `count` events a stream hands on from a local server running `handler`."""

    async def main() -> list[e.Event]:
        async with serve(handler, "127.0.0.1", 0) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            stream = EventStream(f"ws://127.0.0.1:{port}/ari/events?app=t", "u", "p", backoff=no_wait_backoff())
            return await collect(stream, count)

    return asyncio.run(main())


def test_events_url_points_at_the_app():
    assert events_url("http://127.0.0.1:8088/ari", "centrala") == (
        "ws://127.0.0.1:8088/ari/events?app=centrala&subscribeAll=false"
    )
    assert events_url("https://pbx.example/ari/", "watch", subscribe_all=True) == (
        "wss://pbx.example/ari/events?app=watch&subscribeAll=true"
    )


def test_events_arrive_typed_and_malformed_ones_are_skipped():
    headers: list[str] = []

    async def handler(ws: ServerConnection) -> None:
        assert ws.request is not None
        headers.append(ws.request.headers["Authorization"])
        await ws.send("not json")
        await ws.send(json.dumps(["a", "list"]))
        await ws.send(json.dumps({"type": "StasisStart"}))  # missing channel
        await ws.send(json.dumps(START))
        await ws.send(json.dumps(END))
        await asyncio.sleep(1)

    received = events_from(handler, 2)
    assert [type(event) for event in received] == [e.StasisStart, e.StasisEnd]
    assert headers == ["Basic dTpw"]


def test_an_event_asterisk_sends_twice_through_two_subscriptions_is_handed_on_once():
    """Channel events come once through the channel and once through its endpoint (Centrala
    subscribes to PJSIP endpoints for presence): a doubled key press is one key press."""
    dtmf = {
        "type": "ChannelDtmfReceived",
        "timestamp": "2026-11-23T09:00:00.500+0000",
        "digit": "0",
        "channel": {"id": "c1"},
    }
    again = {**dtmf, "timestamp": "2026-11-23T09:00:00.900+0000"}  # the caller pressed 0 again

    async def handler(ws: ServerConnection) -> None:
        for message in (START, START, dtmf, dtmf, again, again, END, END):
            await ws.send(json.dumps(message))
        await asyncio.sleep(1)

    received = events_from(handler, 4)
    assert [type(event).__name__ for event in received] == [
        "StasisStart",
        "ChannelDtmfReceived",
        "ChannelDtmfReceived",
        "StasisEnd",
    ]


def test_recent_messages_forget_the_oldest_past_their_size():
    recent = RecentMessages(size=2)
    assert [recent.seen(x) for x in ("a", "b", "a", "c", "a", "b")] == [False, False, True, False, False, False]


def test_the_stream_reconnects_after_a_drop_and_reconciles_each_time():
    sessions = 0

    async def handler(ws: ServerConnection) -> None:
        nonlocal sessions
        sessions += 1
        await ws.send(json.dumps(START if sessions == 1 else END))
        if sessions == 1:
            await ws.close()  # Asterisk restarting
        else:
            await asyncio.sleep(1)

    async def main() -> tuple[list[e.Event], list[int]]:
        connects: list[int] = []
        async with serve(handler, "127.0.0.1", 0) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            stream = EventStream(f"ws://127.0.0.1:{port}/x", "u", "p", backoff=no_wait_backoff())
            events = await collect(stream, 2, connects)
            await asyncio.sleep(0.05)
            return events, connects

    received, connects = asyncio.run(main())
    assert [type(event) for event in received] == [e.StasisStart, e.StasisEnd]
    assert connects == [1, 2]


def pinging_stream_against(
    handler: Callable[[ServerConnection], Awaitable[None]], count: int
) -> tuple[list[e.Event], int]:
    """`count` events from a server running `handler`, read by a stream that pings after 0.1 s
    of silence and waits 0.1 s for the pong; and how many times it connected."""

    async def main() -> tuple[list[e.Event], int]:
        async with serve(handler, "127.0.0.1", 0) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            stream = EventStream(
                f"ws://127.0.0.1:{port}/x", "u", "p", backoff=no_wait_backoff(), ping_interval=0.1, ping_timeout=0.1
            )
            return await collect(stream, count), stream.connections

    return asyncio.run(main())


def test_a_silent_peer_that_answers_no_ping_is_dropped_and_the_stream_reconnects():
    sessions = 0

    async def handler(ws: ServerConnection) -> None:
        nonlocal sessions
        sessions += 1
        if sessions == 1:
            ws.transport.pause_reading()  # a hung host: reads nothing, so answers no ping
            await asyncio.sleep(0.5)  # the client gives up after 0.2 s
            ws.transport.resume_reading()  # and now sees the client gone
        else:
            await ws.send(json.dumps(END))
            await asyncio.sleep(1)

    received, connections = pinging_stream_against(handler, 1)
    assert [type(event) for event in received] == [e.StasisEnd]
    assert connections == 2


def test_a_busy_peer_whose_pongs_lag_behind_its_events_is_kept():
    async def handler(ws: ServerConnection) -> None:
        ws.transport.pause_reading()  # pongs never come, as when they queue behind events
        for n in range(40):  # 0.8 s of events, many ping intervals
            await ws.send(json.dumps({**START, "timestamp": f"2026-11-23T09:00:00.{n:03d}+0000"}))
            await asyncio.sleep(0.02)
        await ws.send(json.dumps(END))
        ws.transport.resume_reading()  # so that the client's close is answered
        await asyncio.sleep(1)

    received, connections = pinging_stream_against(handler, 41)
    assert len(received) == 41 and isinstance(received[-1], e.StasisEnd)
    assert connections == 1  # never cut


def test_a_refused_connection_is_retried_with_backoff():
    delays: list[float] = []

    async def fake_sleep(delay: float) -> None:
        delays.append(delay)
        if len(delays) == 3:
            await stream.stop()

    stream = EventStream("ws://127.0.0.1:9/nothing-listens", "u", "p", backoff=Backoff(jitter=0), sleep=fake_sleep)
    asyncio.run(asyncio.wait_for(stream.run(lambda event: None), 10))
    assert delays == [0.25, 0.5, 1.0]
    assert stream.connections == 0


@pytest.mark.parametrize(("attempt", "rand", "expected"), [(0, 0.0, 0.25), (0, 1.0, 0.125), (10, 0.0, 10.0)])
def test_backoff_grows_is_capped_and_jittered(attempt: int, rand: float, expected: float):
    assert Backoff().delay(attempt, rand=lambda: rand) == pytest.approx(expected)
