"""Forwarding set from the phone (pbx/callflow/phone_forwarding.py): *72<number> to a colleague
or an outside number (behind the PIN), *72 to one's own mobile, *73 off (no PIN); refused with a
sentence for oneself, a colleague who forwards straight back, a number that is not one, and a
number the guard for forwards refuses."""

from __future__ import annotations

import dataclasses

import pytest

from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow import scenario as s
from pbx.callflow.services import Service, service_for
from pbx.callflow.vocabulary import Outcome, StepKind

from .fixtures import CHANNEL, KEY, T0, Driver, at, phone_channel
from .test_phone_services import PIN, dial, hung_up, media, office, type_keys

FORWARDED_BACK = 77


def changed(driver) -> list[c.ForwardChanged]:  # type: ignore[no-untyped-def]
    return driver.facts(c.ForwardChanged)


@pytest.mark.parametrize(
    ("dialled", "service"),
    [
        ("*72102", Service("forward", target="102")),
        ("*72601000999", Service("forward", target="601000999")),
        ("*72+48601000999", Service("forward", target="+48601000999")),
        ("*72", Service("forward", target="")),
        ("*73", Service("forward_off")),
        ("*72abc", None),
        ("*7312", None),
        ("*72" + "1" * 21, None),
    ],
)
def test_the_codes(dialled, service):
    assert service_for(dialled) == service


def test_forward_to_a_colleague_after_the_pin():
    d = dial("*72102")
    assert changed(d) == []  # nothing before the PIN
    type_keys(d, PIN + "#")
    assert changed(d) == [
        c.ForwardChanged(CHANNEL, call_key=KEY, at=at(1.0 + 4 * 0.3), extension="101", to_extension="102")
    ]
    assert media(d) == s.ServicePrompts().forward_on
    d.finish_playback(at(5))
    assert hung_up(d) and d.call.outcome == Outcome.ANSWERED


def test_forward_to_an_outside_number_is_written_in_e164_and_to_the_own_mobile_with_no_number():
    d = dial("*72601000999")
    type_keys(d, PIN + "#")
    assert [f.to_number for f in changed(d)] == ["+48601000999"]
    d = dial("*72")
    type_keys(d, PIN + "#")
    assert [f.to_number for f in changed(d)] == ["+48601000101"]  # Anna's mobile


def test_a_wrong_pin_three_times_sets_nothing():
    d = dial("*72102")
    for attempt in range(3):
        type_keys(d, "0000#", start=1 + attempt * 5)
    assert changed(d) == [] and StepKind.PIN_WRONG in d.steps()


def test_off_needs_no_pin():
    d = dial("*73")
    assert changed(d) == [c.ForwardChanged(CHANNEL, call_key=KEY, at=T0, extension="101")]
    assert media(d) == s.ServicePrompts().forward_off


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("*72101", "to oneself"),
        ("*72700123456", "premium-rate numbers are blocked"),
        ("*7212", "not a phone number"),
    ],
)
def test_refused_forwards_say_why_and_set_nothing(code, why):
    d = dial(code)
    assert changed(d) == [] and d.steps()[-1] == StepKind.FORWARD_REFUSED
    refused = d.facts(c.CallStep)[-1]
    assert why in refused.detail["why"]
    assert media(d) == s.ServicePrompts().forward_refused
    d.finish_playback(at(3))
    assert d.call.outcome == Outcome.REJECTED


def dial_in(directory: s.Directory, code: str) -> Driver:
    driver = Driver(directory)
    channel = phone_channel("101", exten=code)
    driver.send(e.StasisStart(at=T0, channel_id=CHANNEL, channel=channel, args=("internal", "1", code)))
    return driver


def test_a_colleague_who_forwards_everything_back_is_refused():
    base = office()
    reception = dataclasses.replace(base.people["103"], forward_always=FORWARDED_BACK)
    loop = dataclasses.replace(
        base,
        people={**base.people, "103": reception},
        destinations={**base.destinations, FORWARDED_BACK: s.RingExtension("101", ring_seconds=20)},
    )
    d = dial_in(loop, "*72103")
    assert changed(d) == [] and d.facts(c.CallStep)[-1].detail["why"] == "the colleague forwards back"


def test_no_mobile_no_forward_to_it():
    base = office()
    anna = dataclasses.replace(base.people["101"], mobile="")
    d = dial_in(dataclasses.replace(base, people={**base.people, "101": anna}), "*72")
    assert changed(d) == [] and d.facts(c.CallStep)[-1].detail["why"] == "no mobile number"


def test_without_a_pin_set_no_forward_can_be_set():
    d = dial("*72102", pin="")
    assert changed(d) == [] and media(d) == s.ServicePrompts().no_pin
