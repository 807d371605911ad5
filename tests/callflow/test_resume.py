"""A call taken back after the app restarted (pbx/callflow/resume.py): each kind of caller
Asterisk still holds gets a defined path, and the history says so."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow import scenario as s
from pbx.callflow.call import Call
from pbx.callflow.resume import ADOPTED_IDS
from pbx.callflow.state import State
from pbx.callflow.vocabulary import Outcome, StepKind

from .fixtures import CHANNEL, KEY, OFFICE, at, channel, directory, phone_channel


def adopted(where: str, *, inbound: bool = True, known: bool = True, **more: Any) -> tuple[Call, list[c.Command]]:
    call = Call(KEY, CHANNEL, directory(), first_id=ADOPTED_IDS)
    ch = replace(channel(state="Up"), exten=OFFICE) if inbound else phone_channel("102", state="Up", exten="0601")
    out = call.receive(
        e.Adopted(at=at(60), channel_id=CHANNEL, channel=ch, where=where, inbound=inbound, known=known, **more)
    )
    return call, out


def steps(out: list[c.Command]) -> list[tuple[str, dict]]:
    return [(x.kind, x.detail) for x in out if isinstance(x, c.CallStep)]


def play_of(out: list[c.Command]) -> c.Play:
    return next(x for x in out if isinstance(x, c.Play))


def test_a_caller_in_the_scenario_hears_it_was_interrupted_then_starts_again_at_the_entry():
    call, out = adopted("entry")
    assert steps(out) == [("resumed", {"where": "entry"})]
    assert not any(isinstance(x, c.CallStarted) for x in out)  # its history row writes on
    play = play_of(out)
    assert play.media == "sound:pls-hold-while-try" and play.playback_id == f"{KEY}-p{ADOPTED_IDS}"
    assert c.StopMoh(CHANNEL) in out  # a caller who waited in a queue hears no music over it
    after = call.receive(e.PlaybackFinished(at=at(63), channel_id=CHANNEL, playback_id=play.playback_id, failed=False))
    assert play_of(after).media == "sound:hello-world"  # the office's greeting: the scenario's entry
    assert call.state is State.ROUTING


def test_a_talking_caller_goes_on_and_either_side_hanging_up_lets_the_other_go():
    call, out = adopted("bridged", peer=f"{KEY}-leg1", peer_label="101", listening=True)
    assert out == [
        c.CallStep(
            CHANNEL, call_key=KEY, at=at(60), kind=StepKind.RESUMED, detail={"where": "bridged", "talking_to": "101"}
        )
    ]
    assert call.state is State.CONNECTED and call.keeps_busy("101")
    # the recording the lost call started goes on: its listener's events are not the caller's
    assert call.receive(e.StasisEnd(at=at(70), channel_id=f"{KEY}-listener")) == []
    finished = e.RecordingFinished(at=at(70), channel_id=f"{KEY}-listener", name=f"{KEY}-call", duration=9)
    assert call.receive(finished) == []
    assert call.state is State.CONNECTED
    end = call.receive(e.StasisEnd(at=at(90), channel_id=f"{KEY}-leg1"))
    assert end[-1] == c.Hangup(CHANNEL, reason="normal")
    done = call.receive(e.StasisEnd(at=at(91), channel_id=CHANNEL))
    assert c.DestroyBridge(CHANNEL, bridge_id=f"{KEY}-bridge") in done
    assert call.outcome == Outcome.ANSWERED
    # the caller hanging up first lets the colleague go
    call, _ = adopted("bridged", peer=f"{KEY}-leg1", peer_label="101")
    out = call.receive(e.ChannelHangupRequest(at=at(90), channel_id=CHANNEL, cause=16))
    assert c.Hangup(f"{KEY}-leg1", reason="normal") in out


def test_a_message_being_left_is_finished_then_the_call_ends_with_a_callback_owed():
    call, out = adopted("voicemail", recording=f"{KEY}-voicemail")
    assert steps(out) == [("resumed", {"where": "voicemail"})]
    assert not any(isinstance(x, c.Play | c.Hangup) for x in out)  # the caller is still speaking
    done = call.receive(e.RecordingFinished(at=at(70), channel_id=CHANNEL, name=f"{KEY}-voicemail", duration=9))
    assert [x.reason for x in done if isinstance(x, c.CallbackRequested)] == ["voicemail"]
    assert done[-1] == c.Hangup(CHANNEL, reason="normal")
    call.receive(e.StasisEnd(at=at(71), channel_id=CHANNEL))
    assert call.outcome == Outcome.VOICEMAIL


def test_what_cannot_go_on_is_told_so_and_released_a_customer_owed_a_callback():
    call, out = adopted("release")
    play = play_of(out)
    after = call.receive(e.PlaybackFinished(at=at(63), channel_id=CHANNEL, playback_id=play.playback_id, failed=False))
    assert [x.reason for x in after if isinstance(x, c.CallbackRequested)] == ["interrupted"]
    assert after[-1] == c.Hangup(CHANNEL, reason="normal")
    # a staff phone's own call: told, let go, nobody to call back
    call, out = adopted("entry", inbound=False)
    assert steps(out) == [("resumed", {"where": "entry"})]
    after = call.receive(
        e.PlaybackFinished(at=at(63), channel_id=CHANNEL, playback_id=play_of(out).playback_id, failed=False)
    )
    assert not any(isinstance(x, c.CallbackRequested) for x in after)
    assert after[-1] == c.Hangup(CHANNEL, reason="normal")


def test_a_call_whose_history_row_was_never_written_starts_one():
    _, out = adopted("entry", known=False)
    started = [x for x in out if isinstance(x, c.CallStarted)]
    assert [(s.direction, s.caller, s.called) for s in started] == [("inbound", "+48601234567", OFFICE)]


def test_a_message_finished_while_the_app_was_away_ends_the_call_as_a_message_left():
    call, out = adopted("left_message", recording=f"{KEY}-voicemail")
    assert steps(out) == [("resumed", {"where": "left_message"}), ("hangup", {"reason": "normal"})]
    assert [x.reason for x in out if isinstance(x, c.CallbackRequested)] == ["voicemail"]
    assert out[-1] == c.Hangup(CHANNEL, reason="normal")
    assert not any(isinstance(x, c.Play | c.Record) for x in out)  # not asked for a second message
    call.receive(e.StasisEnd(at=at(61), channel_id=CHANNEL))
    assert call.outcome == Outcome.VOICEMAIL


# --- a recording the lost call announced but never started (it died in between) ---------------

OWED = s.RecordingRule("Jakość obsługi", "always", purpose_id=5, announcement="sound:recording-notice")


def adopted_owing(
    *rules: s.RecordingRule, owed_rule: str = "Jakość obsługi", listening: bool = False
) -> tuple[Call, list[c.Command]]:
    call = Call(KEY, CHANNEL, replace(directory(), recording_rules=rules), first_id=ADOPTED_IDS)
    ch = replace(channel(state="Up"), exten=OFFICE)
    event = e.Adopted(
        at=at(60),
        channel_id=CHANNEL,
        channel=ch,
        where="bridged",
        inbound=True,
        known=True,
        peer=f"{KEY}-leg1",
        peer_label="101",
        owed_rule=owed_rule,
        answered_by="101",
        listening=listening,
    )
    return call, call.receive(event)


def test_a_conversation_whose_announced_recording_never_started_is_recorded_from_now():
    call, out = adopted_owing(OWED)
    name = f"{KEY}-call"
    assert c.Listen(f"{KEY}-listener", target=CHANNEL) in out
    assert ("recording", {"rule": "Jakość obsługi"}) in steps(out)
    assert not any(isinstance(x, c.PlayBridge) for x in out)  # the caller heard the notice already
    # and it is handed over when the call ends, with the rule's purpose, as any call recording
    call.receive(e.StasisEnd(at=at(90), channel_id=f"{KEY}-leg1"))
    done = call.receive(e.RecordingFinished(at=at(91), channel_id=CHANNEL, name=name, duration=30))
    ready = [x for x in done if isinstance(x, c.RecordingReady)]
    assert [(r.name, r.kind, r.purpose_id) for r in ready] == [(name, "call", 5)]


def test_an_owed_recording_whose_listener_is_still_there_records_that_listener():
    # The app died between creating the listener and recording it: a second listener of the
    # same id could not be created, so the one Asterisk holds is recorded.
    call, out = adopted_owing(OWED, listening=True)
    assert not any(isinstance(x, c.Listen) for x in out)
    assert c.Record(f"{KEY}-listener", name=f"{KEY}-call", fmt="wav", max_seconds=0) in out
    assert call.receive(e.StasisEnd(at=at(70), channel_id=f"{KEY}-listener")) == []  # its end is not the call's
    assert call.state is State.CONNECTED


def test_an_owed_recording_still_yields_to_a_never_rule_for_the_person_and_to_rules_gone_since():
    never_for_anna = s.RecordingRule("Anna bez nagrań", "never", extension="101")
    _, out = adopted_owing(never_for_anna, OWED)
    assert not any(isinstance(x, c.Listen) for x in out)
    assert ("not_recorded", {"rule": "Anna bez nagrań"}) in steps(out)
    for rules, owed in (((), "Jakość obsługi"), ((OWED,), "Usunięta reguła"), ((OWED,), "")):
        _, out = adopted_owing(*rules, owed_rule=owed)
        assert not any(isinstance(x, c.Listen) for x in out), (rules, owed)
