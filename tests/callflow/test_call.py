"""Every branch of the first call flow, fed as plain events: greeting, recording, refusal,
hang-ups at awkward moments, failed commands, and events that arrive late or twice."""

from __future__ import annotations

from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow.call import State

from .fixtures import (
    CHANNEL,
    CUSTOMER,
    KEY,
    OFFICE,
    at,
    hangup_request,
    new_call,
    playback_done,
    recording_done,
    start,
    stasis_end,
    up,
)


def actions(commands: list[c.Command]) -> list[c.Command]:
    return [command for command in commands if not isinstance(command, c.Fact)]


def facts_of(commands: list[c.Command], kind: type) -> list:
    return [command for command in commands if isinstance(command, kind)]


def test_a_call_to_our_number_is_answered_and_greeted():
    call = new_call()
    out = call.receive(start())
    assert actions(out) == [
        c.Answer(CHANNEL),
        c.Play(CHANNEL, playback_id=f"{KEY}-greeting", media="sound:hello-world"),
    ]
    [started] = facts_of(out, c.CallStarted)
    assert (started.direction, started.caller, started.called, started.sip_call_id) == (
        "inbound", CUSTOMER, OFFICE, "abc@127.0.0.2",
    )  # fmt: skip
    assert call.state is State.GREETING


def test_after_the_greeting_the_caller_is_recorded_then_hung_up_on():
    call = new_call(record_seconds=3)
    call.receive(start())
    assert facts_of(call.receive(up()), c.CallAnswered) == [c.CallAnswered(CHANNEL, call_key=KEY, at=at(0.01))]
    assert actions(call.receive(playback_done())) == [c.Record(CHANNEL, name=f"{KEY}-caller", fmt="wav", max_seconds=3)]
    out = call.receive(recording_done())
    assert facts_of(out, c.RecordingReady) == [
        c.RecordingReady(CHANNEL, call_key=KEY, at=at(5.0), name=f"{KEY}-caller", fmt="wav")
    ]
    assert actions(out) == [c.Hangup(CHANNEL, reason="normal")]

    call.receive(hangup_request(5.01, cause=32, soft=True))
    [ended] = facts_of(call.receive(stasis_end(5.02)), c.CallEnded)
    assert (ended.outcome, ended.cause, ended.cause_text, ended.hung_up_by) == (
        "answered", 16, "Normal Clearing", "centrala",
    )  # fmt: skip
    assert call.finished


def test_without_recording_the_call_ends_after_the_greeting():
    call = new_call(record_seconds=0)
    call.receive(start())
    out = call.receive(playback_done())
    assert actions(out) == [c.Hangup(CHANNEL, reason="normal")]
    assert not facts_of(out, c.RecordingReady)


def test_a_number_that_is_not_ours_hears_not_in_service_unanswered_and_is_refused():
    call = new_call()
    out = call.receive(start(dialled="+48229999999"))
    assert actions(out) == [c.Play(CHANNEL, playback_id=f"{KEY}-refuse", media="sound:ss-noservice")]
    assert not any(isinstance(command, c.Answer) for command in out)
    assert actions(call.receive(playback_done("refuse"))) == [c.Hangup(CHANNEL, reason="unallocated")]
    [ended] = facts_of(call.receive(stasis_end(9)), c.CallEnded)
    assert (ended.outcome, ended.cause) == ("rejected", 1)


def test_dialled_number_in_national_format_finds_the_plan():
    call = new_call()
    out = call.receive(start(dialled="221234567"))
    assert c.Answer(CHANNEL) in out


def test_caller_hanging_up_during_the_greeting_ends_the_call_as_answered_with_their_cause():
    call = new_call()
    call.receive(start())
    call.receive(up())
    out = call.receive(hangup_request(0.8, cause=16))
    assert facts_of(out, c.CallStep)[0].kind == "caller_hung_up"
    assert actions(out) == []
    # The greeting's end still arrives; it must not start a recording on a dead channel.
    assert call.receive(playback_done(t=0.81)) == []
    [ended] = facts_of(call.receive(stasis_end(0.82)), c.CallEnded)
    assert (ended.outcome, ended.cause, ended.hung_up_by) == ("answered", 16, "caller")


