"""Where facts from live calls go: the database and recording storage, off the event path.

The pump calls `submit()`, which only enqueues. One writer task drains whatever has queued
up and applies it in one transaction in a worker thread, so a burst of calls costs a few
database round trips instead of one per event, and order is kept; while the database is away,
facts wait in a spool on disk. Recordings are read from Asterisk's recording directory when it
is shared with this host (`ASTERISK_RECORDING_DIR`), or else fetched over ARI (Asterisk on
another host); they are stored through Django's storage API, and deleted from Asterisk only
once stored.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from django.db import InterfaceError, OperationalError, close_old_connections, connections

from pbx.actions import do_apply_facts, do_close_lost_calls, find_orphan_recordings
from pbx.ari.client import AriClient, AriError, AriNotFound
from pbx.callflow import commands as c
from pbx.offline import FactSpool
from recordings.actions import RecordingRejected, do_ingest_recording

log = logging.getLogger(__name__)

INGEST_ATTEMPTS = 4
LOOK_FOR_FILE_ATTEMPTS = 8  # about 35 s for a finished recording's file to appear
MAX_RETRY_SECONDS = 10.0  # the longest pause between two tries of an unreachable database
FLUSH_CHUNK = 500  # spooled facts written per transaction once the database is back
# Recordings fetched from Asterisk at once: its HTTP server serves large files one by one, so
# hundreds of parallel downloads after a busy minute only time out. The rest wait their turn.
INGEST_AT_ONCE = 4
T = TypeVar("T")


class DatabaseThread:
    """All ORM work of the pump runs here, one call at a time, never on the event loop."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="centrala-db")

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        def call() -> T:
            close_old_connections()
            return func(*args)

        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def close(self) -> None:
        await self.run(connections.close_all)
        self._executor.shutdown(wait=True)


