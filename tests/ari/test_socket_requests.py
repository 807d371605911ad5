"""ARI requests over the event websocket (REST over WebSocket) against a local websockets
server playing Asterisk: what is sent, how answers and errors come back, which requests stay
on HTTP, and what happens when the socket drops or Asterisk does not answer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from websockets.asyncio.server import ServerConnection, serve

from pbx.ari.client import AriClient, AriError, AriNotFound, AriTimeout, AriUnavailable
from pbx.ari.socket_requests import SocketRequests
from pbx.ari.stream import Backoff, EventStream
from pbx.callflow import events as e

END = {"type": "StasisEnd", "timestamp": "2026-11-23T09:00:01.000+0000", "channel": {"id": "c1"}}
Answer = Callable[[dict[str, Any]], dict[str, Any] | None]


def ok(request: dict[str, Any]) -> dict[str, Any]:
    return {"status_code": 204, "reason_phrase": "No Content"}


async def with_socket(
    answer: Answer, action: Callable[[AriClient, list[dict[str, Any]], list[httpx.Request]], Awaitable[object]]
) -> object:
    """Run `action(ari, sent_over_socket, sent_over_http)` once the stream is connected to a
    server that answers each RESTRequest with `answer(request)` (None: no answer at all)."""
    over_socket: list[dict[str, Any]] = []
    over_http: list[httpx.Request] = []

    async def asterisk(ws: ServerConnection) -> None:
        async for raw in ws:
            request = json.loads(raw)
            over_socket.append(request)
            reply = answer(request)
            if reply is not None:
                await ws.send(
                    json.dumps(
                        {
                            "type": "RESTResponse",
                            "request_id": request["request_id"],
                            "transaction_id": request["transaction_id"],
                            "uri": request["uri"],
                            **reply,
                        }
                    )
                )

    def http(request: httpx.Request) -> httpx.Response:
        over_http.append(request)
        return httpx.Response(204)

    async with serve(asterisk, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        requests = SocketRequests(timeout=0.3)
        stream = EventStream(
            f"ws://127.0.0.1:{port}/x", "u", "p", backoff=Backoff(initial=0.01, maximum=0.02), requests=requests
        )
        runner = asyncio.create_task(stream.run(lambda event: None))
        async with AriClient(
            "http://ari.test/ari", "u", "p", transport=httpx.MockTransport(http), socket=requests
        ) as ari:
            async with asyncio.timeout(5):
                while not requests.ready:
                    await asyncio.sleep(0.01)
            try:
                return await action(ari, over_socket, over_http)
            finally:
                await stream.stop()
                await asyncio.wait_for(runner, 5)


def test_a_request_travels_over_the_socket_with_its_parameters_and_body():
    async def action(ari: AriClient, sent: list[dict[str, Any]], http: list[httpx.Request]) -> None:
        await ari.play("c1", "sound:silence/3", "pb-1")
        await ari.originate("c2", "PJSIP/200", "centrala", ("dialled", "c1"), "Biuro <+48221234567>", 20)
        assert http == []

    sent: list[dict[str, Any]] = []

    def record(request: dict[str, Any]) -> dict[str, Any]:
        sent.append(request)
        return ok(request)

    asyncio.run(with_socket(record, action))
    play, originate = sent
    assert play["type"] == "RESTRequest" and play["method"] == "POST"
    assert play["uri"] == "channels/c1/play/pb-1"  # relative to /ari/, no leading slash
    # Parameters as a list, so values such as "sound:silence/3" need no escaping.
    assert play["query_strings"] == [{"name": "media", "value": "sound:silence/3"}]
    assert play["request_id"] == play["transaction_id"] != originate["request_id"]
    assert {"name": "callerId", "value": "Biuro <+48221234567>"} in originate["query_strings"]
    assert {"name": "timeout", "value": "20"} in originate["query_strings"]
    assert originate["content_type"] == "application/json"
    assert json.loads(originate["message_body"]) == {"variables": {"PJSIP_TRANSFER_HANDLING()": "ari-only"}}


def test_an_answer_body_is_returned_and_an_error_status_maps_to_our_error():
    def answer(request: dict[str, Any]) -> dict[str, Any]:
        if request["uri"] == "bridges":
            body = json.dumps([{"id": "k1-bridge", "channels": ["c1"]}])
            return {"status_code": 200, "reason_phrase": "OK", "content_type": "application/json", "message_body": body}
        return {
            "status_code": 404,
            "reason_phrase": "Not Found",
            "message_body": json.dumps({"message": "Channel not found"}),
        }

    async def action(ari: AriClient, sent: list[dict[str, Any]], http: list[httpx.Request]) -> str:
        assert await ari.bridges() == [{"id": "k1-bridge", "channels": ["c1"]}]
        with pytest.raises(AriNotFound) as missing:
            await ari.hangup("gone")
        return str(missing.value)

    assert asyncio.run(with_socket(answer, action)) == "DELETE channels/gone: 404 Channel not found"


def test_a_request_that_may_wait_for_the_channels_own_thread_stays_on_http():
    """Asterisk reads a socket's requests one at a time: a bridge join waiting behind a
    channel's playback must not hold up every other call's requests."""

    async def action(ari: AriClient, sent: list[dict[str, Any]], http: list[httpx.Request]) -> None:
        await ari.answer("c1")
        await ari.add_to_bridge("k1-bridge", ("c1", "c2"))
        await ari.hangup("c1")
        assert [(r.method, r.url.path) for r in http] == [("POST", "/ari/bridges/k1-bridge/addChannel")]
        assert [r["uri"] for r in sent] == ["channels/c1/answer", "channels/c1"]

    asyncio.run(with_socket(ok, action))


def test_an_error_without_a_body_is_named_by_its_reason_phrase_or_status():
    def answer(request: dict[str, Any]) -> dict[str, Any]:
        if request["uri"] == "channels/c1/ring":
            return {"status_code": 409, "reason_phrase": "Conflict"}
        if request["uri"] == "channels/c2/ring":
            return {"status_code": 412, "message_body": "not in Stasis"}  # plain text, no phrase
        return {"status_code": 503}  # neither: the status's own phrase

    async def action(ari: AriClient, sent: list[dict[str, Any]], http: list[httpx.Request]) -> list[str]:
        errors = []
        for channel in ("c1", "c2", "c3"):
            with pytest.raises(AriError) as failed:
                await ari.ring(channel)
            errors.append(f"{type(failed.value).__name__}: {failed.value}")
        return errors

    assert asyncio.run(with_socket(answer, action)) == [
        "AriConflict: POST channels/c1/ring: 409 Conflict",
        "AriConflict: POST channels/c2/ring: 412 not in Stasis",
        "AriUnavailable: POST channels/c3/ring: 503 Service Unavailable",
    ]


def test_no_answer_in_time_is_a_timeout_naming_the_request_and_forgets_it():
    answered: list[str] = []

    def late(request: dict[str, Any]) -> dict[str, Any] | None:
        if request["uri"] == "channels/c1/ring":
            return None  # never answered
        answered.append(request["uri"])
        return ok(request)

    async def action(ari: AriClient, sent: list[dict[str, Any]], http: list[httpx.Request]) -> None:
        assert ari.sockets.events is not None
        started = asyncio.get_running_loop().time()
        with pytest.raises(AriTimeout, match="POST channels/c1/ring: no answer"):
            await ari.ring("c1")
        assert 0.25 <= asyncio.get_running_loop().time() - started < 2  # the socket's 0.3 s
        assert ari.sockets.events._waiting == {}  # nothing left waiting for an answer that never comes
        await ari.ring("c2")  # the socket still serves the next request
        assert ari.sockets.events._waiting == {}

    asyncio.run(with_socket(late, action))
    assert answered == ["channels/c2/ring"]


def test_a_dropped_socket_fails_the_waiting_request_and_later_ones_go_over_http():
    sessions = 0
    over_http: list[httpx.Request] = []

    async def asterisk(ws: ServerConnection) -> None:
        nonlocal sessions
        sessions += 1
        if sessions == 1:
            await ws.recv()  # the request arrives, and Asterisk goes away before answering
            await ws.close()
        else:
            await ws.send(json.dumps(END))
            await asyncio.sleep(5)

    def http(request: httpx.Request) -> httpx.Response:
        over_http.append(request)
        return httpx.Response(204)

    async def main() -> tuple[str, int]:
        async with serve(asterisk, "127.0.0.1", 0) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            requests = SocketRequests(timeout=5)
            # A long backoff: the HTTP fallback is seen while the stream is away.
            stream = EventStream(
                f"ws://127.0.0.1:{port}/x", "u", "p", backoff=Backoff(initial=0.5, jitter=0), requests=requests
            )
            received: list[e.Event] = []
            runner = asyncio.create_task(stream.run(received.append))
            async with AriClient(
                "http://ari.test/ari", "u", "p", transport=httpx.MockTransport(http), socket=requests
            ) as ari:
                while not requests.ready:
                    await asyncio.sleep(0.01)
                with pytest.raises(AriUnavailable) as lost:
                    await ari.ring("c1")  # fails at once, not after the 5 s timeout
                assert not requests.ready
                await ari.stop_moh("c1")  # meanwhile: over HTTP
                while not received:  # reconnected
                    await asyncio.sleep(0.01)
                await stream.stop()
                await asyncio.wait_for(runner, 5)
            return str(lost.value), requests.sent

    message, sent = asyncio.run(main())
    assert "event socket closed" in message
    assert [(r.method, r.url.path) for r in over_http] == [("DELETE", "/ari/channels/c1/moh")]
    assert sent == 1


def test_a_late_or_unknown_answer_is_ignored_and_events_still_flow():
    async def asterisk(ws: ServerConnection) -> None:
        await ws.send(json.dumps({"type": "RESTResponse", "request_id": "never-sent", "status_code": 204}))
        await ws.send(json.dumps(END))
        await asyncio.sleep(1)

    async def main() -> list[e.Event]:
        async with serve(asterisk, "127.0.0.1", 0) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            requests = SocketRequests()
            stream = EventStream(f"ws://127.0.0.1:{port}/x", "u", "p", requests=requests)
            received: list[e.Event] = []
            runner = asyncio.create_task(stream.run(received.append))
            async with asyncio.timeout(5):
                while not received:
                    await asyncio.sleep(0.01)
            await stream.stop()
            await asyncio.wait_for(runner, 5)
            return received

    # The RESTResponse is not an event; the StasisEnd after it is.
    assert [type(event) for event in asyncio.run(main())] == [e.StasisEnd]


def reply(request: dict[str, Any], status: int = 204, message: str = "") -> str:
    body = {"message_body": json.dumps({"message": message})} if message else {}
    return json.dumps({"type": "RESTResponse", "request_id": request["request_id"], "status_code": status, **body})


async def answering_after_the_play(
    statuses: dict[str, int], action: Callable[[AriClient, SocketRequests], Awaitable[object]]
) -> list[str]:
    """A server that answers the answer only once the play has arrived (as a caller's first
    sound needs both), with `statuses` by the request's last path segment; the URIs it got."""
    got: list[str] = []

    async def asterisk(ws: ServerConnection) -> None:
        held: dict[str, Any] | None = None
        async for raw in ws:
            request = json.loads(raw)
            got.append(request["uri"])
            kind = "answer" if request["uri"].endswith("/answer") else "play"
            if kind == "answer":
                held = request
                continue
            assert held is not None
            code = statuses.get("answer", 204)
            await ws.send(reply(held, code, "Channel not found" if code == 404 else ""))
            code = statuses.get("play", 201)
            await ws.send(reply(request, code, "Channel not found" if code == 404 else ""))

    async with serve(asterisk, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        requests = SocketRequests(timeout=1)
        stream = EventStream(f"ws://127.0.0.1:{port}/x", "u", "p", requests=requests)
        runner = asyncio.create_task(stream.run(lambda event: None))
        async with AriClient("http://ari.test/ari", "u", "p", socket=requests) as ari:
            async with asyncio.timeout(5):
                while not requests.ready:
                    await asyncio.sleep(0.01)
            try:
                await action(ari, requests)
            finally:
                await stream.stop()
                await asyncio.wait_for(runner, 5)
    return got


def test_the_greeting_is_sent_right_behind_the_answer_without_waiting_for_it():
    async def action(ari: AriClient, requests: SocketRequests) -> None:
        assert await ari.answer_and_play("c1", "sound:hello-world", "pb-1") is None

    got = asyncio.run(answering_after_the_play({}, action))
    assert got == ["channels/c1/answer", "channels/c1/play/pb-1"]  # in this order, on the one socket


def test_a_failed_answer_is_raised_and_a_failed_greeting_returned():
    async def answer_fails(ari: AriClient, requests: SocketRequests) -> None:
        with pytest.raises(AriNotFound, match="POST channels/c1/answer: 404 Channel not found"):
            await ari.answer_and_play("c1", "sound:hello-world", "pb-1")
        assert not requests._waiting  # the play's answer is waited for by nobody, and not kept

    async def play_fails(ari: AriClient, requests: SocketRequests) -> None:
        failed = await ari.answer_and_play("c1", "sound:hello-world", "pb-1")
        assert isinstance(failed, AriNotFound) and "play/pb-1: 404" in str(failed)
        assert not requests._waiting

    asyncio.run(answering_after_the_play({"answer": 404, "play": 404}, answer_fails))
    asyncio.run(answering_after_the_play({"play": 404}, play_fails))


def test_without_the_socket_the_answer_and_then_the_greeting_go_over_http():
    sent: list[str] = []

    def http(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        return httpx.Response(404 if request.url.path.endswith("/play/pb-2") else 204, json={"message": "gone"})

    async def main() -> tuple[object, object]:
        async with AriClient("http://ari.test/ari", "u", "p", transport=httpx.MockTransport(http)) as ari:
            return (
                await ari.answer_and_play("c1", "sound:hello-world", "pb-1"),
                await ari.answer_and_play("c1", "sound:hello-world", "pb-2"),
            )

    first, second = asyncio.run(main())
    assert first is None and isinstance(second, AriNotFound)
    assert sent == [
        "/ari/channels/c1/answer",
        "/ari/channels/c1/play/pb-1",
        "/ari/channels/c1/answer",
        "/ari/channels/c1/play/pb-2",
    ]
