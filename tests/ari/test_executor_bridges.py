"""Moving a leg out of another call's bridge (attended transfer): a bridge already gone or being
torn down means the leg is free already, never a failed call."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from pbx.ari.client import AriClient
from pbx.callflow import commands as c
from pbx.stasis.executor import AriExecutor
from pbx.stasis.routes import Routes


class Worker:
    def __init__(self) -> None:
        self.fed: list[object] = []

    def feed(self, event: object) -> None:
        self.fed.append(event)


@pytest.mark.parametrize(("status", "ok"), [(204, True), (404, True), (409, True), (422, True), (500, False)])
def test_a_leg_leaving_a_bridge_that_is_gone_is_no_failure(status: int, ok: bool):
    async def go() -> tuple[bool, list[object]]:
        transport = httpx.MockTransport(lambda request: httpx.Response(status, json={"message": "x"}))
        async with AriClient("http://ari.test/ari", "u", "p", transport=transport) as ari:
            worker = Worker()
            executor = AriExecutor(ari, "centrala", Routes(), mailboxes=None)  # type: ignore[arg-type]
            done = await executor.execute(worker, c.RemoveFromBridge("caller", bridge_id="b2", leg="leg"))  # type: ignore[arg-type]
            return done, worker.fed

    done, fed = asyncio.run(go())
    assert done is ok and (fed == []) is ok  # only a real failure goes back to the call


def test_a_listener_is_asked_for_in_the_calls_app_and_its_events_find_the_call_before_it_exists():
    requests: list[httpx.Request] = []

    def asterisk(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        # by the time Asterisk answers, the listener's StasisStart may be on its way
        assert routes.find("k-listener") is worker
        return httpx.Response(200, json={"id": "k-listener"})

    routes: Routes[Worker] = Routes()
    worker = Worker()

    async def go() -> bool:
        async with AriClient("http://ari.test/ari", "u", "p", transport=httpx.MockTransport(asterisk)) as ari:
            executor = AriExecutor(ari, "centrala-2", routes, mailboxes=None)  # type: ignore[arg-type]
            return await executor.execute(worker, c.Listen("k-listener", target="1.1"))  # type: ignore[arg-type]

    assert asyncio.run(go()) and worker.fed == []
    (sent,) = requests
    assert (sent.method, sent.url.path) == ("POST", "/ari/channels/1.1/snoop")
    assert dict(sent.url.params) == {
        "spy": "both",
        "whisper": "none",
        "app": "centrala-2",
        "appArgs": "listener",
        "snoopId": "k-listener",
    }
