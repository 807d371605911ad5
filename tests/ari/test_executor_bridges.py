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
