"""Emergency numbers are never refused, delayed or masked: from every extension, on the most
restrictive policy, at night on a holiday, with every cap used up, even from a TLS phone that
came over plain SIP. They go straight to the trunk with the firm's number shown."""

from __future__ import annotations

import dataclasses

import pytest

from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow import scenario as s
from pbx.callflow.call import Call
from pbx.callflow.emergency import EMERGENCY_NUMBERS, emergency_number
from pbx.callflow.tollfraud import CallingPolicy, Usage

from .fixtures import CHANNEL, HOLIDAY, KEY, NIGHT, OFFICE, at, directory, phone_channel

LOCKED_DOWN = CallingPolicy(name="nic", mobile=False, freephone=False, max_concurrent=0, max_daily_minutes=0)
OWN_NUMBER = "+48221234599"


def restricted_office(**person: object) -> s.Directory:
    office = directory()
    anna = dataclasses.replace(office.people["101"], policy=LOCKED_DOWN, **person)  # type: ignore[arg-type]
    return dataclasses.replace(office, people={**office.people, "101": anna})


def dial(number: str, office: s.Directory, secure: str = "1", when=HOLIDAY) -> list[c.Command]:  # type: ignore[no-untyped-def]
    call = Call(KEY, CHANNEL, office, usage=lambda x: Usage(live_outbound=5, minutes_today=10_000))
    channel = phone_channel("101", exten=number, name="Anna")
    return call.receive(
        e.StasisStart(at=at(0, when), channel_id=CHANNEL, channel=channel, args=("internal", secure, number))
    )


@pytest.mark.parametrize("number", sorted(EMERGENCY_NUMBERS))
@pytest.mark.parametrize("secure", ["1", "0"])
@pytest.mark.parametrize("when", [NIGHT, HOLIDAY], ids=["night", "holiday"])
def test_every_emergency_number_goes_to_the_trunk_whatever_the_policy_and_hour(number, secure, when):
    out = dial(number, restricted_office(), secure, when)
    dials = [x for x in out if isinstance(x, c.Originate)]
    assert [(x.endpoint, x.caller_number) for x in dials] == [(f"PJSIP/{number}@carrier", OFFICE)]
    kinds = [x.kind for x in out if isinstance(x, c.CallStep)]
    assert "outbound_blocked" not in kinds and "toll_alert" not in kinds
    assert not [x for x in out if isinstance(x, c.StartTimer) and x.name.startswith("daily-cap")]
    assert not [x for x in out if isinstance(x, c.Play | c.Record | c.Hangup)]  # nothing before the dispatcher
    alert = next(x for x in out if isinstance(x, c.CallStep) and x.kind == "emergency_call")
    assert alert.detail == {"extension": "101", "number": number, "shown": OFFICE, "over_tls": secure == "1"}


def test_the_extensions_own_number_is_shown_when_it_has_one():
    out = dial("112", restricted_office(caller_id=OWN_NUMBER))
    assert [x.caller_number for x in out if isinstance(x, c.Originate)] == [OWN_NUMBER]


@pytest.mark.parametrize(
    ("dialled", "short"),
    [
        ("112", "112"),
        ("+48112", "112"),
        ("0048112", "112"),
        ("116 111", "116111"),
        ("999", "999"),
        ("1120", None),
        ("11", None),
        ("+49112", None),
        ("+48221234567", None),
        ("*112", None),
    ],
)
def test_emergency_numbers_are_recognised_as_phones_send_them(dialled, short):
    assert emergency_number(dialled) == short


def test_the_dispatcher_is_rung_until_someone_hangs_up():
    out = dial("112", restricted_office())
    deadline = next(x for x in out if isinstance(x, c.StartTimer) and x.name.startswith("deadline"))
    assert deadline.seconds >= 600


def test_a_recording_rule_for_outgoing_calls_does_not_touch_an_emergency_call():
    rule = s.RecordingRule(
        name="Wychodzące", direction="outbound", mode="always", announcement="sound:conf-now-recording", purpose_id=1
    )
    office = dataclasses.replace(restricted_office(), recording_rules=(rule,))
    out = dial("112", office)
    assert not [x for x in out if isinstance(x, c.Play | c.Record | c.Listen)]
