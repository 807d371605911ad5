"""The building blocks of a staff phone's own services (services.py, phone_forwarding.py): the
PIN entry (three tries), the last words before Centrala hangs up, and a service behind the PIN.
Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from . import commands as c
from . import events as e
from .pin import pin_matches
from .scenario import Person, ServicePrompts
from .steps import Step
from .vocabulary import Outcome, StepKind

if TYPE_CHECKING:
    from .call import Call

PIN_TRIES = 3
# Wrong PINs an extension may type in PIN_LOCK_WINDOW before its services shut until they age
# out (counted by the Stasis app across calls: three per call would let a script go on).
PIN_LOCK_AFTER = 10
PIN_LOCK_WINDOW = timedelta(hours=1)
PIN_MAX_DIGITS = 8
PIN_FIRST_KEY_SECONDS = 12.0  # from the question, which takes a few seconds to say
PIN_NEXT_KEY_SECONDS = 5.0


@dataclass
class PinEntry:
    """Collects the PIN: digits until # (or the eighth digit), or a pause; three tries."""

    person: Person
    prompts: ServicePrompts
    tries: int = 0
    digits: str = ""
    playback: str = ""
    timer: str = ""

    def ask(self, call: Call, wrong: bool = False) -> list[c.Command]:
        self.digits = ""
        play, self.playback = call.play(f"{self.prompts.pin_wrong},{self.prompts.pin}" if wrong else self.prompts.pin)
        return [play, *self._wait(call, PIN_FIRST_KEY_SECONDS)]

    def _wait(self, call: Call, seconds: float) -> list[c.Command]:
        commands = self.cancel(call)
        start, self.timer = call.timer("pin", seconds)
        return [*commands, start]

    def cancel(self, call: Call) -> list[c.Command]:
        timer, self.timer = self.timer, ""
        return [c.CancelTimer(call.channel_id, timer)] if timer else []

    def on_event(self, call: Call, event: e.Event) -> tuple[str, list[c.Command]]:
        """("", commands) while the PIN is typed; then ("ok" | "wrong" | "gave_up", commands)."""
        if isinstance(event, e.PlaybackFinished) and event.playback_id == self.playback:
            self.playback = ""
        elif isinstance(event, e.ChannelDtmfReceived):
            stop = [c.StopPlayback(call.channel_id, self.playback)] if self.playback else []
            self.playback = ""
            if event.digit.isdigit():
                self.digits += event.digit
            if event.digit == "#" or len(self.digits) >= PIN_MAX_DIGITS:
                verdict, checked = self._check(call, event.at)
                return verdict, [*stop, *checked]
            return "", [*stop, *self._wait(call, PIN_NEXT_KEY_SECONDS)]
        elif isinstance(event, e.TimerFired) and event.name == self.timer:
            self.timer = ""
            return self._check(call, event.at)
        return "", []

    def _check(self, call: Call, at: datetime) -> tuple[str, list[c.Command]]:
        cancel = self.cancel(call)
        if pin_matches(self.digits, self.person.pin):
            return "ok", [*cancel, call.fact(at, StepKind.PIN_ACCEPTED, extension=self.person.extension)]
        self.tries += 1
        wrong = call.fact(at, StepKind.PIN_WRONG, extension=self.person.extension, tries=self.tries)
        if self.tries >= PIN_TRIES:
            return "gave_up", [*cancel, wrong]
        return "wrong", [*cancel, wrong, *self.ask(call, wrong=True)]


@dataclass
class ServiceStep(Step):
    """What the services share: the last words before Centrala hangs up."""

    prompts: ServicePrompts
    farewell_playback: str = ""

    def farewell(self, call: Call, media: str) -> list[c.Command]:
        play, self.farewell_playback = call.play(media)
        return [play]

    def farewell_heard(self, event: e.Event) -> bool:
        return (
            isinstance(event, e.PlaybackFinished)
            and bool(self.farewell_playback)
            and event.playback_id == self.farewell_playback
        )


@dataclass
class GuardedService(ServiceStep):
    """A service behind the PIN: asks for it; once it is right, `unlocked` and
    `on_unlocked_event` take over. Three wrong tries and the call ends."""

    pin: PinEntry | None = None
    phase: str = "pin"  # "pin" until the PIN is right; then the service's own phases

    def start(self, call: Call, at: datetime) -> list[c.Command]:
        assert self.pin is not None
        return self.pin.ask(call)

    def on_event(self, call: Call, event: e.Event) -> list[c.Command]:
        if self.farewell_heard(event):
            return call.hang_up(event.at)
        if self.farewell_playback:
            return []
        if self.phase != "pin":
            return self.on_unlocked_event(call, event)
        assert self.pin is not None
        verdict, commands = self.pin.on_event(call, event)
        if verdict == "ok":
            return [*commands, *self.unlocked(call, event.at)]
        if verdict == "gave_up":
            return [*commands, *self.farewell(call, f"{self.prompts.pin_wrong},{self.prompts.goodbye}")]
        return commands

    def unlocked(self, call: Call, at: datetime) -> list[c.Command]:
        """The PIN was right: move `phase` on from "pin" and begin."""
        raise NotImplementedError

    def on_unlocked_event(self, call: Call, event: e.Event) -> list[c.Command]:
        raise NotImplementedError

    def stop(self, call: Call) -> list[c.Command]:
        return self.pin.cancel(call) if self.pin else []


@dataclass
class LastWords(ServiceStep):
    """One sentence, then Centrala hangs up: why a service is refused, or that a switch
    (do-not-disturb) is done."""

    media: str = ""
    refused: bool = True

    def start(self, call: Call, at: datetime) -> list[c.Command]:
        call.ending.outcome = Outcome.REJECTED if self.refused else Outcome.ANSWERED
        return self.farewell(call, self.media)

    def on_event(self, call: Call, event: e.Event) -> list[c.Command]:
        if not self.farewell_heard(event):
            return []
        return call.hang_up(event.at, reason="rejected" if self.refused else "normal")


__all__ = ["PIN_LOCK_AFTER", "PIN_TRIES", "GuardedService", "LastWords", "PinEntry", "ServiceStep"]
