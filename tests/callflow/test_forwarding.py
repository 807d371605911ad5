"""A person's own do-not-disturb and forwards (pbx/callflow/destinations.py: person_redirect,
no_answer_rule): for a scenario's "ring extension" and for a colleague dialling them; queues
skip a person in do-not-disturb; *78 and *79 switch it from the phone."""

from __future__ import annotations

import dataclasses
from datetime import time
from typing import Any

import pytest

from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow import scenario as s

from .fixtures import CHANNEL, MOBILE_FWD, OFFICE, ROTA_Q, T0, VOICEMAIL, Driver, at, directory, phone_channel


def office(extension: str = "103", **settings: Any) -> s.Directory:
    base = directory()
    person = dataclasses.replace(base.people[extension], **settings)
    return dataclasses.replace(base, people={**base.people, extension: person})


def call_reception(office_directory: s.Directory, presence: dict[str, bool] | None = None) -> Driver:
    d = Driver(office_directory, presence)
    d.start(T0)
    d.finish_playback(at(2))
    d.press("2", at(3))  # the menu's "2": reception, extension 103 (unanswered: the sales queue)
    return d


def timeline(d: Driver) -> list[tuple[str, dict]]:
    return [(x.kind, x.detail) for x in d.facts(c.CallStep)]


def test_do_not_disturb_sends_the_call_where_unanswered_calls_go_without_ringing_the_phone():
    d = call_reception(office(dnd=True))
    assert ("dnd", {"extension": "103"}) in timeline(d)
    assert "PJSIP/103" not in [x.endpoint for x in d.originated()]
    assert "ring_queue" in d.steps()  # reception's "then": the sales queue


def test_do_not_disturb_with_a_forward_always_goes_there():
    d = call_reception(office(dnd=True, forward_always=VOICEMAIL))
    steps = d.steps()
    assert steps.index("dnd") < steps.index("voicemail") and "ring_queue" not in steps
    assert not d.originated()


def test_forward_always_rings_the_outside_number_instead():
    d = call_reception(office(forward_always=MOBILE_FWD))
    assert ("forwarded", {"extension": "103", "why": "always"}) in timeline(d)
    assert [x.endpoint for x in d.originated()] == ["PJSIP/+48601000999@carrier"]


@pytest.mark.parametrize(("online", "forwarded"), [(False, True), (True, False)])
def test_forward_when_unreachable_only_when_no_phone_is_on(online, forwarded):
    d = call_reception(office(forward_unreachable=VOICEMAIL), presence={"103": online})
    assert (("forwarded", {"extension": "103", "why": "unreachable"}) in timeline(d)) == forwarded
    assert ("ring_plan_b" in d.steps()) is False


def test_forward_when_not_answered_rings_for_the_persons_seconds_then_goes_there():
    d = call_reception(office(forward_no_answer=VOICEMAIL, forward_after_seconds=8))
    assert d.last_timer("deadline").seconds == 8
    d.fire("deadline", at(12))
    assert "voicemail" in d.steps() and "ring_queue" not in d.steps()


def test_a_queue_skips_a_person_in_do_not_disturb():
    d = Driver(office("101", dnd=True))
    d.start(T0)
    d.finish_playback(at(2))
    d.press("1", at(3))
    assert [x.endpoint for x in d.originated()] == ["PJSIP/102"]


def test_a_colleague_in_do_not_disturb_is_busy_to_an_internal_call_unless_they_forward():
    cases: list[tuple[dict[str, Any], str]] = [
        ({"dnd": True}, "busy"),
        ({"dnd": True, "forward_always": VOICEMAIL}, "voicemail"),
    ]
    for settings, expected in cases:
        d = Driver(office(**settings))
        channel = phone_channel("101", exten="103")
        d.send(e.StasisStart(at=T0, channel_id=CHANNEL, channel=channel, args=("internal", "1", "103")))
        if expected == "busy":
            assert c.Hangup(CHANNEL, reason="busy") in d.out and not d.originated()
        else:
            assert "voicemail" in d.steps()


