"""How the restarted app sorts the callers Asterisk still holds (pbx/stasis/adoption.py),
against ARI answered by httpx.MockTransport: each channel gets the path its state calls for."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from pbx.ari.client import AriClient
from pbx.callflow import events as e
from pbx.stasis.adoption import Adoption
from pbx.stasis.routes import Routes

KEY = "0b6f6a4e-7a39-4c43-9d52-6a3c4b7f2a11"
OTHER = "5d1c7a2e-0e3f-4a8b-b1c9-3f6e2d7a9c44"
BEFORE = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def channel(channel_id: str, name: str = "PJSIP/carrier-00000001") -> dict[str, Any]:
    return {
        "id": channel_id,
        "name": name,
        "state": "Up",
        "caller": {"number": "601234567", "name": ""},
        "connected": {"number": "", "name": ""},
        "dialplan": {"context": "from-trunk", "exten": "+48221230004"},
        "creationtime": BEFORE,
    }


class Asterisk:
    def __init__(self, channels: list[dict[str, Any]], live: set[str], stored: set[str], bridges=()) -> None:  # type: ignore[no-untyped-def]
        self.channels, self.live, self.stored, self.bridges = channels, live, stored, list(bridges)
        self.hung_up: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/ari/")
        if path == "channels":
            return httpx.Response(200, json=self.channels)
        if path == "bridges":
            return httpx.Response(200, json=self.bridges)
        for prefix, names in (("recordings/live/", self.live), ("recordings/stored/", self.stored)):
            if path.startswith(prefix):
                found = path.removeprefix(prefix) in names
                return httpx.Response(200, json={}) if found else httpx.Response(404, json={"message": "not found"})
        if request.method == "DELETE" and path.startswith("channels/"):
            self.hung_up.append(path.removeprefix("channels/"))
            return httpx.Response(204)
        return httpx.Response(404, json={"message": f"unexpected {request.method} {path}"})


class Worker:
    def __init__(self) -> None:
        self.fed: list[e.Event] = []

    def feed(self, event: e.Event) -> None:
        self.fed.append(event)


class Calls:
    def __init__(self, others: frozenset[str] = frozenset()) -> None:
        self.started: dict[str, tuple[str, Worker]] = {}
        self.others = others  # channels another worker must serve (pbx/stasis/to_first.py)
        self.passed: dict[str, tuple[str, e.Adopted]] = {}

    def pass_adopted(self, event: e.Adopted, key: str) -> bool:
        if event.channel_id not in self.others:
            return False
        self.passed[event.channel_id] = (key, event)
        return True

    def start_adopted(self, channel_id: str, key: str) -> Worker:
        worker = Worker()
        self.started[channel_id] = (key, worker)
        return worker


def take_back(
    asterisk: Asterisk,
    open_calls: dict[str, str],
    owed: dict[str, tuple[str, str]] | None = None,
    routes: Routes[Worker] | None = None,
    others: frozenset[str] = frozenset(),
) -> Calls:
    asked: list[set[str]] = []

    async def run() -> Calls:
        ari = AriClient("http://ari.test/ari", "u", "p", transport=httpx.MockTransport(asterisk))

        async def keys(channels: set[str]) -> dict[str, str]:
            return {ch: key for ch, key in open_calls.items() if ch in channels}

        async def owed_by(call_keys: set[str]) -> dict[str, tuple[str, str]]:
            asked.append(call_keys)
            return {key: found for key, found in (owed or {}).items() if key in call_keys}

        calls = Calls(others)
        calls.owed_asked = asked  # type: ignore[attr-defined]
        try:
            live = {ch["id"] for ch in asterisk.channels}
            adoption = Adoption(ari, routes if routes is not None else Routes(), keys, owed=owed_by)  # type: ignore[arg-type]
            await adoption.take_back(live, calls, datetime.now(UTC))  # type: ignore[arg-type]
        finally:
            await ari.aclose()
        return calls

    return asyncio.run(run())


def where(calls: Calls, channel_id: str) -> tuple[str, str]:
    adopted = calls.started[channel_id][1].fed[0]
    assert isinstance(adopted, e.Adopted)
    return adopted.where, adopted.recording


def test_a_message_still_recording_is_finished_and_one_recorded_meanwhile_ends_the_call():
    asterisk = Asterisk(
        [channel("1.1"), channel("1.2"), channel("1.3")],
        live={f"{KEY}-voicemail"},
        stored={f"{KEY}-voicemail", f"{OTHER}-voicemail"},  # a live recording's file is stored too
    )
    calls = take_back(asterisk, {"1.1": KEY, "1.2": OTHER})
    assert where(calls, "1.1") == ("voicemail", f"{KEY}-voicemail")
    assert where(calls, "1.2") == ("left_message", f"{OTHER}-voicemail")  # not asked to leave a second
    assert where(calls, "1.3") == ("entry", "")  # no history row: nothing to look up
    assert calls.started["1.1"][0] == KEY and calls.started["1.2"][0] == OTHER


def test_a_known_caller_with_no_message_starts_again_and_a_lost_calls_ringing_phone_is_hung_up():
    asterisk = Asterisk([channel("1.1"), channel(f"{KEY}-leg3", "PJSIP/101-00000002")], live=set(), stored=set())
    calls = take_back(asterisk, {"1.1": KEY})
    assert where(calls, "1.1") == ("entry", "")
    assert asterisk.hung_up == [f"{KEY}-leg3"] and f"{KEY}-leg3" not in calls.started


def test_a_caller_alone_in_a_bridge_is_released_and_two_in_one_go_on_talking():
    bridges = [
        {"id": f"{KEY}-bridge", "channels": ["1.1", f"{KEY}-leg1"]},
        {"id": f"{OTHER}-bridge", "channels": ["1.2"]},
    ]
    asterisk = Asterisk(
        [channel("1.1"), channel(f"{KEY}-leg1", "PJSIP/102-00000003"), channel("1.2")],
        live=set(),
        stored=set(),
        bridges=bridges,
    )
    calls = take_back(asterisk, {"1.1": KEY, "1.2": OTHER})
    bridged = calls.started["1.1"][1].fed[0]
    assert isinstance(bridged, e.Adopted) and (bridged.where, bridged.peer, bridged.peer_label) == (
        "bridged",
        f"{KEY}-leg1",
        "102",
    )
    assert where(calls, "1.2") == ("release", "")
    assert not asterisk.hung_up


def test_a_conversation_owing_its_announced_recording_gets_it_unless_asterisk_has_one():
    bridges = [
        {"id": f"{KEY}-bridge", "channels": ["1.1", f"{KEY}-leg1"]},
        {"id": f"{OTHER}-bridge", "channels": ["1.2", f"{OTHER}-leg1"]},
    ]
    channels = [
        channel("1.1"),
        channel(f"{KEY}-leg1", "PJSIP/101-00000003"),
        channel("1.2"),
        channel(f"{OTHER}-leg1", "PJSIP/102-00000004"),
    ]
    owed = {KEY: ("Jakość obsługi", "101"), OTHER: ("Jakość obsługi", "102")}
    for live, stored, other_owes in (
        (set(), set(), True),
        ({f"{OTHER}-call"}, set(), False),
        (set(), {f"{OTHER}-call"}, False),
    ):
        asterisk = Asterisk(channels, live=live, stored=stored, bridges=bridges)
        calls = take_back(asterisk, {"1.1": KEY, "1.2": OTHER}, owed)
        first, second = (calls.started[ch][1].fed[0] for ch in ("1.1", "1.2"))
        assert isinstance(first, e.Adopted) and isinstance(second, e.Adopted)
        assert (first.where, first.owed_rule, first.answered_by) == ("bridged", "Jakość obsługi", "101")
        # a recording Asterisk is still making, or has finished, is never started twice
        assert (second.owed_rule, second.answered_by) == (("Jakość obsługi", "102") if other_owes else ("", ""))
        assert calls.owed_asked == [{KEY, OTHER}]  # type: ignore[attr-defined]  # one question for all


def test_callers_not_in_the_history_owe_nothing_and_the_history_is_not_asked():
    bridges = [{"id": f"{KEY}-bridge", "channels": ["1.1", f"{KEY}-leg1"]}]
    asterisk = Asterisk([channel("1.1"), channel(f"{KEY}-leg1", "PJSIP/101-00000003")], set(), set(), bridges)
    calls = take_back(asterisk, {}, {KEY: ("Jakość obsługi", "101")})
    adopted = calls.started["1.1"][1].fed[0]
    assert isinstance(adopted, e.Adopted) and (adopted.known, adopted.owed_rule) == (False, "")
    assert calls.owed_asked == []  # type: ignore[attr-defined]


def test_a_listener_is_never_taken_for_a_caller_and_its_events_go_to_the_conversation_it_records():
    bridges = [{"id": f"{KEY}-bridge", "channels": ["1.1", f"{KEY}-leg1"]}]
    channels = [
        channel("1.1"),
        channel(f"{KEY}-leg1", "PJSIP/101-00000003"),
        channel(f"{KEY}-listener", "Snoop/1.1-00000001"),
        channel(f"{OTHER}-listener", "Snoop/1.2-00000002"),  # its call's caller is being hung up
    ]
    routes: Routes[Worker] = Routes()
    asterisk = Asterisk(channels, live=set(), stored=set(), bridges=bridges)
    calls = take_back(asterisk, {"1.1": KEY}, routes=routes)
    assert set(calls.started) == {"1.1"} and not asterisk.hung_up  # a recording is never cut
    assert routes.find(f"{KEY}-listener") is calls.started["1.1"][1]
    assert routes.find(f"{OTHER}-listener") is None
    taken = calls.started["1.1"][1].fed[0]
    assert isinstance(taken, e.Adopted) and (taken.where, taken.listening) == ("bridged", True)


def test_a_caller_another_worker_must_serve_is_passed_there_under_its_key_not_started_here():
    asterisk = Asterisk([channel("1.1"), channel("1.2")], live=set(), stored=set())
    calls = take_back(asterisk, {"1.1": KEY, "1.2": OTHER}, others=frozenset({"1.1"}))
    key, adopted = calls.passed["1.1"]
    assert (key, adopted.where, adopted.known, adopted.inbound) == (KEY, "entry", True, True)
    assert "1.1" not in calls.started and where(calls, "1.2") == ("entry", "")
