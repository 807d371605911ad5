"""The ARI client against httpx.MockTransport: paths, parameters, auth and error mapping."""

from __future__ import annotations

import asyncio
import base64
import sys
import time
from collections.abc import Callable

import httpx
import pytest

from pbx.ari.client import AriClient, AriConflict, AriError, AriNotFound, AriTimeout, AriUnavailable

Handler = Callable[[httpx.Request], httpx.Response]


def run(handler: Handler, action: Callable[[AriClient], object]) -> object:
    async def go() -> object:
        async with AriClient(
            "http://ari.test/ari", "centrala", "s3cret", transport=httpx.MockTransport(handler)
        ) as ari:
            return await action(ari)  # type: ignore[misc]

    return asyncio.run(go())


class Recorder:
    def __init__(self, response: httpx.Response | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.response = response or httpx.Response(204)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.response


def test_answer_posts_to_the_channel_with_basic_auth():
    seen = Recorder()
    run(seen, lambda ari: ari.answer("1700000000.1"))
    [request] = seen.requests
    assert (request.method, str(request.url)) == ("POST", "http://ari.test/ari/channels/1700000000.1/answer")
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"centrala:s3cret").decode()


def test_play_uses_our_playback_id_and_media():
    seen = Recorder(httpx.Response(201, json={"id": "k-greeting"}))
    run(seen, lambda ari: ari.play("1700000000.1", "sound:hello-world", "k-greeting"))
    [request] = seen.requests
    assert request.url.path == "/ari/channels/1700000000.1/play/k-greeting"
    assert request.url.params["media"] == "sound:hello-world"


def test_record_sends_every_parameter_and_never_overwrites():
    seen = Recorder(httpx.Response(201, json={}))
    run(seen, lambda ari: ari.record("1700000000.1", "k-caller", "wav", 3))
    assert dict(seen.requests[0].url.params) == {
        "name": "k-caller",
        "format": "wav",
        "maxDurationSeconds": "3",
        "ifExists": "fail",
        "beep": "false",
        "terminateOn": "none",
    }


def test_names_with_slashes_travel_as_one_encoded_segment():
    seen = Recorder()
    run(seen, lambda ari: ari.delete_stored_recording("calls/2026/abc"))
    assert seen.requests[0].url.raw_path == b"/ari/recordings/stored/calls%2F2026%2Fabc"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (404, AriNotFound),
        (409, AriConflict),
        (412, AriConflict),
        (500, AriUnavailable),
        (503, AriUnavailable),
        (400, AriError),
        (422, AriError),
    ],
)
def test_error_statuses_map_to_our_errors_with_asterisk_message(status: int, error: type[AriError]):
    seen = Recorder(httpx.Response(status, json={"message": "Channel not found"}))
    with pytest.raises(error) as caught:
        run(seen, lambda ari: ari.hangup("gone"))
    assert caught.value.status == status
    assert "Channel not found" in str(caught.value)
    assert type(caught.value) is error


def test_a_timeout_becomes_ari_timeout():
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(AriTimeout):
        run(slow, lambda ari: ari.answer("1"))


def test_connection_refused_becomes_ari_unavailable():
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(AriUnavailable) as caught:
        run(refused, lambda ari: ari.ping())
    assert caught.value.status == 0


def test_stored_recording_streams_its_bytes():
    payload = b"RIFF" + bytes(range(256)) * 64

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/ari/recordings/stored/k-caller/file"
        return httpx.Response(200, content=payload, headers={"content-type": "audio/wav"})

    async def download(ari: AriClient) -> bytes:
        async with ari.stored_recording_file("k-caller") as chunks:
            return b"".join([chunk async for chunk in chunks])

    assert run(handler, download) == payload


def test_a_missing_stored_recording_raises_not_found():
    seen = Recorder(httpx.Response(404, json={"message": "Recording not found"}))

    async def download(ari: AriClient) -> None:
        async with ari.stored_recording_file("nope"):
            pass

    with pytest.raises(AriNotFound):
        run(seen, download)


def test_event_filter_disallows_the_given_types():
    seen = Recorder(httpx.Response(200, json={}))
    run(seen, lambda ari: ari.set_event_filter("centrala", ["ChannelVarset"]))
    [request] = seen.requests
    assert (request.method, request.url.path) == ("PUT", "/ari/applications/centrala/eventFilter")
    assert request.read() == b'{"allowed":[],"disallowed":[{"type":"ChannelVarset"}]}'


def test_a_burst_of_requests_waits_for_a_connection_in_order_never_more_than_the_limit_at_once():
    from pbx.ari.client import MAX_CONNECTIONS

    in_flight, most = 0, 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(204)

    async def go() -> None:
        async with AriClient("http://ari.test/ari", "u", "p", transport=httpx.MockTransport(slow)) as ari:
            await asyncio.gather(*(ari.answer(f"c{n}") for n in range(300)))

    asyncio.run(go())
    assert most == MAX_CONNECTIONS


