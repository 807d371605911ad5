"""Call pickup (*8, *8<number>): a colleague answers a ringing call from their own phone. The
call takes the picker's channel as if it were one of the phones it rings: the others stop, the
caller is bridged to the picker, and the timeline says who picked it up."""

from __future__ import annotations

from dataclasses import replace

from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow.pickup import choose, wanted
from pbx.callflow.vocabulary import Outcome, StepKind

from .fixtures import CHANNEL, KEY, T0, Driver, at, directory, phone_channel

PICKER = "picker-channel"
BRIDGE = f"{KEY}-bridge"


def ringing_sales(start: float = 0) -> Driver:
    """A customer chose 1 (sales): 101 and 102 ring."""
    d = Driver()
    d.start(at(start))
    d.finish_playback(at(start + 7))
    d.press("1", at(start + 8))
    assert {d.call.legs[o.channel_id] for o in d.originated()} == {"101", "102"}
    return d


def pick(d: Driver, by: str, t: float) -> list[c.Command]:
    return d.send(e.PickupRequested(at=at(t), channel_id=CHANNEL, picker_channel=PICKER, extension=by))


def test_the_codes():
    assert [wanted(code) for code in ("*8", "*8101", "*8 101", "*81x", "*78", "*8123456", "8101")] == [
        "",
        "101",
        None,
        None,
        None,
        None,
        None,
    ]


def test_a_colleague_picks_up_the_queue_call_and_the_phones_ringing_stop():
    d = ringing_sales()
    rung = [o.channel_id for o in d.originated()]
    out = pick(d, "103", 12)
    assert out[0] == c.CallStep(
        CHANNEL, call_key=KEY, at=at(12), kind=StepKind.PICKED_UP, detail={"by": "103", "rung": ["101", "102"]}
    )
    assert c.Answer(PICKER) in out
    assert {x.channel_id for x in out if isinstance(x, c.Hangup)} == set(rung)  # the others stop ringing
    assert c.AddToBridge(CHANNEL, bridge_id=BRIDGE, channels=(CHANNEL, PICKER)) in out
    assert d.steps()[-1] == StepKind.CONNECTED and d.call.connected_leg == PICKER
    # a ringing phone answering a moment later finds the call taken
    late = d.answer_leg("101", at(13))
    assert late == [c.Hangup(d.leg_for("101"), reason="normal")]
    # the picker hangs up: the caller is let go too, the call was answered by the picker
    out = d.send(e.StasisEnd(at=at(40), channel_id=PICKER))
    assert StepKind.STAFF_HUNG_UP in d.steps() and c.Hangup(CHANNEL, reason="normal") in out
    d.send(e.StasisEnd(at=at(41), channel_id=CHANNEL))
    assert d.call.finished and d.call.outcome == Outcome.ANSWERED


def test_star_8_with_a_number_picks_the_call_ringing_for_that_person_only():
    d = ringing_sales()
    assert choose([d.call], "103", "102") is d.call
    assert choose([d.call], "103", "103") is None  # nothing rings for 103
    assert choose([d.call], "103", "") is d.call


def test_the_call_ringing_longest_is_picked_first_and_never_ones_own():
    older, newer = ringing_sales(start=0), ringing_sales(start=30)
    assert choose([newer.call, older.call], "103", "") is older.call
    mine = Driver()
    mine.send(
        e.StasisStart(
            at=T0, channel_id=CHANNEL, channel=phone_channel("103", exten="101"), args=("internal", "1", "101")
        )
    )
    assert choose([mine.call], "103", "") is None  # 103's own call to 101 is not for 103 to pick up
    assert choose([mine.call], "102", "") is mine.call


def test_too_late_the_picker_is_let_go():
    d = ringing_sales()
    d.answer_leg("102", at(10))
    assert pick(d, "103", 12) == [c.Hangup(PICKER, reason="normal")]
    assert d.call.connected_leg == d.leg_for("102")


def test_mobiles_of_plan_b_and_outside_numbers_are_not_picked_up():
    d = Driver(presence={"101": False, "102": False, "103": False})
    d.start(at(0))
    d.finish_playback(at(7))
    d.press("1", at(8))
    assert StepKind.RING_PLAN_B in d.steps()
    assert choose([d.call], "103", "") is None


def test_when_nothing_rings_the_phone_hears_so():
    d = Driver(replace(directory()))
    d.send(
        e.StasisStart(at=T0, channel_id=CHANNEL, channel=phone_channel("103", exten="*8"), args=("internal", "1", "*8"))
    )
    assert d.call.step is not None
    assert d.last_play().media == "sound:cannot-complete-as-dialed"
    d.finish_playback(at(3))
    assert d.call.outcome == Outcome.REJECTED
