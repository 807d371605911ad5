"""Where facts from live calls go, off the event path: the fact writer (facts.py) puts them in
the database in order, surviving outages through the spool; the recording ingest (ingest.py)
puts recordings into storage. One database thread (database.py) serves both."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from pbx.actions import do_apply_facts
from pbx.ari.client import AriClient
from pbx.callflow import commands as c
from pbx.callflow.workers import SOLE, Worker

from .database import DatabaseThread
from .facts import ApplyFacts, FactWriter, retry_delay
from .ingest import RecordingIngest
from .offline import FactSpool


class CallStore:
    """`ari`: the client recordings are stored through. The Stasis app gives it one of its own
    (pbx.asterisk.background_client), so storing never waits on, nor delays, live calls'
    requests."""

    def __init__(
        self,
        ari: AriClient,
        *,
        spool: FactSpool | None = None,
        recordings_dir: Path | None = None,
        retry_delay: Callable[[int], float] = retry_delay,
        apply_facts: ApplyFacts = do_apply_facts,
    ) -> None:
        self.db = DatabaseThread()
        self.ingest = RecordingIngest(ari, self.db, recordings_dir, retry_delay)
        self.facts = FactWriter(
            self.db, spool or FactSpool(None), self.ingest.start, apply_facts=apply_facts, retry_delay=retry_delay
        )

    @property
    def waiting(self) -> int:
        return self.facts.waiting

    def submit(self, fact: c.Fact) -> None:
        """Queue a fact; never blocks, never touches the database."""
        self.facts.submit(fact)

    async def run(self) -> None:
        await self.facts.run()

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until queued facts are written and started ingests are done (for shutdown).

        With the database unreachable, waits only until every fact is in the spool (the next
        start writes them). Gives up after `timeout` seconds with an error in the log, so a
        shutdown never hangs."""
        deadline = asyncio.get_running_loop().time() + timeout
        await self.facts.drain(deadline)
        await self.ingest.drain(deadline)

    async def close_lost_calls(
        self, live_channel_ids: Callable[[], set[str]], at: datetime, worker: Worker = SOLE, timeout: float = 10.0
    ) -> int | None:
        return await self.facts.close_lost_calls(live_channel_ids, at, worker, timeout)

    async def settled(self, timeout: float = 10.0) -> bool:
        return await self.facts.settled(timeout)

    async def recover_recordings(self, after_reconnect: bool = True, worker: Worker = SOLE) -> int:
        return await self.ingest.recover_recordings(after_reconnect, worker)
