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


def now() -> datetime:
    return datetime.now(UTC)


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
        for command in self.call.receive(event):
            if isinstance(command, c.Fact):
                self.runtime.record(self.call, command)
            elif (command.channel_id not in failed or isinstance(command, c.Hangup | c.CancelTimer)) and not (
                await self.runtime.execute(self, command)
            ):
                # after a failed action on a channel, the rest of this step for it makes no sense
                failed.add(command.channel_id)

    def feed(self, event: e.Event) -> None:
        self.queue.put_nowait(event)