@pytest.mark.parametrize(("code", "on"), [("*78", True), ("*79", False)])
def test_do_not_disturb_is_switched_from_the_phone_without_a_pin(code, on):
    d = Driver(office())
    channel = phone_channel("101", exten=code)
    d.send(e.StasisStart(at=T0, channel_id=CHANNEL, channel=channel, args=("internal", "1", code)))
    [changed] = d.facts(c.DndChanged)
    assert (changed.extension, changed.on) == ("101", on)
    d.finish_playback(at(3))
    assert c.Hangup(CHANNEL, reason="normal") in d.out and d.call.outcome == "answered"


def busy_reception(busy: set[str], **settings: Any) -> Driver:
    d = Driver(office(**settings), {"103": True})
    d.call.on_a_call = lambda extension: extension in busy
    d.start(T0)
    d.finish_playback(at(2))
    d.press("2", at(3))
    return d


@pytest.mark.parametrize(("busy", "forwarded"), [({"103"}, True), ({"101"}, False), (set(), False)])
def test_forward_when_busy_only_while_the_person_is_on_another_call(busy, forwarded):
    d = busy_reception(busy, forward_busy=VOICEMAIL)
    assert (("forwarded", {"extension": "103", "why": "busy"}) in timeline(d)) == forwarded
    assert ("PJSIP/103" in [x.endpoint for x in d.originated()]) != forwarded


def test_without_a_forward_when_busy_a_second_call_rings_anyway():
    d = busy_reception({"103"})
    assert "PJSIP/103" in [x.endpoint for x in d.originated()]


def test_a_call_keeps_busy_the_phone_that_made_it_and_the_person_talking_to_its_caller():
    made = Driver()
    made.send(
        e.StasisStart(
            at=T0, channel_id=CHANNEL, channel=phone_channel("101", exten="102"), args=("internal", "1", "102")
        )
    )
    assert made.call.keeps_busy("101") and not made.call.keeps_busy("102")  # 102 only rings
    made.answer_leg("102", at(5))
    assert made.call.keeps_busy("102")
    inbound = call_reception(office())
    assert not inbound.call.keeps_busy("103")  # ringing is not talking
    inbound.answer_leg("103", at(10))
    assert inbound.call.keeps_busy("103") and not inbound.call.keeps_busy("601234567")
    inbound.hang_up_caller(at(20))
    assert not inbound.call.keeps_busy("103")


def rota_office(dnd: set[str]) -> s.Directory:
    """The office line goes straight to the on-duty queue. 102 is on duty all Monday; 101 from
    Tuesday 8:00; whoever is in `dnd` is in do-not-disturb."""
    base = directory()
    plan = dataclasses.replace(base.numbers[OFFICE], open=ROTA_Q)
    rota = s.Rota(weekly=(s.WeeklyDuty("102", 0, time(0), time(23, 59)), s.WeeklyDuty("101", 1, time(8), time(16))))
    people = {x: dataclasses.replace(p, dnd=x in dnd) for x, p in base.people.items()}
    return dataclasses.replace(base, numbers={OFFICE: plan}, rota=rota, people=people)


def test_the_rota_says_who_covers_for_the_person_on_duty_in_do_not_disturb():
    d = Driver(rota_office({"102"}))
    d.start(T0)  # Monday 10:00
    ring = next(x for x in d.facts(c.CallStep) if x.kind == "ring_queue")
    assert ring.detail["targets"] == ["101"] and ring.detail["covering_for"] == ["102"]
    assert [x.endpoint for x in d.originated()] == ["PJSIP/101"]


def test_with_the_person_on_duty_available_nobody_covers():
    d = Driver(rota_office(set()))
    d.start(T0)
    ring = next(x for x in d.facts(c.CallStep) if x.kind == "ring_queue")
    assert ring.detail["targets"] == ["102"] and "covering_for" not in ring.detail


def test_plan_b_never_rings_the_mobile_of_someone_in_do_not_disturb():
    d = Driver(rota_office({"102"}), presence={"101": False, "102": False, "103": False})
    d.start(T0)
    assert "ring_plan_b" in d.steps()
    assert [x.endpoint for x in d.originated()] == ["PJSIP/+48601000101@carrier"]  # the cover's mobile


def test_everyone_in_do_not_disturb_nobody_is_rung_and_the_queue_overflows():
    d = Driver(rota_office({"101", "102", "103"}))
    d.start(T0)
    assert not d.originated() and "not_answered" in d.steps()
