"""Which calls a Stasis worker other than the first may serve (STASIS_WORKERS)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from pbx.callflow import scenario as s
from pbx.callflow.workers import SOLE, Worker, serves_here, shared_numbers, stays_in_own_call

from .fixtures import OFFICE, directory

MESSAGE_LINE = "+48221234599"
FIRST, SECOND = Worker(1, 2), Worker(2, 2)
HOTLINE = "+48221234598"

# Every kind of destination: the ones that stay within their call, and the ones that meet others.
OWN_CALL: dict[str, s.Destination] = {
    "announcement": s.Announcement("sound:hello-world"),
    "menu": s.Menu("sound:demo-moreinfo", options={}),
    "voicemail": s.Voicemail(),
    "callback offer": s.CallbackOffer("sound:demo-moreinfo"),
    "hang up": s.HangUp(),
}
MEETS_OTHERS: dict[str, s.Destination] = {
    "a person": s.RingExtension("101"),
    "a queue": s.RingQueue("Sprzedaż", "ring_all", members=("101",)),
    "a rota": s.RingQueue("Dyżur", "rota"),
    "an outside number": s.ExternalNumber("+48601000101"),
}


def office(destinations: Mapping[int, s.Destination], **plans: s.NumberPlan) -> s.Directory:
    return s.Directory(numbers=plans, destinations=destinations)


@pytest.mark.parametrize("kind", OWN_CALL)
def test_a_destination_that_stays_within_its_call_may_be_served_by_any_worker(kind):
    assert stays_in_own_call(office({1: OWN_CALL[kind]}), 1)


@pytest.mark.parametrize("kind", MEETS_OTHERS)
def test_a_destination_that_rings_anyone_needs_the_first_worker(kind):
    assert not stays_in_own_call(office({1: MEETS_OTHERS[kind]}), 1)


@pytest.mark.parametrize("kind", MEETS_OTHERS)
def test_ringing_reached_through_any_path_needs_the_first_worker(kind):
    ring = MEETS_OTHERS[kind]
    paths: list[dict[int, s.Destination]] = [
        {1: s.Announcement("sound:a", next=2), 2: ring},
        {1: s.Menu("sound:m", options={"1": 3, "2": 2}), 2: ring, 3: s.HangUp()},  # a key
        {1: s.Menu("sound:m", options={"1": 3}, fallback=2), 2: ring, 3: s.HangUp()},  # after the retries
        {1: s.CallbackOffer("sound:c", otherwise=2), 2: ring},  # no key pressed
    ]
    for destinations in paths:
        assert not stays_in_own_call(office(destinations), 1), destinations


def test_a_loop_of_messages_and_menus_ends_and_stays_within_the_call():
    loop: dict[int, s.Destination] = {
        1: s.Announcement("sound:a", next=2),
        2: s.Menu("sound:m", options={"1": 1, "2": 3}),
        3: s.Voicemail(),
    }
    assert stays_in_own_call(office(loop), 1)
    assert stays_in_own_call(office(loop), None)  # no destination: the call hangs up
    assert stays_in_own_call(office(loop), 99)  # a destination deleted: the call hangs up


def test_a_number_is_shared_only_when_open_closed_and_holiday_all_stay_within_the_call():
    destinations: dict[int, s.Destination] = {
        1: s.Voicemail(),
        2: s.Announcement("sound:closed"),
        3: s.RingExtension("101"),
    }
    messages = s.NumberPlan(MESSAGE_LINE, open=1, closed=2)
    by_day = s.NumberPlan(OFFICE, open=3, closed=1)
    on_holidays = s.NumberPlan(HOTLINE, open=1, closed=2, holiday=3)
    plans = {plan.number: plan for plan in (messages, by_day, on_holidays)}
    assert shared_numbers(office(destinations, **plans)) == [MESSAGE_LINE]


def test_the_first_worker_serves_everything():
    d = directory()
    for args in [("inbound", OFFICE), ("internal", "1", "102"), ("callback", "t", OFFICE, "101"), ("leg", "k"), ()]:
        assert serves_here(d, FIRST, args, OFFICE)


def test_another_worker_serves_only_inbound_calls_to_shared_numbers():
    destinations: dict[int, s.Destination] = {1: s.Voicemail(), 2: s.RingExtension("101")}
    d = office(destinations, **{MESSAGE_LINE: s.NumberPlan(MESSAGE_LINE, open=1), OFFICE: s.NumberPlan(OFFICE, open=2)})
    assert serves_here(d, SECOND, ("inbound", MESSAGE_LINE), MESSAGE_LINE)
    assert serves_here(d, SECOND, ("inbound", "+48 22 123 45 99"), "")  # written another way
    assert serves_here(d, SECOND, ("inbound", "+48111111111"), "")  # not ours: refused wherever it lands
    assert not serves_here(d, SECOND, ("inbound", OFFICE), OFFICE)  # its scenario rings someone now
    assert not serves_here(d, SECOND, ("internal", "1", MESSAGE_LINE), "")  # a staff phone's call
    assert not serves_here(d, SECOND, ("callback", "t", MESSAGE_LINE, "101"), "")
    assert not serves_here(d, SECOND, ("leg", "k"), "")
    assert not serves_here(d, SECOND, ("inbound", MESSAGE_LINE, "1"), "")  # arguments Centrala never writes


def test_the_first_worker_leaves_alone_the_calls_of_the_other_configured_workers_only():
    assert SOLE.first and list(SOLE.others) == []
    first_of_three, third = Worker(1, 3), Worker(3, 3)
    assert first_of_three.first and list(first_of_three.others) == [2, 3]
    assert not third.first
