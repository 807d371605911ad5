"""Destination runners: what a call does while it is at one destination.

A step starts (`start`), reacts to the caller's media events and timers (`on_event`) and, for
the ringing steps, to its legs (`on_leg_failed`); `stop` undoes what it left running (timers,
ringing legs, hold music) when the call moves on. Steps never touch I/O: they return commands.
A step that ends hands the call on with `call.goto(next)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from . import commands as c
from . import events as e
from . import scenario as s
from .vocabulary import RingKind, StepKind
from .waiting import Waiting

if TYPE_CHECKING:
    from .call import Call


class Step:
    def start(self, call: Call, at: datetime) -> list[c.Command]:
        raise NotImplementedError

    def on_event(self, call: Call, event: e.Event) -> list[c.Command]:
        return []

    def on_leg_failed(self, call: Call, leg_id: str, event: e.Event) -> list[c.Command]:
        return []

    def stop(self, call: Call) -> list[c.Command]:
        return []


# --- media steps: the caller is answered and hears something ---------------------------------


@dataclass
class AnnouncementStep(Step):
    dest: s.Announcement
    playback: str = ""

    def start(self, call: Call, at: datetime) -> list[c.Command]:
        play, self.playback = call.play(self.dest.prompt)
        return [*call.answer_caller(), call.fact(at, StepKind.ANNOUNCEMENT, prompt=self.dest.prompt), play]

    def on_event(self, call: Call, event: e.Event) -> list[c.Command]:
        if isinstance(event, e.PlaybackFinished) and event.playback_id == self.playback:
            return call.goto(self.dest.next, event.at)
        return []


@dataclass
class RecordingNoticeStep(Step):
    """'This call is recorded for ...; press 9 to object.' The key is accepted while the
    announcement plays and for a short window after it; then the call goes on to `then`."""

    rule: s.RecordingRule
    then: s.DestId | None
    window_seconds: float = 3.0
    playback: str = ""
    timer: str = ""

    def start(self, call: Call, at: datetime) -> list[c.Command]:
        play, self.playback = call.play(self.rule.announcement)
        return [*call.answer_caller(), call.fact(at, StepKind.RECORDING_NOTICE, rule=self.rule.name), play]

    def on_event(self, call: Call, event: e.Event) -> list[c.Command]:
        if isinstance(event, e.PlaybackFinished) and event.playback_id == self.playback:
            self.playback = ""
            start, self.timer = call.timer("notice", self.window_seconds)
            return [start]
        if isinstance(event, e.ChannelDtmfReceived) and event.digit == self.rule.objection_key:
            call.recorder.objected = True
            stop = [c.StopPlayback(call.channel_id, self.playback)] if self.playback else []
            objection = call.fact(event.at, StepKind.RECORDING_OBJECTION, rule=self.rule.name, key=event.digit)
            return [*stop, objection, *call.goto(self.then, event.at, noticed=True)]
        if isinstance(event, e.TimerFired) and event.name == self.timer:
            self.timer = ""
            call.recorder.rule = self.rule
            return call.goto(self.then, event.at, noticed=True)
        return []

    def stop(self, call: Call) -> list[c.Command]:
        timer, self.timer = self.timer, ""
        return [c.CancelTimer(call.channel_id, timer)] if timer else []


@dataclass
class MenuStep(Step):
    dest: s.Menu
    tries: int = 0
    playback: str = ""
    timer: str = ""

    def start(self, call: Call, at: datetime) -> list[c.Command]:
        return [*call.answer_caller(), call.fact(at, StepKind.MENU, prompt=self.dest.prompt), *self._prompt(call)]

    def _prompt(self, call: Call, prefix: str = "") -> list[c.Command]:
        media = f"{prefix},{self.dest.prompt}" if prefix else self.dest.prompt
        play, self.playback = call.play(media)
        return [play]

    def on_event(self, call: Call, event: e.Event) -> list[c.Command]:
        if isinstance(event, e.PlaybackFinished) and event.playback_id == self.playback:
            self.playback = ""  # finished: a key pressed now has no prompt to stop
            start, self.timer = call.timer("menu", self.dest.timeout_seconds)
            return [start]
        if isinstance(event, e.ChannelDtmfReceived):
            return self._digit(call, event)
        if isinstance(event, e.TimerFired) and event.name == self.timer:
            return self._retry(call, event, "no_input")
        return []

    def _digit(self, call: Call, event: e.ChannelDtmfReceived) -> list[c.Command]:
        target = self.dest.options.get(event.digit)
        if target is None:
            return self._retry(call, event, "invalid", digit=event.digit)
        stops = [c.StopPlayback(call.channel_id, self.playback)] if self.playback else []
        return [*stops, call.fact(event.at, StepKind.MENU_CHOICE, digit=event.digit), *call.goto(target, event.at)]

    def _retry(self, call: Call, event: e.Event, why: str, **detail: object) -> list[c.Command]:
        cancel = [c.CancelTimer(call.channel_id, self.timer)] if self.timer else []
        self.timer = ""
        self.tries += 1
        if self.tries > self.dest.retries:
            return [
                *cancel,
                call.fact(event.at, StepKind.MENU_GAVE_UP, why=why),
                *call.goto(self.dest.fallback, event.at),
            ]
        prefix = self.dest.invalid_prompt if why == "invalid" else ""
        return [*cancel, call.fact(event.at, StepKind(f"menu_{why}"), **detail), *self._prompt(call, prefix)]

    def stop(self, call: Call) -> list[c.Command]:
        return [c.CancelTimer(call.channel_id, self.timer)] if self.timer else []


@dataclass
class VoicemailStep(Step):
    dest: s.Voicemail
    playback: str = ""

    def start(self, call: Call, at: datetime) -> list[c.Command]:
        fact = call.fact(at, StepKind.VOICEMAIL, seconds=self.dest.max_seconds, mailbox=self.dest.mailbox)
        commands = [*call.answer_caller(), fact]
        if not self.dest.prompt:
            return [*commands, self._record(call)]
        play, self.playback = call.play(self.dest.prompt)
        return [*commands, play]

    def on_event(self, call: Call, event: e.Event) -> list[c.Command]:
        if isinstance(event, e.PlaybackFinished) and event.playback_id == self.playback:
            self.playback = ""  # one recording, even if the event comes again
            return [self._record(call)]
        return []

    def _record(self, call: Call) -> c.Record:
        dest = self.dest
        return call.recorder.record_channel("voicemail", dest.max_seconds, dest.beep, mailbox=dest.mailbox)


@dataclass
class CallbackOfferStep(Step):
    dest: s.CallbackOffer
    playback: str = ""
    timer: str = ""
    accepted: bool = False

    def start(self, call: Call, at: datetime) -> list[c.Command]:
        play, self.playback = call.play(self.dest.prompt)
        return [*call.answer_caller(), call.fact(at, StepKind.CALLBACK_OFFER), play]

    def on_event(self, call: Call, event: e.Event) -> list[c.Command]:
        if isinstance(event, e.PlaybackFinished) and event.playback_id == self.playback:
            if self.accepted:
                return call.hang_up(event.at)
            start, self.timer = call.timer("offer", self.dest.timeout_seconds)
            return [start]
        if isinstance(event, e.ChannelDtmfReceived) and not self.accepted:
            if event.digit != self.dest.key:
                return self._decline(call, event)
            self.accepted = True
            play, self.playback = call.play(self.dest.confirmation)
            return [*self.stop(call), call.callback_fact(event.at, "requested"), play]
        if isinstance(event, e.TimerFired) and event.name == self.timer:
            return self._decline(call, event)
        return []

    def _decline(self, call: Call, event: e.Event) -> list[c.Command]:
        return [
            *self.stop(call),
            call.fact(event.at, StepKind.CALLBACK_DECLINED),
            *call.goto(self.dest.otherwise, event.at),
        ]

    def stop(self, call: Call) -> list[c.Command]:
        timer, self.timer = self.timer, ""
        return [c.CancelTimer(call.channel_id, timer)] if timer else []


# --- ringing steps: staff phones, mobiles or an outside number ring as legs ----------------


@dataclass(frozen=True)
class Target:
    endpoint: str
    label: str  # extension number or E.164; a person's several phones share theirs
    after_seconds: int = 0  # joins the round this long after it starts (a person's later phone)


@dataclass
class RingStep(Step):
    """Rings targets in rounds until one answers, the step's time is up, or nobody can be rung.

    Strategies: "ring_all" rings every target each round; "linear" one target per round, in
    order, cycling. Plan B: when none of the staff targets is reachable, the on-duty people's
    mobiles are rung through the trunk instead, presenting the original caller's number.
    """

    kind: RingKind
    targets: tuple[Target, ...]
    strategy: str = "ring_all"
    round_seconds: int = 20
    max_seconds: int = 20
    hold_music: bool = False
    music_class: str = ""  # the queue's own hold music ("": the default)
    music_in_bridge: str = ""  # the caller waits in this bridge (a transfer): music there
    queue: str = ""  # the queue being rung, for the history
    then: s.DestId | None = None
    caller_number: str = ""
    caller_name: str = ""
    refused: str = ""  # why the guard for forwards refused the only target (it rings nobody)
    ringing: set[str] = field(default_factory=set)
    position: int = 0
    round_timer: str = ""
    deadline_timer: str = ""
    started_at: datetime | None = None
    waiting: Waiting | None = None  # place-in-queue announcements over the hold music
    music_stopped: bool = False
    joining: dict[str, Target] = field(default_factory=dict)  # timer -> a phone that rings later
    slot: int = 0  # a parked call's slot (parking.py), 0 for every other ringing
    covering_for: tuple[str, ...] = ()  # a rota's people in do-not-disturb, covered by the next on duty

    def start(self, call: Call, at: datetime) -> list[c.Command]:
        self.started_at = at
        detail: dict[str, object] = {
            "targets": list(dict.fromkeys(t.label for t in self.targets)),
            "strategy": self.strategy,
        }
        if self.queue:
            detail["queue"] = self.queue
        if self.refused:
            detail["refused"] = self.refused
        if self.slot:
            detail["slot"] = self.slot
        if self.covering_for:
            detail["covering_for"] = list(self.covering_for)
        commands: list[c.Command] = [call.fact(at, StepKind.ring(self.kind), **detail)]
        if not self.targets:
            return [*commands, *self._give_up(call, at, "nobody_to_ring")]
        if self.music_in_bridge:
            commands.append(c.StartBridgeMoh(call.channel_id, bridge_id=self.music_in_bridge))
        elif self.hold_music:
            commands += [*call.answer_caller(), c.StartMoh(call.channel_id, moh_class=self.music_class)]
            commands += self.waiting.start(call) if self.waiting else []
        elif not call.answered:
            commands.append(c.Ring(call.channel_id))
        deadline, self.deadline_timer = call.timer("deadline", self.max_seconds)
        return [*commands, deadline, *self._round(call)]

    def _round(self, call: Call) -> list[c.Command]:
        if self.strategy == "linear":  # one person a round, all of their phones
            labels = list(dict.fromkeys(t.label for t in self.targets))
            person = labels[self.position % len(labels)]
            batch = [t for t in self.targets if t.label == person]
            self.position += 1
        else:
            batch = list(self.targets)
        commands: list[c.Command] = self._cancel_joining(call)
        for target in batch:
            if target.after_seconds and target.after_seconds < self.round_seconds:
                start_later, name = call.timer("join", target.after_seconds)
                self.joining[name] = target
                commands.append(start_later)
            elif not target.after_seconds:
                commands.append(self._ring(call, target))
        start, self.round_timer = call.timer("round", self.round_seconds)
        return [*commands, start]

    def _ring(self, call: Call, target: Target) -> c.Originate:
        leg_id = call.legs.new(target.label)
        self.ringing.add(leg_id)
        return c.Originate(
            leg_id,
            endpoint=target.endpoint,
            caller_number=self.caller_number,
            caller_name=self.caller_name,
            timeout_seconds=self.round_seconds + 5,
            args=("leg", call.key),
        )

    def _cancel_joining(self, call: Call) -> list[c.Command]:
        names, self.joining = sorted(self.joining), {}
        return [c.CancelTimer(call.channel_id, name) for name in names]

    def on_event(self, call: Call, event: e.Event) -> list[c.Command]:
        if self.waiting and self.waiting.wants_callback(event):
            stopped = self.stop(call)  # the legs, the timers, the music: the wait is over
            return [*stopped, *self.waiting.confirm_callback(call, event)]
        if self.waiting and self.waiting.confirmation_heard(event):
            return call.hang_up(event.at)
        if self.waiting and (announced := self.waiting.on_event(call, event)) is not None:
            return announced
        if not isinstance(event, e.TimerFired):
            return []
        if (target := self.joining.pop(event.name, None)) is not None:
            return [self._ring(call, target)]  # a person's later phone joins in
        if event.name == self.deadline_timer:
            self.deadline_timer = ""
            return [*self.stop(call), *self._give_up(call, event.at, "no_answer")]
        if event.name == self.round_timer:
            self.round_timer = ""
            return [*self._hang_up_ringing(call), *self._round(call)]
        return []

    def on_leg_failed(self, call: Call, leg_id: str, event: e.Event) -> list[c.Command]:
        self.ringing.discard(leg_id)
        cause = event.cause if isinstance(event, e.ChannelDestroyed) else None
        fact = call.fact(event.at, StepKind.LEG_FAILED, target=call.legs.get(leg_id, ""), cause=cause)
        if self.ringing or self.joining or self.strategy != "linear":
            return [fact]  # ring_all: the round timer starts the next round
        cancel = [c.CancelTimer(call.channel_id, self.round_timer)] if self.round_timer else []
        return [fact, *cancel, *self._round(call)]

    def _hang_up_ringing(self, call: Call) -> list[c.Command]:
        legs, self.ringing = sorted(self.ringing), set()
        return [c.Hangup(leg, reason="normal") for leg in legs]

    def _give_up(self, call: Call, at: datetime, why: str) -> list[c.Command]:
        commands: list[c.Command] = [call.fact(at, StepKind.NOT_ANSWERED, why=why)]
        if self.then is None and self.kind.rings_the_firm:
            commands.append(call.callback_fact(at, "no_answer"))
        return [*commands, *call.goto(self.then, at)]

    def stop(self, call: Call) -> list[c.Command]:
        commands = [*self._hang_up_ringing(call), *self._cancel_joining(call)]
        for name in (self.round_timer, self.deadline_timer):
            if name:
                commands.append(c.CancelTimer(call.channel_id, name))
        self.round_timer = self.deadline_timer = ""
        if self.music_in_bridge:
            commands.append(c.StopBridgeMoh(call.channel_id, bridge_id=self.music_in_bridge))
        elif self.hold_music and not self.music_stopped and not (self.waiting and self.waiting.speaking):
            commands.append(c.StopMoh(call.channel_id))
        self.music_stopped = True
        if self.waiting:
            commands += self.waiting.stop(call)
        return commands
