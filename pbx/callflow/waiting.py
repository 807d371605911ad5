"""A caller waiting in a queue with hold music: every so often the music pauses and they hear
where they are in the queue ("your call is second in the queue"), then the music goes on. Where
the queue offers it, the caller may press a key instead of waiting on: the wait ends, they hear
that they will be called back, and a callback task is made."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import commands as c
from . import events as e
from .vocabulary import StepKind

if TYPE_CHECKING:
    from .call import Call


@dataclass
class Waiting:
    queue: str
    every: int  # seconds between two announcements
    prompts: tuple[str, ...]  # "first in the queue", "second", ...; the last one for any place after
    callback_key: str = ""  # pressed while waiting: call me back instead ("" : not offered)
    offer: str = ""  # played after the place when a callback is offered ("press 1 ...")
    confirmation: str = "sound:auth-thankyou"
    music_class: str = ""  # the music the announcements interrupt
    timer: str = ""
    playback: str = ""  # an announcement playing (the music is paused)
    confirming: str = ""  # "we will call you back" playing; the call ends after it

    def start(self, call: Call) -> list[c.Command]:
        start, self.timer = call.timer("announce", self.every)
        return [start]

    def wants_callback(self, event: e.Event) -> bool:
        return bool(
            self.callback_key
            and not self.confirming
            and isinstance(event, e.ChannelDtmfReceived)
            and event.digit == self.callback_key
        )

    def confirm_callback(self, call: Call, event: e.Event) -> list[c.Command]:
        """The caller chose a callback: the task, and what they hear before the call ends (the
        ringing step has stopped its legs and music already)."""
        play, self.confirming = call.play(self.confirmation)
        requested = call.fact(event.at, StepKind.CALLBACK_INSTEAD, queue=self.queue)
        return [requested, call.callback_fact(event.at, "requested"), play]

    def confirmation_heard(self, event: e.Event) -> bool:
        """True (once) when the caller has heard that they will be called back."""
        if isinstance(event, e.PlaybackFinished) and self.confirming and event.playback_id == self.confirming:
            self.confirming = ""
            return True
        return False

    def on_event(self, call: Call, event: e.Event) -> list[c.Command] | None:
        """The commands for `event` if it is the announcements' own, else None."""
        if isinstance(event, e.TimerFired) and event.name == self.timer and self.timer:
            self.timer = ""
            place = max(1, call.queue_position(self.queue))
            said = self.prompts[min(place, len(self.prompts)) - 1]
            play, self.playback = call.play(f"{said},{self.offer}" if self.callback_key and self.offer else said)
            return [c.StopMoh(call.channel_id), play, call.fact(event.at, StepKind.QUEUE_PLACE, place=place)]
        if isinstance(event, e.PlaybackFinished) and event.playback_id == self.playback and self.playback:
            self.playback = ""
            return [c.StartMoh(call.channel_id, moh_class=self.music_class), *self.start(call)]
        return None

    @property
    def speaking(self) -> bool:
        return bool(self.playback)

    @property
    def over(self) -> bool:
        """The caller chose a callback: they wait for nobody any more."""
        return bool(self.confirming)

    def stop(self, call: Call) -> list[c.Command]:
        """Leaving the queue: no more announcements; one playing stops."""
        commands: list[c.Command] = [c.CancelTimer(call.channel_id, self.timer)] if self.timer else []
        for playing in (self.playback, self.confirming):
            if playing:
                commands.append(c.StopPlayback(call.channel_id, playing))
        self.timer = self.playback = ""
        return commands
