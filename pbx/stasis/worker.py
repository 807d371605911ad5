"""One call's task: its events in arrival order, its timers, the commands the core returns."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Protocol

from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow.call import Call


class Runtime(Protocol):
    """What a worker needs from the pump."""

    stopping: bool

    def record(self, call: Call, fact: c.Fact) -> None: ...

    async def execute(self, worker: CallWorker, command: c.Command) -> bool: ...

    async def answer_and_play(self, worker: CallWorker, answer: c.Answer, play: c.Play) -> bool: ...


def now() -> datetime:
    return datetime.now(UTC)


def _play_after(answer: c.Answer, commands: list[c.Command], index: int) -> c.Play | None:
    """When the next action after `answer` (facts between are no actions) plays to the
    channel it answers, the first words a caller hears: that play, to be sent with the answer."""
    following = next((command for command in commands[index + 1 :] if not isinstance(command, c.Fact)), None)
    if isinstance(following, c.Play) and following.channel_id == answer.channel_id:
        return following
    return None


class CallWorker:
    """Runs one call: takes its events in arrival order and executes what the core returns."""

    def __init__(self, call: Call, runtime: Runtime) -> None:
        self.call = call
        self.runtime = runtime
        self.queue: asyncio.Queue[e.Event] = asyncio.Queue()
        self.busy = False  # executing the commands of one event
        self.timers: dict[str, asyncio.TimerHandle] = {}

    def start_timer(self, name: str, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        self.timers[name] = loop.call_later(seconds, self._fire, name)

    def _fire(self, name: str) -> None:
        if self.timers.pop(name, None) is not None:
            self.feed(e.TimerFired(at=now(), channel_id=self.call.channel_id, name=name))

    def cancel_timer(self, name: str) -> None:
        handle = self.timers.pop(name, None)
        if handle is not None:
            handle.cancel()

    def cancel_all_timers(self) -> None:
        for handle in self.timers.values():
            handle.cancel()
        self.timers.clear()

    async def run(self) -> None:
        while not self.call.finished and not self.runtime.stopping:
            event = await self.queue.get()
            self.busy = True
            try:
                await self._run_step(event)
            finally:
                self.busy = False

    async def _run_step(self, event: e.Event) -> None:
        failed: set[str] = set()  # channels whose action failed in this step
        commands = self.call.receive(event)
        sent_ahead: c.Play | None = None  # a play that left with the answer before it
        for index, command in enumerate(commands):
            if isinstance(command, c.Fact):
                self.runtime.record(self.call, command)
            elif command is sent_ahead:
                continue
            elif command.channel_id in failed and not isinstance(command, c.Hangup | c.CancelTimer):
                continue  # after a failed action on a channel, the rest of this step for it makes no sense
            elif isinstance(command, c.Answer) and (play := _play_after(command, commands, index)) is not None:
                sent_ahead = play
                if not await self.runtime.answer_and_play(self, command, play):
                    failed.add(command.channel_id)
            elif not await self.runtime.execute(self, command):
                failed.add(command.channel_id)

    def feed(self, event: e.Event) -> None:
        self.queue.put_nowait(event)
