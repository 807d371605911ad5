"""The staff phones' presence (pbx/stasis/presence.py): the app subscribes to their endpoints
only, never to the whole PJSIP technology (which takes in the carrier's trunk, and doubled
every carrier call's events), and follows phones added later."""

from __future__ import annotations

import asyncio

import httpx

from pbx.ari.client import AriClient
from pbx.callflow.scenario import Directory, Person
from pbx.stasis.presence import Presence, staff_logins


class Asterisk:
    """Endpoints and one app's endpoint subscriptions, as ARI keeps them: a subscription
    naming an endpoint it does not have is refused whole (422)."""

    def __init__(self, endpoints: dict[str, str], subscribed: set[str]) -> None:
        self.endpoints = endpoints  # resource -> state
        self.subscribed = subscribed  # "PJSIP" (the whole technology) or "PJSIP/101"
        self.changes: list[str] = []
        self.asked: list[str] = []  # every request's path

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/ari/")
        self.asked.append(path)
        if path == "endpoints/PJSIP":
            return httpx.Response(200, json=[{"resource": r, "state": s} for r, s in self.endpoints.items()])
        if path == "applications/centrala":
            return httpx.Response(200, json={"name": "centrala", "endpoint_ids": sorted(self.subscribed)})
        assert path == "applications/centrala/subscription", path
        sources = [s.removeprefix("endpoint:") for s in request.url.params["eventSource"].split(",")]
        self.changes.append(f"{request.method} {','.join(sources)}")
        if request.method == "POST":
            if any(s.removeprefix("PJSIP/") not in self.endpoints for s in sources):
                return httpx.Response(422, json={"message": "Event source does not exist"})
            self.subscribed |= set(sources)
        else:
            self.subscribed -= set(sources)
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


def test_the_staff_phones_are_followed_and_the_carrier_and_the_whole_technology_are_not():
    asterisk = Asterisk({"101": "online", "101-2": "offline", "102": "offline", "carrier": "online"}, {"PJSIP"})
    online = follow(asterisk, people("101", "102", devices=(("101-2", 10),)))
    assert asterisk.subscribed == {"PJSIP/101", "PJSIP/101-2", "PJSIP/102"}
    assert asterisk.changes == ["DELETE PJSIP", "POST PJSIP/101,PJSIP/101-2,PJSIP/102"]
    assert online == {"101": True, "101-2": False, "102": False}


def test_an_unchanged_configuration_asks_asterisk_nothing_at_its_refresh():
    asterisk = Asterisk({"101": "online"}, set())
    follow(asterisk, people("101"), people("101"), people("101"))
    assert asterisk.asked == [
        "endpoints/PJSIP",
        "applications/centrala",
        "applications/centrala/subscription",
        "endpoints/PJSIP",  # the states again, after subscribing
    ]


def test_a_phone_added_later_is_followed_once_asterisk_has_it_and_one_removed_is_let_go():
    asterisk = Asterisk({"101": "online"}, set())
    online: dict[str, bool] = {}
    # 102 is in the configuration before Asterisk has its endpoint: 101 is followed meanwhile.
    follow(asterisk, people("101", "102"), online=online)
    assert asterisk.subscribed == {"PJSIP/101"} and online == {"101": True}
    asterisk.endpoints["102"] = "online"
    follow(asterisk, people("101", "102"), online=online)
    assert asterisk.subscribed == {"PJSIP/101", "PJSIP/102"} and online == {"101": True, "102": True}
    follow(asterisk, people("102"), online=online)  # 101 left the firm
    assert asterisk.subscribed == {"PJSIP/102"} and online == {"102": True}


def test_a_phone_gone_between_the_look_and_the_subscription_is_tried_again_at_the_next_refresh(caplog):
    class Vanishing(Asterisk):
        def __call__(self, request: httpx.Request) -> httpx.Response:
            if request.method == "POST" and "102" in self.endpoints:
                del self.endpoints["102"]  # deleted in the admin meanwhile: Asterisk refuses all
            return super().__call__(request)

    asterisk = Vanishing({"101": "online", "102": "online"}, set())
    online = follow(asterisk, people("101", "102"))
    assert asterisk.subscribed == set() and "could not follow the staff phones' presence" in caplog.text
    assert online == {}
    follow(asterisk, people("101", "102"), online=online)
    assert asterisk.subscribed == {"PJSIP/101"} and online == {"101": True}
