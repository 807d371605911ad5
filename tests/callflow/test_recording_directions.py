"""Every recording-rule condition in every direction: a rule the admin accepts records what it
says, and nothing else. Each row drives a call to the moment someone answers (inbound through
the menu to the reception, an outgoing call from 101, an internal call 101 -> 102, and a
transfer from the reception to 101) and reads what was recorded and who heard the notice."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow import scenario as s

from .fixtures import CHANNEL, OFFICE, RECEPTION, T0, Driver, at, directory

NOTICE = "sound:conf-now-recording"
OUTSIDE = "+48221112233"
# The person each drive connects (or, outbound, who dials): the one a person rule names.
PERSON = {"inbound": "103", "outbound": "101", "internal": "102", "transfer": "101"}


def rule(**conditions: object) -> s.RecordingRule:
    return s.RecordingRule("R", "always", purpose_id=5, announcement=NOTICE, **conditions)  # type: ignore[arg-type]


def settle_notice(d: Driver, t: float) -> None:
    """The caller hears a recording notice now: let it play and its window pass."""
    if d.steps()[-1] == "recording_notice":
        d.finish_playback(at(t))
        d.fire("notice", at(t + 3))


def answer(d: Driver, label: str, t: float) -> None:
    """`label` answers; when they hear a notice first, it plays to its end."""
    d.answer_leg(label, at(t))
    notice = [x for x in d.out if isinstance(x, c.Play) and x.channel_id == d.leg_for(label)]
    if notice:
        d.send(
            e.PlaybackFinished(
                at=at(t + 3), channel_id=d.leg_for(label), playback_id=notice[-1].playback_id, failed=False
            )
        )


def inbound(rules: tuple[s.RecordingRule, ...]) -> Driver:
    d = Driver(replace(directory(), recording_rules=rules))
    d.start(T0)
    settle_notice(d, 2)
    d.finish_playback(at(6))  # the greeting
    d.press("2", at(7))  # the reception
    settle_notice(d, 8)
    answer(d, "103", 12)
    return d


def outbound(rules: tuple[s.RecordingRule, ...]) -> Driver:
    d = Driver(replace(directory(), recording_rules=rules))
    d.start(T0, dialled=OUTSIDE, kind="internal", caller="101")
    answer(d, OUTSIDE, 5)
    return d


def internal(rules: tuple[s.RecordingRule, ...]) -> Driver:
    d = Driver(replace(directory(), recording_rules=rules))
    d.start(T0, dialled="102", kind="internal", caller="101")
    answer(d, "102", 5)
    return d


def transfer(rules: tuple[s.RecordingRule, ...]) -> Driver:
    d = inbound(rules)
    d.send(e.TransferRequested(at=at(20), channel_id=d.leg_for("103"), destination="101"))
    answer(d, "101", 25)
    return d


DRIVES = {"inbound": inbound, "outbound": outbound, "internal": internal, "transfer": transfer}
CONDITIONS: dict[str, dict[str, object] | None] = {
    "any call": {},
    "inbound": {"direction": "inbound"},
    "outbound": {"direction": "outbound"},
    "internal": {"direction": "internal"},
    "company number": {"number": OFFICE},
    "IVR destination": {"destination": RECEPTION},
    "person": None,  # the person of each drive (PERSON)
}
# condition -> the directions whose calls it records
RECORDS = {
    "any call": {"inbound", "outbound", "internal", "transfer"},
    "inbound": {"inbound", "transfer"},
    "outbound": {"outbound"},
    "internal": {"internal"},
    "company number": {"inbound", "outbound", "transfer"},  # outbound: the number shown is the office's
    "IVR destination": {"inbound", "transfer"},
    "person": {"inbound", "outbound", "internal", "transfer"},
}


@pytest.mark.parametrize("direction", DRIVES)
@pytest.mark.parametrize("condition", CONDITIONS)
def test_a_rule_records_exactly_the_calls_it_names(condition: str, direction: str):
    conditions = CONDITIONS[condition] or {"extension": PERSON[direction]}
    d = DRIVES[direction]((rule(**conditions),))
    recorded = [x for x in d.out if isinstance(x, c.Listen)]
    assert bool(recorded) == (direction in RECORDS[condition]), d.steps()
    if recorded:
        ready = [x for x in d.hang_up_caller(at(60)) if isinstance(x, c.RecordingReady)]
        assert [(r.kind, r.purpose_id) for r in ready] == [("call", 5)]


@pytest.mark.parametrize("direction", DRIVES)
def test_whoever_is_recorded_heard_the_notice_first(direction: str):
    d = DRIVES[direction]((rule(extension=PERSON[direction]),))
    notices = [x for x in d.out if isinstance(x, c.Play | c.PlayBridge) and x.media == NOTICE]
    record_at = next(i for i, x in enumerate(d.out) if isinstance(x, c.Listen))
    assert notices and d.out.index(notices[0]) < record_at
    heard_by = {  # the caller before the reception rings; the called party before being connected; the bridge
        "inbound": lambda: CHANNEL,
        "outbound": lambda: d.leg_for(OUTSIDE),
        "internal": lambda: d.leg_for("102"),
        "transfer": lambda: CHANNEL,
    }[direction]()
    assert notices[0].channel_id == heard_by
    if direction == "transfer":
        assert isinstance(notices[0], c.PlayBridge)


@pytest.mark.parametrize("direction", ["outbound", "internal"])
def test_the_called_party_objects_with_the_key_and_is_connected_unrecorded(direction: str):
    d = Driver(replace(directory(), recording_rules=(rule(direction=direction),)))
    dialled = OUTSIDE if direction == "outbound" else "102"
    d.start(T0, dialled=dialled, kind="internal", caller="101")
    d.answer_leg(dialled, at(5))
    leg = d.leg_for(dialled)
    assert not [x for x in d.out if isinstance(x, c.CreateBridge)]  # not connected during the notice
    out = d.send(e.ChannelDtmfReceived(at=at(6), channel_id=leg, digit="9"))
    assert [x.kind for x in out if isinstance(x, c.CallStep)] == ["recording_objection"]
    assert c.CreateBridge(CHANNEL, bridge_id="call-1-bridge") in out
    assert not [x for x in d.out if isinstance(x, c.Listen)]


def test_a_purpose_that_does_not_tell_the_called_party_connects_at_once():
    quiet = replace(rule(direction="outbound"), announce_to_called=False)
    d = Driver(replace(directory(), recording_rules=(quiet,)))
    d.start(T0, dialled=OUTSIDE, kind="internal", caller="101")
    out = d.answer_leg(OUTSIDE, at(5))
    assert not [x for x in out if isinstance(x, c.Play)]
    assert [x for x in out if isinstance(x, c.Listen)]


def test_a_person_rule_records_only_when_that_person_answers():
    d = Driver(replace(directory(), recording_rules=(rule(extension="102"),)))
    d.start(T0)
    d.finish_playback(at(2))
    d.press("1", at(3))  # the sales queue: 101 and 102 ring
    assert d.steps()[-1] == "recording_notice"  # 102 may answer: the caller is told first
    settle_notice(d, 4)
    d.answer_leg("101", at(10))
    assert not [x for x in d.out if isinstance(x, c.Listen)]
    assert ("not_recorded", {"rule": "R", "answered": "101"}) in [(x.kind, x.detail) for x in d.facts(c.CallStep)]


def test_an_outside_partys_keys_do_not_pause_the_recording_but_the_staff_members_do():
    d = outbound((rule(direction="outbound"),))
    d.listener_enters(at(19))
    leg = d.leg_for(OUTSIDE)
    outside = [
        *d.send(e.ChannelDtmfReceived(at=at(20), channel_id=leg, digit="*")),
        *d.send(e.ChannelDtmfReceived(at=at(20), channel_id=leg, digit="1")),
    ]
    assert outside == []
    d.send(e.ChannelDtmfReceived(at=at(21), channel_id=CHANNEL, digit="*"))
    staff = d.send(e.ChannelDtmfReceived(at=at(21), channel_id=CHANNEL, digit="1"))
    assert [x for x in staff if isinstance(x, c.PauseRecording)]