def test_caller_hanging_up_while_recorded_still_hands_over_the_recording():
    call = new_call()
    call.receive(start())
    call.receive(up())
    call.receive(playback_done())
    call.receive(hangup_request(2.5, cause=16))
    out = call.receive(stasis_end(2.6))
    assert [type(command) for command in out] == [c.CallEnded, c.RecordingReady]
    assert out[1].name == f"{KEY}-caller"
    assert call.finished


def test_a_recording_finished_after_hangup_is_handed_over_once():
    call = new_call()
    call.receive(start())
    call.receive(playback_done())
    call.receive(hangup_request(2.5))
    assert facts_of(call.receive(recording_done(2.55)), c.RecordingReady)
    out = call.receive(stasis_end(2.6))
    assert not facts_of(out, c.RecordingReady)
    assert actions(out) == []


def test_a_failed_recording_is_noted_and_the_call_is_ended_politely():
    call = new_call()
    call.receive(start())
    call.receive(playback_done())
    out = call.receive(e.RecordingFailed(at=at(2), channel_id=CHANNEL, name=f"{KEY}-caller", cause="disk full"))
    assert facts_of(out, c.CallStep)[0].detail == {"cause": "disk full"}
    assert actions(out) == [c.Hangup(CHANNEL, reason="normal")]
    assert not facts_of(call.receive(stasis_end(3)), c.RecordingReady)


def test_a_command_that_failed_because_the_channel_is_gone_changes_nothing():
    call = new_call()
    call.receive(start())
    out = call.receive(e.CommandFailed(at=at(0.1), channel_id=CHANNEL, command="Play", error="404", gone=True))
    assert actions(out) == []
    assert call.state is State.GREETING


def test_any_other_failed_command_hangs_up_and_marks_the_call_failed():
    call = new_call()
    call.receive(start())
    out = call.receive(e.CommandFailed(at=at(0.1), channel_id=CHANNEL, command="Play", error="500", gone=False))
    assert actions(out) == [c.Hangup(CHANNEL, reason="normal")]
    [ended] = facts_of(call.receive(stasis_end(0.2)), c.CallEnded)
    assert ended.outcome == "failed"


def test_a_call_whose_channel_vanished_while_disconnected_ends_as_lost():
    call = new_call()
    call.receive(start())
    call.receive(up())
    assert call.receive(e.ChannelGone(at=at(60), channel_id=CHANNEL)) == [
        c.CallEnded(CHANNEL, call_key=KEY, at=at(60), outcome="lost", cause=None, cause_text="", hung_up_by="")
    ]
    assert call.finished


def test_a_vanished_call_that_was_recording_still_asks_for_its_file():
    # The file is on Asterisk even though the events were missed; ingestion copes if not.
    call = new_call()
    call.receive(start())
    call.receive(playback_done())
    out = call.receive(e.ChannelGone(at=at(60), channel_id=CHANNEL))
    assert [type(command) for command in out] == [c.CallEnded, c.RecordingReady]


def test_events_after_the_end_are_ignored():
    call = new_call()
    call.receive(start())
    call.receive(stasis_end(1))
    assert call.receive(e.ChannelDestroyed(at=at(1.1), channel_id=CHANNEL, cause=16, cause_text="x")) == []
    assert call.receive(playback_done()) == []
    assert call.receive(up()) == []


def test_unanswered_call_that_hangs_up_is_missed():
    call = new_call()
    call.receive(start())
    call.receive(hangup_request(0.5, cause=19))
    [ended] = facts_of(call.receive(stasis_end(0.6)), c.CallEnded)
    assert (ended.outcome, ended.cause, ended.cause_text) == ("missed", 19, "No answer")


def test_a_playback_of_another_id_does_not_advance_the_call():
    call = new_call()
    call.receive(start())
    assert call.receive(e.PlaybackFinished(at=at(1), channel_id=CHANNEL, playback_id="other", failed=False)) == []
    assert call.state is State.GREETING
