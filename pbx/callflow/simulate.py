"""Simulate a call: run the real Call on a virtual clock, with this module playing Asterisk.

What the office manager previews is what a caller gets, because the decisions are made by the
same `Call` that handles live calls; only Asterisk is imagined: prompts take a few seconds,
timers fire on time, the caller presses the keys given (one per menu or offer, in order), and
the first phone rung among `answering` picks up after a few seconds (nobody, if it is empty).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import count

from . import commands as c
from . import events as e
from .call import Call
from .scenario import Directory

PROMPT_SECONDS = 3.0
ANSWER_AFTER_SECONDS = 4.0
TALK_SECONDS = 60.0
MESSAGE_SECONDS = 20.0
MAX_EVENTS = 500
CALLER = "sim-caller"


@dataclass(frozen=True)
class Situation:
    number: str  # the company number dialled
    when: datetime  # aware
    caller: str = "+48601234567"
    keys: str = ""  # pressed one by one, each when a menu or offer waits for a key
    answering: frozenset[str] = frozenset()  # extensions or numbers that pick up
    offline: frozenset[str] = frozenset()  # extensions whose phones are unreachable


@dataclass(frozen=True)
class Line:
    seconds: float  # since the call started
    kind: str
    detail: Mapping[str, object] = field(default_factory=dict)


def simulate(directory: Directory, situation: Situation) -> list[Line]:
    """What happens to a call in `situation`, step by step, as the live call flow decides."""
    return _Simulation(directory, situation).run()


class _Simulation:
    def __init__(self, directory: Directory, situation: Situation) -> None:
        self.situation = situation
        presence = dict.fromkeys(situation.offline, False)
        self.call = Call("sim", CALLER, directory, presence)
        self.keys = list(situation.keys)
        self.pending: list[tuple[datetime, int, e.Event]] = []
        self.cancelled: set[str] = set()
        self.lines: list[Line] = []
        self.order = count()
        self.answered_once = False

    def run(self) -> list[Line]:
        start = e.Channel(
            id=CALLER,
            name="PJSIP/carrier-sim",
            state="Ring",
            caller_number=self.situation.caller,
            caller_name="",
            exten=self.situation.number,
            sip_call_id="",
        )
        self._feed(
            e.StasisStart(
                at=self.situation.when, channel_id=CALLER, channel=start, args=("inbound", self.situation.number)
            )
        )
        for _ in range(MAX_EVENTS):
            if self.call.finished or not self.pending:
                break
            _, _, event = heapq.heappop(self.pending)
            if isinstance(event, e.TimerFired) and event.name in self.cancelled:
                continue
            self._feed(event)
        return self.lines

    def _feed(self, event: e.Event) -> None:
        self._answer(self.call.receive(event), event.at)

    def _later(self, at: datetime, seconds: float, event: e.Event) -> None:
        when = at + timedelta(seconds=seconds)
        event = _restamp(event, when)
        heapq.heappush(self.pending, (when, next(self.order), event))

    def _answer(self, commands: Iterable[c.Command], at: datetime) -> None:
        """Asterisk's part: turn each command into the events that would follow it."""
        for command in commands:
            self._note(command, at)
            match command:
                case c.Play(playback_id=playback):
                    self._later(
                        at,
                        PROMPT_SECONDS,
                        e.PlaybackFinished(at=at, channel_id=CALLER, playback_id=playback, failed=False),
                    )
                case c.StartTimer(name=name, seconds=seconds):
                    self._timer_or_key(at, name, seconds)
                case c.CancelTimer(name=name):
                    self.cancelled.add(name)
                case c.Record(name=name, max_seconds=seconds):
                    self._later(
                        at,
                        min(seconds, MESSAGE_SECONDS),
                        e.RecordingFinished(at=at, channel_id=CALLER, name=name, duration=None),
                    )
                case c.Originate(channel_id=leg):
                    self._maybe_pick_up(at, leg)
                case c.Hangup(channel_id=channel) if channel == CALLER:
                    self._later(at, 0.1, e.StasisEnd(at=at, channel_id=CALLER))
                case c.AddToBridge():
                    self._later(at, TALK_SECONDS, e.ChannelHangupRequest(at=at, channel_id=CALLER, cause=16))
                    self._later(at, TALK_SECONDS, e.StasisEnd(at=at, channel_id=CALLER))

    def _timer_or_key(self, at: datetime, name: str, seconds: float) -> None:
        waits_for_key = name.startswith(("menu-", "offer-"))
        if waits_for_key and self.keys:
            digit = self.keys.pop(0)
            self._later(at, 1.0, e.ChannelDtmfReceived(at=at, channel_id=CALLER, digit=digit))
        self._later(at, seconds, e.TimerFired(at=at, channel_id=CALLER, name=name))

    def _maybe_pick_up(self, at: datetime, leg: str) -> None:
        target = self.call.legs.get(leg, "")
        if target in self.situation.answering and not self.answered_once:
            self.answered_once = True
            channel = e.Channel(
                id=leg, name=f"PJSIP/{target}", state="Up", caller_number="", caller_name="", exten="", sip_call_id=""
            )
            self._later(
                at, ANSWER_AFTER_SECONDS, e.StasisStart(at=at, channel_id=leg, channel=channel, args=("leg", "sim"))
            )

    def _note(self, command: c.Command, at: datetime) -> None:
        seconds = (at - self.situation.when).total_seconds()
        match command:
            case c.CallStep(kind=kind, detail=detail):
                self.lines.append(Line(seconds, kind, detail))
            case c.Play(media=media):
                self.lines.append(Line(seconds, "plays", {"media": media}))
            case c.Originate(endpoint=endpoint):
                self.lines.append(Line(seconds, "rings", {"endpoint": endpoint}))
            case c.CallbackRequested(reason=reason, assign_to=who):
                self.lines.append(Line(seconds, "callback_task", {"reason": reason, "assigned_to": who}))
            case c.CallEnded(outcome=outcome):
                self.lines.append(Line(seconds, "ended", {"outcome": outcome}))


def _restamp(event: e.Event, when: datetime) -> e.Event:
    return replace(event, at=when)
