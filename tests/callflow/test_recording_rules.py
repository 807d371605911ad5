"""Recording rules on live calls: announcement first, objection honoured, bridge recorded."""

from __future__ import annotations

from dataclasses import replace

from pbx.callflow import commands as c
from pbx.callflow import scenario as s
from pbx.callflow.events import Event
from pbx.callflow.vocabulary import StepKind

from .fixtures import CHANNEL, KEY, RECEPTION, T0, Driver, at, directory

ALL_INBOUND = s.RecordingRule(
    "Jakość", "always", direction="inbound", purpose_id=7, announcement="sound:conf-now-recording", objection_key="9"
)


def with_rules(*rules: s.RecordingRule) -> s.Directory:
    return replace(directory(), recording_rules=rules)


def to_sales(d: Driver, t: float = 0) -> None:
    """Through greeting and menu: press 1 for the sales queue."""
    d.finish_playback(at(t + 2))
    d.press("1", at(t + 3))


def test_without_a_rule_nothing_is_announced_or_recorded():
    d = Driver(with_rules())
    d.start(T0)
    to_sales(d)
    d.answer_leg("101", at(6))
    assert not any(isinstance(x, c.Listen) for x in d.out)
    assert "recording_notice" not in d.steps()


def test_the_announcement_plays_before_anything_else_then_the_call_goes_on():
    d = Driver(with_rules(ALL_INBOUND))
    d.start(T0)
    assert d.last_play().media == "sound:conf-now-recording"
    assert d.steps()[-1] == "recording_notice"
    d.finish_playback(at(2))
    d.fire("notice", at(5))
    assert d.last_play().media == "sound:hello-world"


def test_once_connected_the_bridge_is_recorded_for_the_rules_purpose():
    d = Driver(with_rules(ALL_INBOUND))
    d.start(T0)
    d.finish_playback(at(2))
    d.fire("notice", at(5))
    to_sales(d, 5)
    out = d.answer_leg("102", at(12))
    assert out[-1] == c.Listen(f"{KEY}-listener", target=CHANNEL)
    ready = [x for x in d.hang_up_caller(at(60)) if isinstance(x, c.RecordingReady)]
    assert [(r.name, r.kind, r.purpose_id) for r in ready] == [(f"{KEY}-call", "call", 7)]


def test_pressing_the_objection_key_stops_the_announcement_and_nothing_is_recorded():
    d = Driver(with_rules(ALL_INBOUND))
    d.start(T0)
    notice = d.last_play().playback_id
    out = d.press("9", at(1))
    assert c.StopPlayback(CHANNEL, notice) in out
    objection = [x for x in d.out if isinstance(x, c.CallStep) and x.kind == "recording_objection"]
    assert objection[0].detail == {"rule": "Jakość", "key": "9"}
    assert d.last_play().media == "sound:hello-world"
    to_sales(d, 1)
    d.answer_leg("101", at(9))
    assert not any(isinstance(x, c.Listen) for x in d.out)
    assert not [x for x in d.hang_up_caller(at(30)) if isinstance(x, c.RecordingReady)]


def test_other_keys_during_the_announcement_are_not_an_objection():
    d = Driver(with_rules(ALL_INBOUND))
    d.start(T0)
    d.press("1", at(1))
    assert "recording_objection" not in d.steps()


def test_a_never_rule_first_in_priority_wins():
    never = s.RecordingRule("Bez nagrań", "never", direction="inbound")
    d = Driver(with_rules(never, ALL_INBOUND))
    d.start(T0)
    assert d.last_play().media == "sound:hello-world"
    assert ("not_recorded", {"rule": "Bez nagrań"}) in [(x.kind, x.detail) for x in d.facts(c.CallStep)]


def test_a_rule_for_an_ivr_choice_announces_only_when_the_caller_gets_there():
    complaints = s.RecordingRule(
        "Reklamacje", "always", destination=RECEPTION, purpose_id=3, announcement="sound:conf-now-recording"
    )
    d = Driver(with_rules(complaints))
    d.start(T0)
    assert d.last_play().media == "sound:hello-world"  # no notice at the start
    d.finish_playback(at(2))
    d.press("2", at(3))  # reception: the complaints line
    assert d.last_play().media == "sound:conf-now-recording"
    d.finish_playback(at(5))
    d.fire("notice", at(8))
    assert d.steps()[-1] == "ring_extension"
    out = d.answer_leg("103", at(10))
    assert isinstance(out[-1], c.Listen)