def test_a_busy_background_client_never_holds_up_the_live_calls_client():
    """Storing recordings runs on a client of its own (pbx.asterisk.background_client): a
    backlog there, every connection of it taken, leaves the live calls' requests untouched."""
    release = asyncio.Event()
    in_flight = 0

    async def asterisk(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight
        if "recordings" in request.url.path:  # a file being fetched, slowly
            in_flight += 1
            await release.wait()
        return httpx.Response(204)

    async def go() -> tuple[int, bool]:
        transport = httpx.MockTransport(asterisk)
        async with (
            AriClient("http://ari.test/ari", "u", "p", transport=transport) as live,
            AriClient("http://ari.test/ari", "u", "p", transport=transport, max_connections=4) as background,
        ):
            backlog = [asyncio.create_task(background.delete_stored_recording(f"r{n}")) for n in range(50)]
            await asyncio.sleep(0.05)
            # Every live request is answered while the whole backlog still waits (if they
            # queued behind it, this would time out: nothing releases the backlog before).
            await asyncio.wait_for(asyncio.gather(*(live.answer(f"c{n}") for n in range(20))), timeout=10)
            fetching, backlog_waiting = in_flight, not any(task.done() for task in backlog)
            release.set()
            await asyncio.gather(*backlog)
            return fetching, backlog_waiting

    fetching, backlog_waiting = asyncio.run(go())
    assert (fetching, backlog_waiting) == (4, True)  # the backlog goes 4 at a time, and waited
    assert in_flight == 50  # all of it stored in the end


def test_no_free_connection_in_time_is_a_timeout_naming_the_request():
    release = asyncio.Event()

    async def stuck(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return httpx.Response(204)

    async def go() -> None:
        timeout = httpx.Timeout(5.0, pool=0.2)
        async with AriClient(
            "http://ari.test/ari", "u", "p", transport=httpx.MockTransport(stuck), timeout=timeout
        ) as ari:
            busy = [asyncio.create_task(ari.answer(f"c{n}")) for n in range(40)]
            await asyncio.sleep(0.05)
            with pytest.raises(AriTimeout, match="POST channels/late/answer: no free connection to Asterisk"):
                await ari.answer("late")
            release.set()
            await asyncio.gather(*busy)

    asyncio.run(go())


def test_a_join_to_a_bridge_waits_longer_for_a_connection_than_other_requests():
    """Under load every connection may be held by joins waiting on channels' threads: a caller
    about to be put through waits for one (CHANNEL_SLOT_WAIT), an ordinary request does not."""
    release = asyncio.Event()

    async def stuck(request: httpx.Request) -> httpx.Response:
        if "late" not in request.url.path:
            await release.wait()
        return httpx.Response(204)

    async def go() -> float:
        timeout = httpx.Timeout(5.0, pool=0.2)
        async with AriClient(
            "http://ari.test/ari", "u", "p", transport=httpx.MockTransport(stuck), timeout=timeout, channel_slot_wait=1
        ) as ari:
            busy = [asyncio.create_task(ari.answer(f"c{n}")) for n in range(40)]
            await asyncio.sleep(0.05)
            with pytest.raises(
                AriTimeout, match=r"POST channels/late/answer: no free connection to Asterisk within 0.2 s"
            ):
                await ari.answer("late")
            asyncio.get_running_loop().call_later(0.4, release.set)
            started = time.monotonic()
            await ari.add_to_bridge("b1", ("late",))  # waits past the pool timeout for the first free one
            waited = time.monotonic() - started
            await asyncio.gather(*busy)
            release.clear()
            busy = [asyncio.create_task(ari.answer(f"c{n}")) for n in range(40)]
            await asyncio.sleep(0.05)
            with pytest.raises(AriTimeout, match=r"addChannel: no free connection to Asterisk within 1 s"):
                await ari.add_to_bridge("b1", ("late",))
            release.set()
            await asyncio.gather(*busy)
            return waited

    assert 0.3 < asyncio.run(go()) < 1


def test_after_a_burst_the_client_keeps_few_idle_connections_to_asterisk_and_all_of_them_in_a_burst():
    """A burst of joins may use every connection (MAX_CONNECTIONS) at once; afterwards only
    KEEPALIVE_CONNECTIONS stay open: httpcore checks each idle one on every request."""
    from pbx.ari.client import KEEPALIVE_CONNECTIONS, MAX_CONNECTIONS

    open_now, most = 0, 0
    release = asyncio.Event()

    async def asterisk(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal open_now, most
        open_now += 1
        most = max(most, open_now)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if b"burst" in head:
                    await release.wait()
                writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            open_now -= 1
            writer.close()

    async def go() -> tuple[int, int]:
        server = await asyncio.start_server(asterisk, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server, AriClient(f"http://127.0.0.1:{port}/ari", "u", "p") as ari:
            burst = [asyncio.create_task(ari.add_to_bridge("burst", (f"c{n}",))) for n in range(MAX_CONNECTIONS)]
            while most < MAX_CONNECTIONS:
                await asyncio.sleep(0.01)
            release.set()
            await asyncio.gather(*burst)
            await ari.add_to_bridge("after", ("c1",))  # the pool lets the surplus go on its next request
            await asyncio.sleep(0.1)
            return most, open_now

    assert asyncio.run(go()) == (MAX_CONNECTIONS, KEEPALIVE_CONNECTIONS)


def test_the_http_client_finds_its_async_library_without_searching_the_disk(monkeypatch):
    """httpcore imports sniffio on every request (several times); with sniffio missing, each
    import was a failed search of every directory on sys.path, in the event loop's thread (a
    fifth of its time in the busiest second of the benchmark). requirements.txt pins it."""
    import httpcore._synchronization as synchronization

    async def library() -> str:
        return synchronization.current_async_library()

    assert asyncio.run(library()) == "asyncio"  # imported once, as the app's first request does
    searched: list[str] = []

    class Spy:
        def find_spec(self, name: str, path: object = None, target: object = None) -> None:
            searched.append(name)

    monkeypatch.setattr(sys, "meta_path", [Spy(), *sys.meta_path])
    assert asyncio.run(library()) == "asyncio"
    assert searched == []
