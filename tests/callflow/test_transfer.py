"""Blind transfer from a staff phone (SIP REFER, handed to Stasis): the caller stays in the
bridge and the recording keeps running while the new person's phone rings."""

from __future__ import annotations

from dataclasses import replace

from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow import scenario as s
from pbx.callflow.vocabulary import StepKind

from .fixtures import CHANNEL, KEY, T0, Driver, at, directory

RECORD_ALL = s.RecordingRule(
    "Wszystko", "always", direction="inbound", purpose_id=3, announcement="sound:conf-now-recording"
)
BRIDGE = f"{KEY}-bridge"


def talking_to_102(rules: tuple[s.RecordingRule, ...] = ()) -> Driver:
    d = Driver(replace(directory(), recording_rules=rules))
    d.start(T0)
    if rules:
        d.finish_playback(at(2))
        d.fire("notice", at(5))
    d.finish_playback(at(7))
    d.press("1", at(8))
    d.answer_leg("102", at(10))
    return d


def transfer(d: Driver, to: str, t: float, by: str = "102") -> list[c.Command]:
    return d.send(e.TransferRequested(at=at(t), channel_id=d.leg_for(by), destination=to))


def test_the_phone_is_released_and_the_new_extension_rings_with_music_in_the_bridge():
    d = talking_to_102()
    old_leg = d.leg_for("102")
    out = transfer(d, "101", 20)
    assert out[:3] == [
        c.CallStep(CHANNEL, call_key=KEY, at=at(20), kind=StepKind.TRANSFERRED, detail={"by": "102", "to": "101"}),
        c.TransferProgress(old_leg, state="channel_answered"),
        c.Hangup(old_leg, reason="normal"),
    ]
    assert c.StartBridgeMoh(CHANNEL, bridge_id=BRIDGE) in out
    assert [o.endpoint for o in out if isinstance(o, c.Originate)] == ["PJSIP/101"]
    assert d.send(e.StasisEnd(at=at(21), channel_id=old_leg)) == []  # the old phone leaving ends nothing


def test_when_the_new_person_answers_only_they_join_the_bridge():
    d = talking_to_102()
    transfer(d, "101", 20)
    out = d.answer_leg("101", at(25))
    new_leg = d.leg_for("101")
    assert c.StopBridgeMoh(CHANNEL, bridge_id=BRIDGE) in out
    assert [x for x in out if isinstance(x, c.AddToBridge | c.CreateBridge)] == [
        c.AddToBridge(CHANNEL, bridge_id=BRIDGE, channels=(new_leg,))
    ]
    assert d.steps()[-1] == "connected" and d.call.connected_leg == new_leg


def test_the_recording_is_not_restarted_or_cut_by_a_transfer():
    d = talking_to_102((RECORD_ALL,))
    assert len(d.facts(c.RecordBridge)) == 1
    out = transfer(d, "101", 20) + d.answer_leg("101", at(25))
    assert not any(isinstance(x, c.RecordBridge | c.RecordingReady) for x in out)
    ready = [x for x in d.hang_up_caller(at(60)) if isinstance(x, c.RecordingReady)]
    assert [(r.name, r.purpose_id) for r in ready] == [(f"{KEY}-call", 3)]


def test_a_transfer_outside_the_firm_or_to_oneself_is_declined_and_the_call_goes_on():
    d = talking_to_102()
    leg = d.leg_for("102")
    for target in ("0048601000000", "102"):
        out = transfer(d, target, 20)
        assert out == [
            c.CallStep(
                CHANNEL, call_key=KEY, at=at(20), kind=StepKind.TRANSFER_REFUSED, detail={"by": "102", "to": target}
            ),
            c.TransferProgress(leg, state="channel_declined"),
        ]
    assert d.call.connected_leg == leg


def test_nobody_answers_the_transfer_the_caller_gets_a_callback_task():
    d = talking_to_102()
    transfer(d, "101", 20)
    out = d.fire("deadline", at(50))
    assert [x.reason for x in out if isinstance(x, c.CallbackRequested)] == ["no_answer"]
    assert out[-1] == c.Hangup(CHANNEL, reason="normal")


def test_a_transfer_request_from_the_callers_side_is_declined():
    d = talking_to_102()
    out = d.send(e.TransferRequested(at=at(20), channel_id=CHANNEL, destination="101"))
    assert out[-1] == c.TransferProgress(CHANNEL, state="channel_declined")
