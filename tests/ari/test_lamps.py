"""Message lamps (pbx/stasis/lamps.py) against ARI behind httpx.MockTransport: only changed
counts are published, all of them again after a reconnect, and a failure is retried."""

from __future__ import annotations

import asyncio

import httpx

from pbx.ari.client import AriClient
from pbx.stasis.lamps import Lamps, LampStates


def run_lamps(states: list[LampStates], fail_once: set[str] | None = None, forget_after: int = -1) -> list[str]:
    """Refresh once per entry of `states`; the endpoints Asterisk was asked to originate (and
    accepted). Asterisk refuses the first request for each extension in `fail_once`."""
    asked: list[str] = []
    failing = set(fail_once or ())

    def answer(request: httpx.Request) -> httpx.Response:
        endpoint = request.url.params["endpoint"]
        extension = endpoint.removeprefix("Local/").split("-")[0]
        if extension in failing:
            failing.discard(extension)
            return httpx.Response(500, json={"message": "Allocation failed"})
        asked.append(endpoint)
        assert request.url.params["context"] == "centrala-mwi-done"
        return httpx.Response(200, json={"id": "x"})

    async def main() -> None:
        queue = list(states)

        async def load() -> LampStates:
            return queue.pop(0)

        async with AriClient("http://ari.test/ari", "u", "p", transport=httpx.MockTransport(answer)) as ari:
            lamps = Lamps(ari, load)
            for n in range(len(states)):
                if n == forget_after:
                    lamps.forget()
                await lamps.refresh()

    asyncio.run(main())
    return asked


def test_only_the_lamps_whose_counts_changed_are_published():
    asked = run_lamps([{"101": (0, 0), "102": (1, 0)}, {"101": (0, 0), "102": (1, 0)}, {"101": (0, 0), "102": (0, 1)}])
    assert asked == ["Local/101-0-0@centrala-mwi", "Local/102-1-0@centrala-mwi", "Local/102-0-1@centrala-mwi"]


def test_after_a_reconnect_every_lamp_is_published_again():
    asked = run_lamps([{"101": (2, 1)}, {"101": (2, 1)}], forget_after=1)
    assert asked == ["Local/101-2-1@centrala-mwi", "Local/101-2-1@centrala-mwi"]


def test_a_lamp_asterisk_refused_is_tried_again_at_the_next_refresh():
    asked = run_lamps([{"101": (1, 0), "102": (1, 0)}, {"101": (1, 0), "102": (1, 0)}], fail_once={"101"})
    assert asked == ["Local/102-1-0@centrala-mwi", "Local/101-1-0@centrala-mwi"]


def test_without_a_loader_nothing_is_asked():
    asked: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(200, json={})

    async def main() -> None:
        async with AriClient("http://ari.test/ari", "u", "p", transport=httpx.MockTransport(answer)) as ari:
            await Lamps(ari, None).refresh()

    asyncio.run(main())
    assert asked == []


def test_an_unreadable_database_is_said_once_per_outage_and_no_lamp_changes(caplog):
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.params["endpoint"])
        return httpx.Response(200, json={})

    outcomes: list[LampStates | Exception] = [RuntimeError("db away"), RuntimeError("db away"), {"101": (1, 0)}]

    async def load() -> LampStates:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def main() -> None:
        async with AriClient("http://ari.test/ari", "u", "p", transport=httpx.MockTransport(answer)) as ari:
            lamps = Lamps(ari, load)
            for _ in range(3):
                await lamps.refresh()

    asyncio.run(main())
    assert [r.message for r in caplog.records] == [
        "could not read the voicemail counts; the message lamps stay as they are: db away"
    ]
    assert asked == ["Local/101-1-0@centrala-mwi"]
