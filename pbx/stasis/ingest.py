"""Recordings Asterisk finished, into storage: read from the shared recording directory (same
host or volume) or fetched over ARI, stored through recordings.actions, deleted from Asterisk
only once stored. A few at a time, and those ready together stored together, in one
transaction; retried; what gives up is left to the sweep."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

from django.db import InterfaceError, OperationalError, connections

from pbx.actions import find_orphan_recordings
from pbx.ari.client import AriClient, AriError, AriNotFound
from pbx.audio.convert import BadAudio
from pbx.callflow import commands as c
from pbx.callflow.workers import SOLE, Worker
from pbx.prompts import audio_from_file, do_save_phone_prompt
from recordings.actions import Incoming, RecordingRejected, do_ingest_recordings
from recordings.models import Recording
from voicemail.actions import do_file_message, notify_new_message

from .database import DatabaseThread

log = logging.getLogger(__name__)

INGEST_ATTEMPTS = 4
LOOK_FOR_FILE_ATTEMPTS = 8  # about 35 s for a finished recording's file to appear
# Recordings stored at once, the rest wait their turn. Fetched from Asterisk: its HTTP server
# serves large files one by one, so hundreds of parallel downloads after a busy minute only
# time out. Read from the shared directory: it keeps a batch small (unbounded, a hundred came
# together while calls ended at 60 calls/s, in runs whose bridge joins timed out meanwhile).
INGEST_AT_ONCE = 4
# How long the first recording of a batch waits for others: calls end together under load, and
# a batch costs the database thread the same few statements as one recording.
GATHER_SECONDS = 0.05


class RecordingIngest:
    def __init__(
        self,
        ari: AriClient,
        db: DatabaseThread,
        recordings_dir: Path | None,
        retry_delay: Callable[[int], float],
    ) -> None:
        self.ari = ari
        self.db = db
        self.recordings_dir = recordings_dir  # Asterisk's recording directory, when shared with us
        self._retry_delay = retry_delay
        self.tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(INGEST_AT_ONCE)
        self._ingesting: set[str] = set()  # names of recordings being stored
        self._batch: list[tuple[Incoming, asyncio.Future[Recording]]] = []  # files ready, for the next batch
        self._storing: asyncio.Task[None] | None = None
        self._notices = ThreadPoolExecutor(max_workers=1, thread_name_prefix="centrala-notices")

    async def recover_recordings(self, after_reconnect: bool = True, worker: Worker = SOLE) -> int:
        """Store the recordings Asterisk finished while no app listened (or whose storing gave
        up), and delete from Asterisk those stored already whose deletion failed; returns how
        many it started storing. The log says which it was: right after a (re)connect, the app
        was away; in a periodic sweep it was not, and the file is one its call's storing left."""
        orphans, done = await self.db.run(find_orphan_recordings, await self.ari.stored_recordings(), worker)
        orphans = [fact for fact in orphans if not await self.ari.recording_is_live(fact.name)]
        for fact in orphans:
            if after_reconnect:
                log.warning("recovering recording %s, finished while the app was away", fact.name)
            else:
                log.info(
                    "storing recording %s, which its call left to the sweep (a late file, a failed try, "
                    "or a call taken back after a restart)",
                    fact.name,
                )
            self.start(fact)
        for name in sorted(done - self._ingesting):
            try:
                await self.ari.delete_stored_recording(name)
                log.info("deleted recording %s from Asterisk (stored earlier)", name)
            except AriError as exc:
                log.info("recording %s is stored; deleting it from Asterisk failed again: %s", name, exc)
        return len(orphans)

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

    def start(self, fact: c.RecordingReady) -> None:
        if fact.name in self._ingesting:
            return  # already on its way (the sweep found a recording the call handed over too)
        self._ingesting.add(fact.name)
        task = asyncio.ensure_future(self._ingest(fact))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        task.add_done_callback(lambda _: self._ingesting.discard(fact.name))

    async def _ingest(self, fact: c.RecordingReady) -> None:
        attempt = looked = 0
        while attempt < INGEST_ATTEMPTS:
            try:
                async with self._slots:
                    await self._ingest_once(fact)
                return
            except AriNotFound:
                # A conversation's recording is closed a moment after the call ends (its listener
                # goes with the caller's channel), later under load: look again for a while; the
                # sweep stores it if it comes later still. Nothing is lost, so not an error (at
                # 80 calls/s hundreds of such lines had filled the log's errors).
                looked += 1
                if looked == LOOK_FOR_FILE_ATTEMPTS:
                    log.warning("recording %s is not on Asterisk yet; the sweep will store it", fact.name)
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
        if fact.kind == "prompt":
            await self._keep_prompt(fact)
            return
        async with self._recording_file(fact) as (path, source):
            if fact.kind == "voicemail":  # into its box, with the box's purpose
                recording = await self.db.run(
                    do_file_message, fact.call_key, fact.name, fact.fmt, path, fact.mailbox_id
                )
            else:
                recording = await self._store(
                    Incoming(fact.call_key, fact.name, fact.fmt, path, fact.kind, fact.purpose_id)
                )
        if fact.kind == "voicemail" and fact.mailbox_id is not None:
            self._notify(str(recording.pk))
        log.info(
            "stored recording %s %s (%.1f s, %d bytes)",
            fact.name,
            source,
            recording.duration_seconds,
            recording.size_bytes,
        )
        await self._delete_from_asterisk(fact.name)

    async def _store(self, item: Incoming) -> Recording:
        """Store `item` with the others ready meanwhile (GATHER_SECONDS, or while the batch
        before is written); its own failure is raised here, the batch's everywhere in it."""
        future: asyncio.Future[Recording] = asyncio.get_running_loop().create_future()
        self._batch.append((item, future))
        if self._storing is None:
            self._storing = asyncio.create_task(self._store_batches(), name="store-recordings")
        return await future

    async def _store_batches(self) -> None:
        batch: list[tuple[Incoming, asyncio.Future[Recording]]] = []
        try:
            await asyncio.sleep(GATHER_SECONDS)
            while self._batch:
                batch, self._batch = self._batch, []
                try:
                    results = await self.db.run(do_ingest_recordings, [item for item, _ in batch])
                except Exception as exc:
                    results = [exc] * len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue  # its ingest was cancelled (shutdown)
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._storing = None
            for _, future in [*batch, *self._batch]:
                future.cancel()  # cancelled itself (shutdown): none of them waits for ever

    async def _keep_prompt(self, fact: c.RecordingReady) -> None:
        """A prompt recorded by phone and kept: converted (off the database thread) and saved;
        audio ffmpeg cannot use is logged and dropped, since nobody can record it again now."""
        async with self._recording_file(fact) as (path, source):
            try:
                audio = await asyncio.to_thread(audio_from_file, path)
            except BadAudio as exc:
                log.error("prompt recorded on %s (%s) could not be used: %s", fact.by, fact.name, exc)
                audio = None
        if audio is not None:
            prompt = await self.db.run(do_save_phone_prompt, audio, fact.prompt_id, fact.by, fact.at)
            log.info("prompt %r recorded on %s, %s (%.1f s)", prompt.name, fact.by, source, audio.seconds)
        await self._delete_from_asterisk(fact.name)

    async def _delete_from_asterisk(self, name: str) -> None:
        try:
            await self.ari.delete_stored_recording(name)
        except AriNotFound:
            pass
        except AriError as exc:
            log.warning("recording %s stored, but not deleted from Asterisk: %s", name, exc)

    def _notify(self, recording_id: str) -> None:
        """The box's owners are told in a thread of their own: a slow mail server holds up
        neither the calls nor the history's writes."""

        async def tell() -> None:
            await asyncio.get_running_loop().run_in_executor(self._notices, _notify, recording_id)

        task = asyncio.create_task(tell())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self, deadline: float) -> None:
        """Wait for the ingests under way until the loop's clock passes `deadline`."""
        if not self.tasks:
            return
        remaining = max(0.1, deadline - asyncio.get_running_loop().time())
        _, pending = await asyncio.wait(self.tasks, timeout=remaining)
        if pending:
            log.error("shutting down with %d recordings not stored (they stay on Asterisk)", len(pending))


def _notify(recording_id: str) -> None:
    """In the notices thread, which keeps no connection open between two messages."""
    try:
        notify_new_message(recording_id)
    except Exception:
        log.exception("could not tell the owners of the box about message %s", recording_id)
    finally:
        connections.close_all()
