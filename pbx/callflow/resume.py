"""A call taken back after the app came back: nobody is left in silence.

When the Stasis app dies (a crash, a kill, a deploy), Asterisk keeps every channel it had in
Stasis, but nothing tells the callers anything. The restarted app asks Asterisk what it holds
(pbx/stasis/adoption.py) and gives each such caller a call again, fed `Adopted`, which says
what Asterisk's state shows the caller was doing:

    bridged    talking to someone: the conversation goes on untouched; when either side hangs
               up the other is let go and the bridge is closed (the recording ends with the caller). A
               recording the caller was told of but that never started starts now (the rules
               decide again for the person connected, as when they answered)
    voicemail  leaving a message: the recording goes on; when it ends the call ends, and the
               sweep stores the message as any message finished while the app was away
    left_message  the message ended (silence, its longest length) while the app was away:
               the call ends as it would have, and the sweep stores the message
    entry      in a greeting, a menu, a queue, ringing: "the line was interrupted for a
               moment", then the scenario again from its entry (the ringing legs of the lost
               call were hung up by the adoption)
    release    nothing to resume (alone in a bridge after a transfer, a staff phone's own
               call): the same sentence, then a polite hang-up; a customer is owed a callback

The call keeps its key (its history row writes on) when the row exists; its ids start at
ADOPTED_IDS, so no playback or leg it makes can take the name of one the lost call left.
Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pbx.phone import caller_to_e164

from . import commands as c
from . import events as e
from . import names
from .state import State
from .steps import Step
from .vocabulary import Direction, Outcome, StepKind

if TYPE_CHECKING:
    from .call import Call
    from .scenario import DestId

ADOPTED_IDS = 100_000  # where an adopted call's playback and leg numbers start

__all__ = ["ADOPTED_IDS", "adopt"]


@dataclass
class Interrupted(Step):
    """'The line was interrupted for a moment', then `then` (None: goodbye)."""

    then: DestId | None
    callback: bool = False  # a customer whose call cannot go on: the firm calls back
    playback: str = ""

    def start(self, call: Call, at: datetime) -> list[c.Command]:
        play, self.playback = call.play(call.directory.interrupted)
        return [*call.answer_caller(), c.StopMoh(call.channel_id), play]

    def on_event(self, call: Call, event: e.Event) -> list[c.Command]:
        if isinstance(event, e.PlaybackFinished) and event.playback_id == self.playback:
            owed = [call.callback_fact(event.at, "interrupted")] if self.callback else []
            return [*owed, *call.goto(self.then, event.at)]
        return []


@dataclass
class FinishingMessage(Step):
    """The caller is still recording a message the lost call started: wait for its end."""

    name: str

    def on_event(self, call: Call, event: e.Event) -> list[c.Command]:
        if isinstance(event, e.RecordingFinished | e.RecordingFailed) and event.name == self.name:
            if isinstance(event, e.RecordingFinished):
                call.ending.left_message = True
                return [call.callback_fact(event.at, "voicemail"), *call.hang_up(event.at)]
            return call.hang_up(event.at)
        return []


def adopt(call: Call, event: e.Adopted) -> list[c.Command]:
    channel = event.channel
    if event.inbound:
        direction, caller, called = Direction.INBOUND, caller_to_e164(channel.caller_number), channel.exten
    else:
        direction, caller, called = Direction.INTERNAL, channel.caller_number, channel.exten
    call.caller, call.direction, call.called = caller, direction, called
    call.answered = channel.state == "Up"
    out: list[c.Command] = []
    if not event.known:
        out.append(
            c.CallStarted(
                call.channel_id,
                call_key=call.key,
                at=event.at,
                direction=direction,
                caller=caller,
                called=caller_to_e164(called) if event.inbound else called,
                sip_call_id=channel.sip_call_id,
                adopted=True,
            )
        )
    where = event.where
    if where == "bridged":
        call.set_state(State.ROUTING)
        call.set_state(State.CONNECTED)
        call.legs.connected = call.legs.adopt(event.peer, event.peer_label)
        call.ending.talked = True
        if event.listening:
            # A recording the lost call started goes on through its listener (the sweep stores
            # it): the listener's events are its, never the caller's; one owed records it.
            call.recorder.listener, call.recorder.listener_up = names.listener(call.key), True
        out.append(call.fact(event.at, StepKind.RESUMED, where=where, talking_to=event.peer_label))
        return [*out, *_owed_recording(call, event)]
    call.set_state(State.ROUTING)
    out.append(call.fact(event.at, StepKind.RESUMED, where=where))
    if where == "voicemail":
        call.step = FinishingMessage(event.recording)
        return out
    if where == "left_message":
        call.ending.left_message = True
        return [*out, call.callback_fact(event.at, "voicemail"), *call.hang_up(event.at)]
    entry = _entry(call, event) if where == "entry" else None
    if entry is None and where == "entry":
        where = "release"
    customer = event.inbound and where == "release"
    return [*out, *call.enter(Interrupted(then=entry, callback=customer), event.at)]


def _owed_recording(call: Call, event: e.Adopted) -> list[c.Command]:
    """The lost call had announced a recording and connected the caller, but died before the
    recording started: the announced rule records the conversation now, as it would have then."""
    if not event.owed_rule:
        return []
    rule = next((r for r in call.directory.recording_rules if r.name == event.owed_rule), None)
    if rule is None or rule.mode != "always":
        return []
    call.recorder.rule, call.recorder.noticed = rule, True
    return call.recorder.on_connected(event.answered_by, event.at)


def _entry(call: Call, event: e.Adopted) -> DestId | None:
    """Where an inbound call's scenario starts now; None for anything else (released)."""
    if not event.inbound:
        return None
    plan = call.directory.plan_for(event.channel.exten)
    if plan is None:
        call.ending.outcome = Outcome.REJECTED
        return None
    entry, _, _ = call.directory.entry_for(plan, event.at)
    return entry
