"""The long-running Stasis application: `python manage.py stasis`.

With STASIS_WORKERS above 1 it runs pbx.supervisor over one `manage.py stasis --worker <n>`
per worker (each started again if it exits, all stopped by SIGTERM); `--worker` runs one."""

import asyncio
import contextlib
import ctypes
import gc
import logging
import os
import shlex
import signal
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import InterfaceError, OperationalError

from pbx.ari.stream import EventStream
from pbx.asterisk import app_connection, app_name, background_client
from pbx.callflow.scenario import Directory
from pbx.callflow.workers import Worker
from pbx.directory import load_directory, load_outbound_history
from pbx.stasis.app import StasisApp
from pbx.stasis.call_store import CallStore
from pbx.stasis.health import REPORT_SECONDS, health_file, worker_spool, write_report
from pbx.stasis.offline import DirectorySnapshot, FactSpool
from voicemail.lamp import lamp_states

log = logging.getLogger("pbx.stasis")


class Command(BaseCommand):
    help = (
        "Run Centrala's Stasis app: connect to ARI and handle every call. Stops cleanly on SIGTERM. "
        "With STASIS_WORKERS above 1, runs that many workers."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--worker",
            type=int,
            help="run only this worker (1 to STASIS_WORKERS); without it, all of them",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        number = options["worker"]
        workers = settings.STASIS_WORKERS
        if number is not None and not 1 <= number <= workers:
            raise CommandError(
                f"--worker {number}: there are {workers} workers (STASIS_WORKERS), numbered 1 to {workers}"
            )
        if not settings.ARI_PASSWORD:
            raise CommandError("ARI_PASSWORD is not set; cannot connect to Asterisk")
        shared = settings.ASTERISK_RECORDING_DIR
        if shared is not None and not shared.is_dir():
            # Every recording would wait there in vain: say so now, not one call at a time.
            raise CommandError(
                f"ASTERISK_RECORDING_DIR={shared} is not a directory here. Point it at Asterisk's "
                "recording directory as this host sees it (astspooldir/recording), or leave it empty "
                "to download recordings over ARI."
            )
        if number is None and workers > 1:
            run_all_workers(workers)
        settle_startup_objects()
        asyncio.run(serve(Worker(number or 1, workers)))


def settle_startup_objects() -> None:
    """What starting loaded (Django, the models, the app's code), kept for the process's life:
    out of the garbage collector's sight, so a full collection under load, which stops every
    call's events meanwhile, walks only what calls create (its longest pause at 40 full calls
    a second: 45 ms against 137, docs/benchmark.md)."""
    gc.collect()
    gc.freeze()


def run_all_workers(workers: int) -> NoReturn:
    """This process becomes pbx.supervisor over one `manage.py stasis --worker <n>` each, so
    SIGTERM (compose, make run) reaches the supervisor, which stops them all."""
    manage = Path(settings.BASE_DIR) / "manage.py"
    children = [
        f"stasis-{n}={shlex.join([sys.executable, str(manage), 'stasis', '--worker', str(n)])}"
        for n in range(1, workers + 1)
    ]
    os.execv(sys.executable, [sys.executable, "-m", "pbx.supervisor", *children])


class MemoryTrace:
    """For finding what grows (bench/soak.py --trace): tracemalloc from the start, and on each
    SIGUSR1 the allocation sites that grew most since the first SIGUSR1, in the log. Off
    unless STASIS_TRACE_MEMORY (frames kept per allocation) is set: it costs CPU and memory."""

    def __init__(self, frames: int) -> None:
        tracemalloc.start(frames)
        self.first: tracemalloc.Snapshot | None = None

    def report(self) -> None:
        snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        if self.first is None:
            self.first = snapshot
            log.warning("memory trace: baseline taken (%.1f MB traced)", tracemalloc.get_traced_memory()[0] / 1e6)
            return
        top = snapshot.compare_to(self.first, "traceback")[:12]
        lines = [f"memory trace: {tracemalloc.get_traced_memory()[0] / 1e6:.1f} MB traced; grew most since baseline:"]
        for stat in top:
            lines.append(f"  {stat.size_diff / 1e3:+.0f} kB in {stat.count_diff:+d} blocks")
            lines += [f"      {frame.filename}:{frame.lineno}" for frame in stat.traceback[-6:]]
        log.warning("\n".join(lines))


async def serve(worker: Worker) -> None:
    ari, stream = app_connection(worker=worker.number)
    background = background_client()
    spool = worker_spool(settings.STASIS_SPOOL_DIR, worker.number)
    store = CallStore(
        background,
        spool=FactSpool(spool / "call-facts.jsonl"),
        recordings_dir=settings.ASTERISK_RECORDING_DIR,
    )
    snapshot = DirectorySnapshot(spool / "directory.json")
    app = StasisApp(
        app_name(worker.number),
        ari,
        stream,
        store,
        lambda: store.db.run(load_or_saved_directory, snapshot),
        load_history=lambda: store.db.run(load_outbound_history),
        sweep_seconds=settings.STASIS_SWEEP_SECONDS,
        load_lamps=lambda: store.db.run(lamp_states),
        worker=worker,
        first_app=app_name(1),
    )
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    if settings.STASIS_TRACE_MEMORY:
        loop.add_signal_handler(signal.SIGUSR1, MemoryTrace(settings.STASIS_TRACE_MEMORY).report)
    runner = asyncio.create_task(app.run())
    health = health_file(spool)
    reporter = asyncio.create_task(report_health(stream, health, app))
    log.info("Stasis app %r serving calls from %s", app.app_name, settings.ARI_URL)
    await asyncio.wait([runner, asyncio.create_task(stopping.wait())], return_when=asyncio.FIRST_COMPLETED)
    log.info("stopping: finishing call steps in progress and writing the call history")
    await app.stop()
    runner.cancel()
    reporter.cancel()
    with contextlib.suppress(OSError):
        write_report(health, connected=False)
    await store.db.close()
    await ari.aclose()
    await background.aclose()
    if runner.done() and not runner.cancelled() and (failure := runner.exception()) is not None:
        # e.g. no database and no saved configuration at the first start: exit non-zero so
        # the supervisor restarts it; the dialplan's fallback answers calls meanwhile
        raise CommandError(f"the Stasis app could not run: {failure}") from failure
    log.info("stopped")


TRIM_SECONDS = 60.0


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None elsewhere (musl, macOS)."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


async def report_health(stream: EventStream, path: Path, app: StasisApp) -> None:
    """Every second, whether the event stream is connected (`manage.py healthcheck stasis`),
    and what the app holds (bench/soak.py watches these stay flat)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # The C allocator keeps memory that calls freed (buffers of requests, recordings, database
    # rows) for later instead of handing it back, so the resident size creeps up for hours
    # while Python holds no more (docs/benchmark.md, "Soak"): once a minute it is handed back.
    trim, last_trim = _malloc_trim(), time.monotonic()
    while True:
        if trim is not None and time.monotonic() - last_trim >= TRIM_SECONDS:
            trim(0)
            last_trim = time.monotonic()
        try:
            write_report(
                path,
                stream.connected,
                calls=len(app.routes.calls()),
                tasks=len(asyncio.all_tasks()),
                facts_waiting=app.store.waiting,
                spare_sockets_connected=sum(spare.connected for spare in stream.companions),
                python_blocks=sys.getallocatedblocks(),  # Python's small objects: flat unless a leak
                # every Python allocation, large ones too, while tracing (bench/soak.py --trace)
                traced_kb=tracemalloc.get_traced_memory()[0] // 1024 if tracemalloc.is_tracing() else 0,
            )
        except OSError as exc:
            log.warning("could not write the health report %s: %s", path, exc)
        await asyncio.sleep(REPORT_SECONDS)


def load_or_saved_directory(snapshot: DirectorySnapshot) -> Directory:
    """The configuration from the database, saved for later; while the database cannot be
    reached, the one saved last (so an app started during an outage still serves calls)."""
    try:
        directory = load_directory()
    except (OperationalError, InterfaceError) as exc:
        saved = snapshot.load()
        if saved is None:
            raise
        log.warning(
            "the database is unreachable (%s); serving calls with the configuration saved at %s",
            exc,
            snapshot.saved_at(),
        )
        return saved
    snapshot.save(directory)
    return directory
