"""One call's logic, as a state machine with no I/O.

Theory of operation
-------------------
The pump creates a Call when Asterisk hands a channel to Stasis, then feeds it every event
for that channel with `receive(event)` and executes the commands it returns, in order. The
call never waits: it records what it asked for (a playback id, a recording name) and moves on
when the matching event arrives. Time comes only from the events' timestamps.

    NEW --StasisStart--> GREETING --PlaybackFinished--> RECORDING --RecordingFinished--> HANGING_UP
     |                       |  (no recording) ------------------------------------------^
     +--(number not ours)--> REFUSING --PlaybackFinished--> HANGING_UP
    any state --StasisEnd / ChannelDestroyed / ChannelGone--> ENDED

A hang-up can come at any moment. ARI sends ChannelHangupRequest (with the cause), then
StasisEnd, after which it stops sending events for the channel (ChannelDestroyed usually
never arrives), so the call ends at whichever of StasisEnd, ChannelDestroyed or ChannelGone
(made by the pump after a reconnect) comes first. Asterisk closes a recording's file when
the channel hangs up, so a recording still open at the end is handed over then.
Late or repeated events that do not fit the state are ignored: they are normal with ARI.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from pbx.phone import caller_to_e164

from . import commands as c
from . import events as e
from .scenario import RECORDING_FORMAT, Directory, NumberPlan

# Q.850 causes a small firm's history shows most often.
CAUSE_TEXT = {
    1: "Unallocated (unassigned) number",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "No answer",
    21: "Call rejected",
    31: "Normal, unspecified",
    34: "No circuit available",
}
# The Q.850 cause Asterisk sends for each hangup reason Centrala uses.
REASON_CAUSE = {"normal": 16, "unallocated": 1, "busy": 17, "congestion": 34}


class State(enum.Enum):
    NEW = "new"
    GREETING = "greeting"
    RECORDING = "recording"
    REFUSING = "refusing"
    HANGING_UP = "hanging_up"
    ENDED = "ended"


Handler = Callable[["Call", e.Event], list[c.Command]]


class Call:
    """Feed it events with `receive`; it returns the commands to run. Never raises on events."""

    def __init__(self, key: str, channel_id: str, directory: Directory) -> None:
        self.key = key
        self.channel_id = channel_id
        self.directory = directory
        self.state = State.NEW
        self.plan: NumberPlan | None = None
        self.answered = False
        self.recording_name: str | None = None  # set while a recording awaits RecordingFinished
        self.outcome = "in_progress"
        self.hangup_cause: int | None = None
        self.hung_up_by = ""

    @property
    def finished(self) -> bool:
        """True once nothing more can happen to this call."""
        return self.state is State.ENDED

    def receive(self, event: e.Event) -> list[c.Command]:
        if self.state is State.ENDED:
            return []
        handler = _TRANSITIONS.get((self.state, type(event))) or _ANY_STATE.get(type(event))
        if handler is None:
            return []
        return handler(self, event)

    # --- helpers -------------------------------------------------------------------

    def _step(self, event: e.Event, kind: str, **detail: object) -> c.CallStep:
        return c.CallStep(self.channel_id, call_key=self.key, at=event.at, kind=kind, detail=dict(detail))

    def _hang_up(self, event: e.Event, reason: str = "normal") -> list[c.Command]:
        self.state = State.HANGING_UP
        self.hung_up_by = "centrala"
        self.hangup_cause = REASON_CAUSE.get(reason)
        return [self._step(event, "hangup", reason=reason), c.Hangup(self.channel_id, reason=reason)]

    # --- transitions -----------------------------------------------------------------

    def _on_start(self, event: e.Event) -> list[c.Command]:
        assert isinstance(event, e.StasisStart)
        direction, dialled = [*event.args, "inbound", event.channel.exten][:2]
        started = c.CallStarted(
            self.channel_id,
            call_key=self.key,
            at=event.at,
            direction=direction,
            caller=caller_to_e164(event.channel.caller_number),
            called=caller_to_e164(dialled),
            sip_call_id=event.channel.sip_call_id,
        )
        self.plan = self.directory.plan_for(dialled)
        if self.plan is None:
            self.state = State.REFUSING
            media = self.directory.not_in_service
            return [
                started,
                self._step(event, "not_in_service", dialled=dialled),
                c.Play(self.channel_id, playback_id=f"{self.key}-refuse", media=media),
            ]
        self.state = State.GREETING
        return [
            started,
            c.Answer(self.channel_id),
            self._step(event, "greeting", media=self.plan.greeting),
            c.Play(self.channel_id, playback_id=f"{self.key}-greeting", media=self.plan.greeting),
        ]

    def _on_greeting_done(self, event: e.Event) -> list[c.Command]:
        assert isinstance(event, e.PlaybackFinished) and self.plan is not None
        if event.playback_id != f"{self.key}-greeting":
            return []
        if self.plan.record_seconds <= 0:
            return self._hang_up(event)
        self.state = State.RECORDING
        self.recording_name = f"{self.key}-caller"
        return [
            self._step(event, "recording", seconds=self.plan.record_seconds),
            c.Record(
                self.channel_id,
                name=self.recording_name,
                fmt=RECORDING_FORMAT,
                max_seconds=self.plan.record_seconds,
            ),
        ]

    def _on_refusal_done(self, event: e.Event) -> list[c.Command]:
        assert isinstance(event, e.PlaybackFinished)
        self.outcome = "rejected"
        return self._hang_up(event, reason="unallocated")

    def _on_recording_finished(self, event: e.Event) -> list[c.Command]:
        assert isinstance(event, e.RecordingFinished)
        if event.name != self.recording_name:
            return []
        self.recording_name = None
        ready = c.RecordingReady(self.channel_id, call_key=self.key, at=event.at, name=event.name, fmt=RECORDING_FORMAT)
        if self.state is State.RECORDING:
            return [ready, *self._hang_up(event)]
        return [ready]

    def _on_recording_failed(self, event: e.Event) -> list[c.Command]:
        assert isinstance(event, e.RecordingFailed)
        if event.name != self.recording_name:
            return []
        self.recording_name = None
        step = self._step(event, "recording_failed", cause=event.cause)
        if self.state is State.RECORDING:
            return [step, *self._hang_up(event)]
        return [step]

    def _on_state_change(self, event: e.Event) -> list[c.Command]:
        assert isinstance(event, e.ChannelStateChange)
        if event.state != "Up" or self.answered:
            return []
        self.answered = True
        return [c.CallAnswered(self.channel_id, call_key=self.key, at=event.at)]

    def _on_hangup_request(self, event: e.Event) -> list[c.Command]:
        assert isinstance(event, e.ChannelHangupRequest)
        if self.hangup_cause is None and not event.soft:
            self.hangup_cause = event.cause
        if self.state is State.HANGING_UP:
            return []
        self.state = State.HANGING_UP
        self.hung_up_by = "caller"
        return [self._step(event, "caller_hung_up", cause=event.cause)]

    def _on_command_failed(self, event: e.Event) -> list[c.Command]:
        assert isinstance(event, e.CommandFailed)
        step = self._step(event, "command_failed", command=event.command, error=event.error)
        if event.gone or self.state is State.HANGING_UP:
            return [step]
        self.outcome = "failed"
        return [step, *self._hang_up(event, reason="normal")]

    def _on_end(self, event: e.Event) -> list[c.Command]:
        cause, text = self.hangup_cause, CAUSE_TEXT.get(self.hangup_cause or -1, "")
        if isinstance(event, e.ChannelDestroyed):
            cause, text = event.cause, event.cause_text
        if isinstance(event, e.ChannelGone):
            self.outcome = "lost"
        elif self.outcome == "in_progress":
            self.outcome = "answered" if self.answered else "missed"
        self.state = State.ENDED
        ended = c.CallEnded(
            self.channel_id,
            call_key=self.key,
            at=event.at,
            outcome=self.outcome,
            cause=cause,
            cause_text=text,
            hung_up_by=self.hung_up_by,
        )
        if self.recording_name is None:
            return [ended]
        name, self.recording_name = self.recording_name, None
        ready = c.RecordingReady(self.channel_id, call_key=self.key, at=event.at, name=name, fmt=RECORDING_FORMAT)
        return [ended, ready]


_TRANSITIONS: dict[tuple[State, type[e.Event]], Handler] = {
    (State.NEW, e.StasisStart): Call._on_start,
    (State.GREETING, e.PlaybackFinished): Call._on_greeting_done,
    (State.REFUSING, e.PlaybackFinished): Call._on_refusal_done,
}
_ANY_STATE: dict[type[e.Event], Handler] = {
    e.RecordingFinished: Call._on_recording_finished,
    e.RecordingFailed: Call._on_recording_failed,
    e.ChannelStateChange: Call._on_state_change,
    e.ChannelHangupRequest: Call._on_hangup_request,
    e.CommandFailed: Call._on_command_failed,
    e.StasisEnd: Call._on_end,
    e.ChannelDestroyed: Call._on_end,
    e.ChannelGone: Call._on_end,
}
