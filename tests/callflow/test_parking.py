"""Parking (pbx/callflow/parking.py): the person talking transfers the caller to *70; the caller
waits with music in the lowest free slot; anyone takes the call back with *70<slot> (or *70 for
the one parked longest); left too long, the parker's phones ring again; unanswered, the call
ends with a callback owed."""

from __future__ import annotations

from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow.parking import COMEBACK_SECONDS, PARK_SECONDS, choose, free_slot, parked_in, wanted_slot
from pbx.callflow.vocabulary import StepKind

from .fixtures import CHANNEL, KEY, at
from .test_transfer import BRIDGE, talking_to_102, transfer

PICKER = "picker-channel"


def parked(slot_free: int | None = 1) -> tuple:  # type: ignore[type-arg]
    d = talking_to_102()
    d.call.free_parking_slot = lambda: slot_free
    leg = d.leg_for("102")
    return d, leg, transfer(d, "*70", 20)


def test_the_codes():
    assert [wanted_slot(x) for x in ("*70", "*701", "*709", "*700", "*7010", "*70x", "*71", "70")] == [
        0,
        1,
        9,
        None,
        None,
        None,
        None,
        None,
    ]


def test_the_caller_waits_with_music_in_the_slot_and_the_phone_that_parked_leaves():
    d, leg, out = parked()
    assert out[:2] == [c.TransferProgress(leg, state="channel_answered"), c.Hangup(leg, reason="normal")]
    assert c.StartBridgeMoh(CHANNEL, bridge_id=BRIDGE) in out
    assert not [x for x in out if isinstance(x, c.Originate)]  # nobody rings while it waits
    ring = [x for x in out if isinstance(x, c.CallStep) and x.kind == StepKind.RING_PARKED]
    assert ring and ring[0].detail["slot"] == 1 and ring[0].detail["targets"] == ["102"]
    assert parked_in(d.call) == 1


def test_anyone_takes_it_back_and_joins_the_caller_in_the_bridge():
    d, _, _ = parked()
    assert choose([d.call], 1) is d.call and choose([d.call], 0) is d.call and choose([d.call], 2) is None
    out = d.send(e.PickupRequested(at=at(30), channel_id=CHANNEL, picker_channel=PICKER, extension="103"))
    assert out[0] == c.CallStep(
        CHANNEL, call_key=KEY, at=at(30), kind=StepKind.PICKED_UP, detail={"by": "103", "slot": 1}
    )
    assert c.StopBridgeMoh(CHANNEL, bridge_id=BRIDGE) in out
    assert c.AddToBridge(CHANNEL, bridge_id=BRIDGE, channels=(PICKER,)) in out
    assert d.call.connected_leg == PICKER and parked_in(d.call) == 0


def test_left_too_long_the_parkers_phone_rings_again_then_a_callback_is_owed():
    d, _, _ = parked()
    d.fire("join", at(20 + PARK_SECONDS))
    comeback = d.originated()[-1]
    assert comeback.endpoint == "PJSIP/102"
    d.fire("deadline", at(20 + PARK_SECONDS + COMEBACK_SECONDS))
    assert d.facts(c.CallbackRequested) and StepKind.NOT_ANSWERED in d.steps()


def test_the_parker_answering_the_comeback_gets_the_caller_again():
    d, _, _ = parked()
    d.fire("join", at(20 + PARK_SECONDS))
    leg = d.originated()[-1].channel_id
    d.answer_leg("102", at(85))
    assert d.call.connected_leg == leg


def test_with_every_slot_taken_the_transfer_is_declined_and_the_call_goes_on():
    d, leg, out = parked(slot_free=None)
    assert out[-1] == c.TransferProgress(leg, state="channel_declined")
    assert d.call.connected_leg == leg


def test_free_slot_skips_the_taken_ones():
    first, _, _ = parked()
    assert free_slot([first.call]) == 2 and free_slot([]) == 1
