"""A caller waiting in a queue with hold music: every so often the music pauses and they hear
where they are in the queue ("your call is second in the queue"), then the music goes on."""

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
    timer: str = ""
    playback: str = ""  # an announcement playing (the music is paused)

    def start(self, call: Call) -> list[c.Command]:
        start, self.timer = call.timer("announce", self.every)
        return [start]

    def on_event(self, call: Call, event: e.Event) -> list[c.Command] | None:
        """The commands for `event` if it is the announcements' own, else None."""
        if isinstance(event, e.TimerFired) and event.name == self.timer and self.timer:
            self.timer = ""
            place = max(1, call.queue_position(self.queue))
            play, self.playback = call.play(self.prompts[min(place, len(self.prompts)) - 1])
            return [c.StopMoh(call.channel_id), play, call.fact(event.at, StepKind.QUEUE_PLACE, place=place)]
        if isinstance(event, e.PlaybackFinished) and event.playback_id == self.playback and self.playback:
            self.playback = ""
            return [c.StartMoh(call.channel_id), *self.start(call)]
        return None

    @property
    def speaking(self) -> bool:
        return bool(self.playback)

    def stop(self, call: Call) -> list[c.Command]:
        """Leaving the queue: no more announcements; one playing stops."""
        commands: list[c.Command] = [c.CancelTimer(call.channel_id, self.timer)] if self.timer else []
        if self.playback:
            commands.append(c.StopPlayback(call.channel_id, self.playback))
        self.timer = self.playback = ""
        return commands
