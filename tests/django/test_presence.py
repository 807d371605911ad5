"""The staff phones' presence (pbx/stasis/presence.py): the app follows their device states,
never an endpoint (an endpoint subscription doubles the events of every channel on it; the
whole PJSIP technology took in the carrier's trunk), and follows phones added later."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import httpx

from pbx.ari.client import AriClient
from pbx.callflow.scenario import Directory, Person
from pbx.stasis.presence import Presence, staff_logins


class Asterisk:
    """Endpoints and one app's subscriptions, as ARI keeps them (a device-state subscription
    is taken for any device name, known or not)."""

    def __init__(self, endpoints: dict[str, str], devices: set[str], endpoint_ids: Iterable[str] = ()) -> None:
        self.endpoints = endpoints  # resource -> state
        self.devices = devices  # "PJSIP/101"
        self.endpoint_ids = set(endpoint_ids)  # "PJSIP" (the whole technology) or "PJSIP/101"
        self.changes: list[str] = []
        self.asked: list[str] = []  # every request's path

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/ari/")
        self.asked.append(path)
        if path == "endpoints/PJSIP":
            return httpx.Response(200, json=[{"resource": r, "state": s} for r, s in self.endpoints.items()])
        if path == "applications/centrala":
            subscriptions = {"device_names": sorted(self.devices), "endpoint_ids": sorted(self.endpoint_ids)}
            return httpx.Response(200, json={"name": "centrala", **subscriptions})
        assert path == "applications/centrala/subscription", path
        sources = request.url.params["eventSource"].split(",")
        self.changes.append(f"{request.method} {','.join(sources)}")
        for source in sources:
            kind, _, name = source.partition(":")
            table = self.devices if kind == "deviceState" else self.endpoint_ids
            if request.method == "POST":
                table.add(name)
            else:
                table.discard(name)
        return httpx.Response(200, json={})


def people(*logins: str, devices: tuple[tuple[str, int], ...] = ()) -> Directory:
    return Directory(
        people={login: Person(login, login, devices=devices if login == logins[0] else ()) for login in logins}
    )


def follow(asterisk: Asterisk, *directories: Directory, online: dict[str, bool] | None = None) -> dict[str, bool]:
    """Follow each directory in turn, as the refreshes do; returns the presence kept."""
    online = {} if online is None else online

    async def run() -> None:
        ari = AriClient("http://ari.test/ari", "u", "p", transport=httpx.MockTransport(asterisk))
        presence = Presence(ari, "centrala", online)
        for directory in directories:
            await presence.follow(staff_logins(directory))
        await ari.aclose()

    asyncio.run(run())
    return online


def test_the_staff_phones_devices_are_followed_and_no_endpoint_is():
    """An older version's subscriptions (the whole technology, or a phone's endpoint) go."""
    asterisk = Asterisk(
        {"101": "online", "101-2": "offline", "102": "offline", "carrier": "online"},
        devices=set(),
        endpoint_ids={"PJSIP", "PJSIP/101"},
    )
    online = follow(asterisk, people("101", "102", devices=(("101-2", 10),)))
    assert (asterisk.devices, asterisk.endpoint_ids) == ({"PJSIP/101", "PJSIP/101-2", "PJSIP/102"}, set())
    assert asterisk.changes == [
        "DELETE endpoint:PJSIP,endpoint:PJSIP/101",
        "POST deviceState:PJSIP/101,deviceState:PJSIP/101-2,deviceState:PJSIP/102",
    ]
    assert online == {"101": True, "101-2": False, "102": False}


def test_an_unchanged_configuration_asks_asterisk_nothing_at_its_refresh():
    asterisk = Asterisk({"101": "online"}, devices=set())
    follow(asterisk, people("101"), people("101"), people("101"))
    assert asterisk.asked == ["applications/centrala", "applications/centrala/subscription", "endpoints/PJSIP"]


def test_a_phone_added_later_is_followed_at_once_and_one_removed_is_let_go():
    asterisk = Asterisk({"101": "online"}, devices=set())
    online: dict[str, bool] = {}
    # 102 is in the configuration before Asterisk has its endpoint: followed already, and
    # counted reachable (not in the map) until Asterisk says otherwise.
    follow(asterisk, people("101", "102"), online=online)
    assert asterisk.devices == {"PJSIP/101", "PJSIP/102"} and online == {"101": True}
    asterisk.endpoints["102"] = "offline"  # its endpoint came: its state is read at the next refresh
    follow(asterisk, people("101", "102"), online=online)
    assert online == {"101": True, "102": False}
    follow(asterisk, people("102"), online=online)  # 101 left the firm
    assert asterisk.devices == {"PJSIP/102"} and online == {"102": False}


def test_a_failure_is_logged_and_tried_again_at_the_next_refresh(caplog):
    class Failing(Asterisk):
        fail = True

        def __call__(self, request: httpx.Request) -> httpx.Response:
            if request.method == "POST" and self.fail:
                self.fail = False
                return httpx.Response(500, json={"message": "Internal Server Error"})
            return super().__call__(request)

    asterisk = Failing({"101": "online"}, devices=set())
    online = follow(asterisk, people("101"))
    assert asterisk.devices == set() and "could not follow the staff phones' presence" in caplog.text
    follow(asterisk, people("101"), online=online)
    assert asterisk.devices == {"PJSIP/101"} and online == {"101": True}
