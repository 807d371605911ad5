"""Transfers from a staff phone (SIP REFER, handed to Stasis). Blind: the caller stays in the
bridge and the recording keeps running while the new person's phone rings. Attended: the
colleague consulted moves from the consultation call into the customer's call."""

from __future__ import annotations

from dataclasses import replace

from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow import scenario as s
from pbx.callflow.call import Call
from pbx.callflow.state import State
from pbx.callflow.transfers import roles
from pbx.callflow.vocabulary import StepKind

from .fixtures import CHANNEL, KEY, T0, Driver, at, directory, phone_channel

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
    assert len(d.facts(c.Listen)) == 1
    out = transfer(d, "101", 20) + d.answer_leg("101", at(25))
    assert not any(isinstance(x, c.Listen | c.RecordingReady) for x in out)
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


# --- attended transfer: 102 answered the customer, then called 101 to consult -------------------

CONSULT_CHANNEL = "1700000000.9"


def consulting(by: str = "102", to: str = "101") -> tuple[Call, str]:
    """The consultation call `by`'s phone made to `to`, answered: (the call, `to`'s leg)."""
    consult = Call("consult-1", CONSULT_CHANNEL, directory())
    phone = replace(phone_channel(by, state="Up", exten=to), id=CONSULT_CHANNEL)
    out = consult.receive(
        e.StasisStart(at=at(15), channel_id=CONSULT_CHANNEL, channel=phone, args=("internal", "1", to))
    )
    leg = next(x.channel_id for x in out if isinstance(x, c.Originate))
    up = e.Channel(id=leg, name="PJSIP/x", state="Up", caller_number="", caller_name="", exten="", sip_call_id="")
    consult.receive(e.StasisStart(at=at(17), channel_id=leg, channel=up, args=("leg", "consult-1")))
    assert consult.connected_leg == leg
    return consult, leg


def test_roles_find_the_call_answered_and_the_call_made_to_consult_whichever_carries_the_refer():
    d = talking_to_102()
    consult, _ = consulting()
    agent_leg = d.leg_for("102")
    assert roles(d.call, agent_leg, consult, CONSULT_CHANNEL) == (d.call, consult)
    assert roles(consult, CONSULT_CHANNEL, d.call, agent_leg) == (d.call, consult)
    # not the person's two calls: someone else's consultation, the same call twice, the caller's side
    other, _ = consulting(by="103")
    assert roles(d.call, agent_leg, other, CONSULT_CHANNEL) is None
    assert roles(d.call, agent_leg, d.call, agent_leg) is None
    assert roles(d.call, CHANNEL, consult, CONSULT_CHANNEL) is None


def test_roles_need_both_calls_connected():
    d = talking_to_102()
    ringing = Call("consult-2", CONSULT_CHANNEL, directory())
    phone = replace(phone_channel("102", state="Up", exten="101"), id=CONSULT_CHANNEL)
    ringing.receive(e.StasisStart(at=at(15), channel_id=CONSULT_CHANNEL, channel=phone, args=("internal", "1", "101")))
    assert roles(d.call, d.leg_for("102"), ringing, CONSULT_CHANNEL) is None


def attended(d: Driver, consult: Call, colleague: str, source: str) -> tuple[list[c.Command], list[c.Command]]:
    agent_leg = d.leg_for("102")
    kept = d.send(
        e.ConsultJoins(
            at=at(30),
            channel_id=CHANNEL,
            leg=colleague,
            label="101",
            from_bridge=consult.legs.bridge_id,
            agent_leg=agent_leg,
            source=source,
        )
    )
    handed = consult.receive(
        e.ConsultHandedOver(
            at=at(30), channel_id=CONSULT_CHANNEL, leg=colleague, to_caller=d.call.caller, source=source
        )
    )
    return kept, handed


