"""The real-Asterisk tier: a private "test" instance in the sid chroot, SIPp as the carrier.

These tests never skip. If the sandbox is missing or Asterisk cannot start, every test here
fails with the reason (run `make test`, which provisions the sandbox first).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import time
from pathlib import Path

import pytest
from django.conf import settings

from compliance.models import ProcessingPurpose
from pbx.ari.stream import Backoff
from pbx.asterisk import app_connection, background_client
from pbx.asterisk_config import apply_config
from pbx.directory import load_directory, load_outbound_history
from pbx.extensions import do_create_extension
from pbx.models import Extension, Prompt, WeeklyDuty
from pbx.sandbox import SandboxError, sandbox
from pbx.stasis.app import StasisApp
from pbx.stasis.call_store import CallStore
from recordings.models import RecordingRule
from voicemail.lamp import lamp_states

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Asterisk:
    root: Path
    etc: Path

    @property
    def spool(self) -> Path:
        return self.etc.parent / "spool"


@pytest.fixture(scope="session")
def asterisk(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[Asterisk]:
    env = {
        **os.environ,
        "ARI_URL": settings.ARI_URL,
        "ARI_USER": settings.ARI_USER,
        "ARI_PASSWORD": settings.ARI_PASSWORD,
    }
    try:
        root = Path(sandbox("root"))
        if not (root / "usr" / "sbin" / "asterisk").exists():
            pytest.fail(f"no Asterisk sandbox at {root}: run `bin/asterisk-sandbox provision` (make test does)")
        etc = Path(sandbox("etc-dir", "test"))
        settings.ASTERISK_CHROOT = str(root)
        with django_db_blocker.unblock():  # type: ignore[attr-defined]
            apply_config(etc, reload=False)
        sandbox("stop", "test")
        sandbox("start", "test", env=env)
    except SandboxError as exc:
        pytest.fail(f"the Asterisk sandbox could not start: {exc}", pytrace=False)
    settings.ASTERISK_CONFIG_DIR = etc
    # The sounds library where the test instance reads it (inside the chroot).
    settings.CENTRALA_SOUNDS_DIR = etc.parent / "sounds"
    settings.ASTERISK_SOUNDS_DIR = "/srv/centrala/test/sounds"
    yield Asterisk(root=root, etc=etc)
    sandbox("stop", "test")


class StasisThread:
    """The real Stasis pump, as `manage.py stasis` builds it, on its own loop in a thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.app: StasisApp | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.loop.run_until_complete(self._main())
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())

    async def _main(self) -> None:
        ari, stream = app_connection(backoff=Backoff(initial=0.05, maximum=0.5))
        background = background_client()  # recordings are stored through it, as in manage.py stasis
        store = CallStore(background, recordings_dir=settings.ASTERISK_RECORDING_DIR, retry_delay=lambda n: 0.2)
        self.app = StasisApp(
            settings.ARI_APP,
            ari,
            stream,
            store,
            lambda: store.db.run(load_directory),
            load_history=lambda: store.db.run(load_outbound_history),
            sweep_seconds=settings.STASIS_SWEEP_SECONDS,
            load_lamps=lambda: store.db.run(lamp_states),
        )
        watcher = asyncio.create_task(self._signal_ready())
        try:
            await self.app.run()
        finally:
            watcher.cancel()
            await store.db.close()
            await ari.aclose()
            await background.aclose()

    async def _signal_ready(self) -> None:
        while self.app is None:
            await asyncio.sleep(0.01)
        await self.app.reconciled.wait()
        self.ready.set()

    def start(self) -> None:
        self.thread.start()
        if not self.ready.wait(15):
            raise AssertionError("the Stasis app did not connect to ARI within 15 s")

    def stop(self) -> None:
        assert self.app is not None
        asyncio.run_coroutine_threadsafe(self.app.stop(), self.loop).result(30)
        self.thread.join(30)
        if not self.thread.is_alive():
            self.loop.close()  # its self-pipe (a pair of Unix sockets) leaked otherwise


@contextmanager
def running_stasis() -> Iterator[StasisThread]:
    pump = StasisThread()
    pump.start()
    try:
        yield pump
    finally:
        pump.stop()


# --- people and a recording rule many end-to-end tests share ------------------------------------


@pytest.fixture
def staff(asterisk: Asterisk) -> dict[str, tuple[Extension, str]]:
    made = {n: do_create_extension(n, name) for n, name in [("101", "Anna"), ("102", "Piotr")]}
    Extension.objects.filter(number="101").update(mobile="+48601000101")
    Extension.objects.filter(number="102").update(mobile="+48601000102")
    for day in range(7):
        WeeklyDuty.objects.create(extension=made["102"][0], weekday=day, starts=time(0), ends=time(23, 59, 59))
    apply_config(asterisk.etc, reload=True)
    return made


@pytest.fixture
def rule() -> RecordingRule:
    announcement = Prompt.objects.create(name="Nagrywamy", sound="conf-now-recording")
    purpose = ProcessingPurpose.objects.create(
        name="Jakość obsługi",
        legal_basis="6.1.f",
        retention_days=30,
        announcement=announcement,
        notice_text="Rozmowy są nagrywane w celu kontroli jakości obsługi.",
    )
    return RecordingRule.objects.create(
        name="Przychodzące", direction="inbound", mode="always", purpose=purpose, objection_key="1"
    )