def test_a_never_rule_for_the_person_who_answers_keeps_their_calls_unrecorded():
    not_piotr = s.RecordingRule("Piotr nie", "never", extension="102")
    d = Driver(with_rules(not_piotr, ALL_INBOUND))
    d.start(T0)
    d.finish_playback(at(2))
    d.fire("notice", at(5))
    to_sales(d, 5)
    d.answer_leg("102", at(12))
    assert not any(isinstance(x, c.Listen) for x in d.out)
    assert [(x.kind, x.detail) for x in d.facts(c.CallStep)][-1] == ("not_recorded", {"rule": "Piotr nie"})
    # The same call answered by Anna is recorded: the rule is about Piotr alone.
    anna = Driver(with_rules(not_piotr, ALL_INBOUND))
    anna.start(T0)
    anna.finish_playback(at(2))
    anna.fire("notice", at(5))
    to_sales(anna, 5)
    assert isinstance(anna.answer_leg("101", at(12))[-1], c.Listen)


def connected_and_recorded() -> Driver:
    """Staff answered: the listener is asked for, and not in Stasis yet (its recording not begun)."""
    d = Driver(with_rules(ALL_INBOUND))
    d.start(T0)
    d.finish_playback(at(2))
    d.fire("notice", at(5))
    to_sales(d, 5)
    d.answer_leg("102", at(12))
    return d


def recording() -> Driver:
    """The listener is in Stasis and its recording asked for: the conversation is being written."""
    d = connected_and_recorded()
    assert d.listener_enters(at(12.1)) == [c.Record(f"{KEY}-listener", name=f"{KEY}-call", fmt="wav", max_seconds=0)]
    return d


def staff_presses(d: Driver, keys: str, t: float) -> list[c.Command]:
    from pbx.callflow import events as e

    out: list[c.Command] = []
    for digit in keys:
        out += d.send(e.ChannelDtmfReceived(at=at(t), channel_id=d.leg_for("102"), digit=digit))
    return out


def test_staff_pause_and_resume_the_recording_for_card_details():
    d = recording()
    out = staff_presses(d, "*1", 20)
    assert out[-1] == c.PauseRecording(CHANNEL, name=f"{KEY}-call")
    assert ("recording_paused", {"by": "102"}) in [(x.kind, x.detail) for x in d.facts(c.CallStep)]
    assert staff_presses(d, "*1", 21) == []  # already paused
    out = staff_presses(d, "*2", 40)
    assert out[-1] == c.ResumeRecording(CHANNEL, name=f"{KEY}-call")


def test_keys_without_a_recording_or_out_of_sequence_do_nothing():
    d = connected_and_recorded()
    assert staff_presses(d, "1", 20) == [] and staff_presses(d, "*3", 21) == []
    unrecorded = Driver(with_rules())
    unrecorded.start(T0)
    to_sales(unrecorded)
    unrecorded.answer_leg("102", at(6))
    assert staff_presses(unrecorded, "*1", 8) == []


def control(d: Driver, action: str, t: float, by: str = "anna") -> list[c.Command]:
    from pbx.callflow import events as e

    return d.send(e.RecordingControl(at=at(t), channel_id=CHANNEL, action=action, by=by))


def test_the_api_pauses_and_resumes_the_same_recording_as_the_keys():
    d = recording()
    assert control(d, "pause", 20) == [
        c.CallStep(CHANNEL, call_key=KEY, at=at(20), kind=StepKind.RECORDING_PAUSED, detail={"by": "anna"}),
        c.PauseRecording(CHANNEL, name=f"{KEY}-call"),
    ]
    assert staff_presses(d, "*1", 21) == []  # already paused, whoever asked
    assert control(d, "resume", 30)[-1] == c.ResumeRecording(CHANNEL, name=f"{KEY}-call")
    assert control(d, "resume", 31) == [] and control(d, "stop", 32) == []


def test_a_pause_before_the_listener_comes_keeps_its_recording_from_starting_until_resumed():
    # Staff press *1 (or the API pauses) in the milliseconds after answering, while the snoop
    # channel is on its way: no live recording exists to pause, so it must not start unpaused.
    for pause in (lambda d: staff_presses(d, "*1", 12.05), lambda d: control(d, "pause", 12.05)):
        d = connected_and_recorded()
        out = pause(d)
        assert "recording_paused" in [x.kind for x in out if isinstance(x, c.CallStep)]
        assert not [x for x in out if isinstance(x, c.PauseRecording)]  # nothing live to pause
        assert d.listener_enters(at(12.1)) == []  # paused: its recording does not begin
        out = control(d, "resume", 30)
        assert out == [
            c.CallStep(CHANNEL, call_key=KEY, at=at(30), kind=StepKind.RECORDING_RESUMED, detail={"by": "anna"}),
            c.Record(f"{KEY}-listener", name=f"{KEY}-call", fmt="wav", max_seconds=0),
        ]
        assert control(d, "pause", 40)[-1] == c.PauseRecording(CHANNEL, name=f"{KEY}-call")  # now live
        ready = [x for x in d.hang_up_caller(at(60)) if isinstance(x, c.RecordingReady)]
        assert [(r.name, r.kind) for r in ready] == [(f"{KEY}-call", "call")]


