"""Facts from live calls into the database, in order, off the event path.

The pump calls `submit()`, which only enqueues. One writer task drains whatever has queued
up and applies it in one transaction in the database thread, so a burst of calls costs a few
database round trips instead of one per event; while the database is away, facts wait in a
spool on disk (offline.FactSpool), written there in a worker thread (fsync is slow), and new
facts queue up behind them until everything is written."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from pbx.actions import do_apply_facts, do_close_lost_calls
from pbx.callflow import commands as c
from pbx.callflow.workers import Worker

from .database import DatabaseThread
from .offline import FactSpool

log = logging.getLogger(__name__)

MAX_RETRY_SECONDS = 10.0  # the longest pause between two tries of an unreachable database
FLUSH_CHUNK = 500  # spooled facts written per transaction once the database is back
# How long the writer lets facts gather after the first of a batch: at 100 calls a second a
# batch then holds several calls, written in the same few statements as one (pbx/call_rows.py),
# where written as they came nearly every call paid for a transaction of its own. Nothing waits
# on the history that closely: a recording is stored once its call's facts are written.
GATHER_SECONDS = 0.05
ApplyFacts = Callable[[list[c.Fact]], object]
RecordingHandler = Callable[[c.RecordingReady], None]


def retry_delay(attempt: int) -> float:
    return min(0.5 * 2**attempt, MAX_RETRY_SECONDS)


class FactWriter:
    """Writes facts in order. While the database cannot take them they wait, in order, in the
    spool, and new facts queue up behind them; the writer tries again with a growing pause
    (at most `MAX_RETRY_SECONDS`) until everything is written. A RecordingReady fact is handed
    to `on_recording` once the facts before it (its call's) are written."""

    def __init__(
        self,
        db: DatabaseThread,
        spool: FactSpool,
        on_recording: RecordingHandler,
        *,
        apply_facts: ApplyFacts = do_apply_facts,
        retry_delay: Callable[[int], float] = retry_delay,
    ) -> None:
        self.db = db
        self.spool = spool
        self._on_recording = on_recording
        self._apply_facts = apply_facts
        self._retry_delay = retry_delay
        self._queue: asyncio.Queue[c.Fact] = asyncio.Queue()
        self._pending: list[c.Fact] = spool.load()  # waiting for the database, oldest first
        self._flushing = False
        self._idle = asyncio.Event()
        if not self._pending:
            self._idle.set()

    @property
    def waiting(self) -> int:
        """Facts not yet in the database: spooled ones and queued ones."""
        return len(self._pending) + self._queue.qsize()

    def submit(self, fact: c.Fact) -> None:
        """Queue a fact; never blocks, never touches the database."""
        self._idle.clear()
        self._queue.put_nowait(fact)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        failures, next_try = 0, loop.time()
        while True:
            batch = await self._next_batch(max(0.0, next_try - loop.time()) if self._pending else None)
            facts = [fact for fact in batch if not isinstance(fact, c.RecordingReady)]
            if self._pending:
                await self._hold(facts)
            elif facts and not await self._write(facts):
                await self._hold(facts)
                failures, next_try = 0, loop.time() + self._retry_delay(0)
            if self._pending and loop.time() >= next_try:
                if await self._flush():
                    failures = 0
                else:
                    failures += 1
                    next_try = loop.time() + self._retry_delay(failures)
            for fact in batch:
                if isinstance(fact, c.RecordingReady):
                    self._on_recording(fact)
            if self._queue.empty() and not self._pending:
                self._idle.set()

    async def _next_batch(self, timeout: float | None) -> list[c.Fact]:
        """Everything queued, waiting for the first fact at most `timeout` seconds, then for
        more to gather (GATHER_SECONDS) unless spooled facts wait."""
        try:
            batch = [await asyncio.wait_for(self._queue.get(), timeout)]
        except TimeoutError:
            return []
        if not self._pending:
            await asyncio.sleep(GATHER_SECONDS)
        while not self._queue.empty():
            batch.append(self._queue.get_nowait())
        return batch

    async def _write(self, facts: list[c.Fact]) -> bool:
        try:
            await self.db.run(self._apply_facts, facts)
            return True
        except Exception as exc:  # the database is down or failing: the facts wait in the spool
            log.error("the database did not take %d call facts (%s); they wait in the spool", len(facts), exc)
            return False

    async def _hold(self, facts: list[c.Fact]) -> None:
        """Into the spool (its fsync in a worker thread, off the event loop), then in memory."""
        if facts:
            await asyncio.to_thread(self.spool.append, facts)
            self._pending.extend(facts)

    async def _flush(self) -> bool:
        """Write the spooled facts, oldest first; True when none is left."""
        self._flushing = True
        try:
            while self._pending:
                chunk = self._pending[:FLUSH_CHUNK]
                try:
                    await self.db.run(self._apply_facts, chunk)
                except Exception as exc:
                    log.warning("%d call facts still wait for the database: %s", len(self._pending), exc)
                    return False
                self._pending = self._pending[len(chunk) :]
                await asyncio.to_thread(self.spool.replace, list(self._pending))
                log.info("wrote %d spooled call facts; %d left", len(chunk), len(self._pending))
            return True
        finally:
            self._flushing = False

    async def drain(self, deadline: float) -> None:
        """Wait until queued facts are written, or until every fact is in the spool while the
        database is unreachable (the next start writes them), or until the loop's clock passes
        `deadline`."""
        loop = asyncio.get_running_loop()
        while not self._idle.is_set() and loop.time() < deadline:
            if self._pending and self._queue.empty() and not self._flushing:
                log.error(
                    "stopping with %d call facts kept in %s for the next start",
                    len(self._pending),
                    self.spool.path or "memory (no spool configured: they are lost)",
                )
                break
            await asyncio.sleep(0.05)
        if not self._queue.empty():
            log.error("shutting down with %d call facts not written", self._queue.qsize())

    async def close_lost_calls(
        self, live_channel_ids: Callable[[], set[str]], at: datetime, worker: Worker, timeout: float = 10.0
    ) -> int | None:
        """Close calls in the history whose channels are gone; None (nothing done) while facts
        still wait to be written: a call that ended a moment ago, or during a database outage,
        must be closed with its real outcome, never as lost.

        `live_channel_ids` is asked once the facts are written, just before the database is:
        a call that began while they were being written is then followed by the app (or has
        ended, and its end is written), so it is never taken for lost. (Asked before the wait,
        as it was, under load every call that began during it was closed as "lost".)

        A fact submitted between the wait's end and that question (a call ended, its channel no
        longer followed) sends it back to waiting: judged then, the call would be closed as lost
        and its real end, written after, be dropped."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            if not await self.settled(max(0.0, deadline - asyncio.get_running_loop().time())):
                return None
            live = live_channel_ids()
            if self._idle.is_set():
                return await self.db.run(do_close_lost_calls, live, at, worker)

    async def settled(self, timeout: float = 10.0) -> bool:
        """Wait until every fact queued so far is written; False if `timeout` passes first."""
        if self._idle.is_set():
            return True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return True
        except TimeoutError:
            log.warning("%d call facts not yet written after %.0f s", self.waiting, timeout)
            return False