class CallStore:
    """Writes facts in order. While the database cannot take them they wait, in order, in a
    spool on disk (`FactSpool`), and new facts queue up behind them; the writer tries again
    with a growing pause (at most `MAX_RETRY_SECONDS`) until everything is written."""

    def __init__(
        self,
        ari: AriClient,
        *,
        spool: FactSpool | None = None,
        recordings_dir: Path | None = None,
        retry_delay: Callable[[int], float] = lambda n: min(0.5 * 2**n, MAX_RETRY_SECONDS),
    ) -> None:
        self.ari = ari
        self.db = DatabaseThread()
        self.spool = spool or FactSpool(None)
        self.recordings_dir = recordings_dir  # Asterisk's recording directory, when shared with us
        self._queue: asyncio.Queue[c.Fact] = asyncio.Queue()
        self._ingests: set[asyncio.Task[None]] = set()
        self._ingest_slots = asyncio.Semaphore(INGEST_AT_ONCE)
        self._ingesting: set[str] = set()  # names of recordings being stored
        self._retry_delay = retry_delay
        self._pending: list[c.Fact] = self.spool.load()  # waiting for the database, oldest first
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
                self._hold(facts)
            elif facts and not await self._write(facts):
                self._hold(facts)
                failures, next_try = 0, loop.time() + self._retry_delay(0)
            if self._pending and loop.time() >= next_try:
                if await self._flush():
                    failures = 0
                else:
                    failures += 1
                    next_try = loop.time() + self._retry_delay(failures)
            for fact in batch:
                if isinstance(fact, c.RecordingReady):
                    self._start_ingest(fact)
            if self._queue.empty() and not self._pending:
                self._idle.set()

    async def _next_batch(self, timeout: float | None) -> list[c.Fact]:
        """Everything queued, waiting for the first fact at most `timeout` seconds."""
        try:
            batch = [await asyncio.wait_for(self._queue.get(), timeout)]
        except TimeoutError:
            return []
        while not self._queue.empty():
            batch.append(self._queue.get_nowait())
        return batch

    async def _write(self, facts: list[c.Fact]) -> bool:
        try:
            await self.db.run(do_apply_facts, facts)
            return True
        except Exception as exc:  # the database is down or failing: the facts wait in the spool
            log.error("the database did not take %d call facts (%s); they wait in the spool", len(facts), exc)
            return False

    def _hold(self, facts: list[c.Fact]) -> None:
        if facts:
            self.spool.append(facts)
            self._pending.extend(facts)

    async def _flush(self) -> bool:
        """Write the spooled facts, oldest first; True when none is left."""
        self._flushing = True
        try:
            while self._pending:
                chunk = self._pending[:FLUSH_CHUNK]
                try:
                    await self.db.run(do_apply_facts, chunk)
                except Exception as exc:
                    log.warning("%d call facts still wait for the database: %s", len(self._pending), exc)
                    return False
                self._pending = self._pending[len(chunk) :]
                self.spool.replace(self._pending)
                log.info("wrote %d spooled call facts; %d left", len(chunk), len(self._pending))
            return True
        finally:
            self._flushing = False

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until queued facts are written and started ingests are done (for shutdown).

        With the database unreachable, waits only until every fact is in the spool (the next
        start writes them). Gives up after `timeout` seconds with an error in the log, so a
        shutdown never hangs."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
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
        if self._ingests:
            remaining = max(0.1, deadline - loop.time())
            _, pending = await asyncio.wait(self._ingests, timeout=remaining)
            if pending:
                log.error("shutting down with %d recordings not stored (they stay on Asterisk)", len(pending))

    async def close_lost_calls(
        self, live_channel_ids: Callable[[], set[str]], at: datetime, timeout: float = 10.0
    ) -> int | None:
        """Close calls in the history whose channels are gone; None (nothing done) while facts
        still wait to be written: a call that ended a moment ago, or during a database outage,
        must be closed with its real outcome, never as lost.

        `live_channel_ids` is asked once the facts are written, just before the database is:
        a call that began while they were being written is then followed by the app (or has
        ended, and its end is written), so it is never taken for lost. (Asked before the wait,
        as it was, under load every call that began during it was closed as "lost".)"""
        if not await self.settled(timeout):
            return None
        return await self.db.run(do_close_lost_calls, live_channel_ids(), at)

    async def settled(self, timeout: float = 10.0) -> bool:
        """Wait until every fact queued so far is written; False if `timeout` passes first."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return True
        except TimeoutError:
            log.warning("%d call facts not yet written after %.0f s", self.waiting, timeout)
            return False

    async def recover_recordings(self) -> int:
        """Store the recordings Asterisk finished while no app listened (or whose storing gave
        up), and delete from Asterisk those stored already whose deletion failed; returns how
        many it started storing."""
        orphans, done = await self.db.run(find_orphan_recordings, await self.ari.stored_recordings())
        orphans = [fact for fact in orphans if not await self.ari.recording_is_live(fact.name)]
        for fact in orphans:
            log.warning("recovering recording %s, finished while the app was away", fact.name)
            self._start_ingest(fact)
        for name in sorted(done - self._ingesting):
            try:
                await self.ari.delete_stored_recording(name)
                log.info("deleted recording %s from Asterisk (stored earlier)", name)
            except AriError as exc:
                log.info("recording %s is stored; deleting it from Asterisk failed again: %s", name, exc)
        return len(orphans)

    # --- recordings ------------------------------------------------------------------

    @asynccontextmanager
    async def _recording_file(self, fact: c.RecordingReady) -> AsyncIterator[tuple[Path, str]]:
        """The finished recording as a local file, and where it came from. AriNotFound while
        Asterisk does not have it (yet)."""
        if self.recordings_dir is not None:
            # Same host (or a shared volume): read Asterisk's file where it lies, never over
            # ARI: Asterisk's HTTP server serves files one at a time, and a download stuck on a
            # busy server holds up the calls' own requests behind it.
            shared = self.recordings_dir / f"{fact.name}.{fact.fmt}"
            if not shared.is_file():
                raise AriNotFound(f"{shared} is not there")
            yield shared, "from the shared directory"
            return
        with tempfile.TemporaryDirectory(prefix="centrala-rec-") as tmp:
            path = Path(tmp) / f"recording.{fact.fmt}"
            with path.open("wb") as out:
                async with self.ari.stored_recording_file(fact.name) as chunks:
                    async for chunk in chunks:
                        out.write(chunk)
            yield path, "over ARI"

    def _start_ingest(self, fact: c.RecordingReady) -> None:
        if fact.name in self._ingesting:
            return  # already on its way (the sweep found a recording the call handed over too)
        self._ingesting.add(fact.name)
        task = asyncio.ensure_future(self._ingest(fact))
        self._ingests.add(task)
        task.add_done_callback(self._ingests.discard)
        task.add_done_callback(lambda _: self._ingesting.discard(fact.name))

    async def _ingest(self, fact: c.RecordingReady) -> None:
        attempt = looked = 0
        while attempt < INGEST_ATTEMPTS:
            try:
                async with self._ingest_slots:
                    await self._ingest_once(fact)
                return
            except AriNotFound:
                # A bridge recording is closed a moment after the bridge goes, later under load:
                # look again for a while; the sweep stores it if it comes later still.
                looked += 1
                if looked == LOOK_FOR_FILE_ATTEMPTS:
                    log.error("recording %s is not on Asterisk (yet); left to the sweep", fact.name)
                    return
                await asyncio.sleep(self._retry_delay(looked - 1))
                continue
            except RecordingRejected as exc:
                log.error("recording %s kept on Asterisk: %s", fact.name, exc)
                return
            except (OperationalError, InterfaceError) as exc:
                # The sweep stores it once the database is back and its call is written.
                log.warning("recording %s stays on Asterisk while the database is unreachable: %s", fact.name, exc)
                return
            except Exception as exc:
                log.warning("storing recording %s failed (attempt %d): %s", fact.name, attempt + 1, exc)
                await asyncio.sleep(self._retry_delay(attempt))
            attempt += 1
        log.error("recording %s left on Asterisk after %d attempts", fact.name, INGEST_ATTEMPTS)

    async def _ingest_once(self, fact: c.RecordingReady) -> None:
        async with self._recording_file(fact) as (path, source):
            recording = await self.db.run(
                do_ingest_recording, fact.call_key, fact.name, fact.fmt, path, fact.kind, fact.purpose_id
            )
        log.info(
            "stored recording %s %s (%.1f s, %d bytes)",
            fact.name,
            source,
            recording.duration_seconds,
            recording.size_bytes,
        )
        try:
            await self.ari.delete_stored_recording(fact.name)
        except AriNotFound:
            pass
        except AriError as exc:
            log.warning("recording %s stored, but not deleted from Asterisk: %s", fact.name, exc)