def test_paused_and_resumed_before_the_listener_comes_it_is_recorded_when_it_comes():
    d = connected_and_recorded()
    assert not [x for x in control(d, "pause", 12.02) if isinstance(x, c.PauseRecording)]
    assert control(d, "resume", 12.04) == [
        c.CallStep(CHANNEL, call_key=KEY, at=at(12.04), kind=StepKind.RECORDING_RESUMED, detail={"by": "anna"})
    ]
    assert d.listener_enters(at(12.1)) == [c.Record(f"{KEY}-listener", name=f"{KEY}-call", fmt="wav", max_seconds=0)]


def test_a_call_that_ends_paused_before_its_recording_began_hands_over_no_file():
    d = connected_and_recorded()
    control(d, "pause", 12.05)
    d.listener_enters(at(12.1))
    out = d.hang_up_caller(at(20))
    assert not [x for x in out if isinstance(x, c.RecordingReady)]  # nothing was written, nothing to store
    assert d.facts(c.CallEnded)


def test_api_control_of_a_call_that_is_not_recorded_does_nothing():
    d = Driver(with_rules())
    d.start(T0)
    to_sales(d)
    d.answer_leg("102", at(6))
    assert control(d, "pause", 8) == []


# --- the listener: the snoop channel the conversation is recorded through -------------------

LISTENER = f"{KEY}-listener"


def listener_event(kind: type[Event], t: float, **more: object) -> Event:
    from pbx.callflow import events as e

    if kind is e.StasisStart:
        snoop = f"Snoop/{CHANNEL}-00000001"
        ch = e.Channel(LISTENER, snoop, state="Up", caller_number="", caller_name="", exten="", sip_call_id="")
        return e.StasisStart(at=at(t), channel_id=LISTENER, channel=ch, args=("listener",))
    return kind(at=at(t), channel_id=LISTENER, **more)


def test_the_listener_is_recorded_once_it_enters_stasis_and_its_end_is_not_the_calls():
    from pbx.callflow import events as e
    from pbx.callflow.state import State

    d = connected_and_recorded()
    record = c.Record(LISTENER, name=f"{KEY}-call", fmt="wav", max_seconds=0)
    assert d.send(listener_event(e.StasisStart, 12.1)) == [record]
    # The recording's own events and the listener's end arrive in any order around the caller's.
    ends: tuple[tuple[type[e.Event], dict[str, object]], ...] = (
        (e.ChannelStateChange, {"state": "Up"}),
        (e.StasisEnd, {}),
        (e.ChannelHangupRequest, {"cause": 16}),
    )
    for kind, more in ends:
        assert d.send(listener_event(kind, 20, **more)) == []
    assert d.send(listener_event(e.ChannelDestroyed, 20, cause=16, cause_text="Normal Clearing")) == []
    assert d.call.state is State.CONNECTED and not d.facts(c.CallEnded)
    out = d.send(listener_event(e.RecordingFinished, 60, name=f"{KEY}-call", duration=48))
    assert [(r.name, r.kind, r.purpose_id) for r in out if isinstance(r, c.RecordingReady)] == [
        (f"{KEY}-call", "call", 7)
    ]
    assert not [x for x in d.hang_up_caller(at(61)) if isinstance(x, c.RecordingReady)]  # handed over once


def test_a_failed_listener_leaves_the_conversation_going_unrecorded_and_says_so():
    from pbx.callflow import events as e
    from pbx.callflow.state import State

    for gone in (False, True):
        d = connected_and_recorded()
        failed = e.CommandFailed(at=at(12), channel_id=LISTENER, command="Listen", error="500", gone=gone)
        out = d.send(failed)
        assert ("recording_failed", {"cause": "500"}) in [(x.kind, x.detail) for x in out if isinstance(x, c.CallStep)]
        assert (c.Hangup(LISTENER, reason="normal") in out) is not gone
        assert not [x for x in out if isinstance(x, c.Hangup) and x.channel_id != LISTENER]
        assert d.call.state is State.CONNECTED
        assert d.send(listener_event(e.StasisStart, 12.1)) == []  # nothing left to record
        assert not [x for x in d.hang_up_caller(at(30)) if isinstance(x, c.RecordingReady)]