def test_the_colleague_takes_the_persons_place_and_the_consultation_call_ends_without_them():
    d = talking_to_102()
    consult, colleague = consulting()
    agent_leg = d.leg_for("102")
    kept, handed = attended(d, consult, colleague, source=agent_leg)
    assert kept == [
        c.CallStep(
            CHANNEL,
            call_key=KEY,
            at=at(30),
            kind=StepKind.TRANSFERRED,
            detail={"by": "102", "to": "101", "attended": True},
        ),
        c.TransferProgress(agent_leg, state="channel_answered"),  # the REFER came on this call
        c.Hangup(agent_leg, reason="normal"),
        c.RemoveFromBridge(CHANNEL, bridge_id="consult-1-bridge", leg=colleague),
        c.AddToBridge(CHANNEL, bridge_id=BRIDGE, channels=(colleague,)),
        c.CallStep(CHANNEL, call_key=KEY, at=at(30), kind=StepKind.CONNECTED, detail={"target": "101"}),
    ]
    assert d.call.connected_leg == colleague and d.call.state is State.CONNECTED
    assert handed[0] == c.CallStep(
        CONSULT_CHANNEL,
        call_key="consult-1",
        at=at(30),
        kind=StepKind.HANDED_OVER,
        detail={"to": "101", "caller": d.call.caller},
    )
    assert not any(isinstance(x, c.TransferProgress) for x in handed)  # not its REFER to answer
    assert [x.channel_id for x in handed if isinstance(x, c.Hangup)] == [CONSULT_CHANNEL]  # never the colleague
    # The consultation call ends without touching the colleague; its bridge goes.
    end = consult.receive(e.StasisEnd(at=at(31), channel_id=CONSULT_CHANNEL))
    assert not any(getattr(x, "channel_id", "") == colleague for x in end if isinstance(x, c.Hangup))
    assert c.DestroyBridge(CONSULT_CHANNEL, bridge_id="consult-1-bridge") in end
    assert consult.outcome == "answered"
    # The phone's old leg leaving ends nothing; the colleague hanging up ends the customer's call.
    assert d.send(e.StasisEnd(at=at(31), channel_id=agent_leg)) == []
    out = d.send(e.StasisEnd(at=at(90), channel_id=colleague))
    assert c.CallStep(CHANNEL, call_key=KEY, at=at(90), kind=StepKind.STAFF_HUNG_UP, detail={"target": "101"}) in out
    assert out[-1] == c.Hangup(CHANNEL, reason="normal")


def test_a_refer_on_the_consultation_call_is_answered_there():
    d = talking_to_102()
    consult, colleague = consulting()
    kept, handed = attended(d, consult, colleague, source=CONSULT_CHANNEL)
    assert not any(isinstance(x, c.TransferProgress) for x in kept)
    assert c.TransferProgress(CONSULT_CHANNEL, state="channel_answered") in handed
    assert d.call.connected_leg == colleague


def test_the_recording_runs_on_through_an_attended_transfer():
    d = talking_to_102((RECORD_ALL,))
    consult, colleague = consulting()
    kept, _ = attended(d, consult, colleague, source=d.leg_for("102"))
    assert not any(isinstance(x, c.Listen | c.RecordingReady) for x in kept)
    ready = [x for x in d.hang_up_caller(at(60)) if isinstance(x, c.RecordingReady)]
    assert [r.name for r in ready] == [f"{KEY}-call"]


def test_if_the_person_left_the_customers_call_meanwhile_the_colleague_is_let_go():
    d = talking_to_102()
    consult, colleague = consulting()
    agent_leg = d.leg_for("102")
    d.send(e.StasisEnd(at=at(29), channel_id=agent_leg))  # the customer's call ends first
    kept, _ = attended(d, consult, colleague, source=agent_leg)
    assert kept == [c.Hangup(colleague, reason="normal")]


def test_an_attended_transfer_the_pump_could_not_match_is_declined_and_both_calls_go_on():
    d = talking_to_102()
    leg = d.leg_for("102")
    out = d.send(e.AttendedTransferRequested(at=at(20), channel_id=leg, replaces=""))
    assert out == [
        c.CallStep(
            CHANNEL,
            call_key=KEY,
            at=at(20),
            kind=StepKind.TRANSFER_REFUSED,
            detail={"by": "102", "attended": True},
        ),
        c.TransferProgress(leg, state="channel_declined"),
    ]
    assert d.call.connected_leg == leg
    consult, _ = consulting()
    out = consult.receive(e.AttendedTransferRequested(at=at(20), channel_id=CONSULT_CHANNEL, replaces="x"))
    assert out[-1] == c.TransferProgress(CONSULT_CHANNEL, state="channel_declined")
    assert consult.state is State.CONNECTED
