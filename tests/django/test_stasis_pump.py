"""The Stasis pump with a fake event source and ARI behind httpx.MockTransport: calls are
isolated from each other, failures go back to their call, reconnects reconcile."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from pbx.ari.client import AriClient
from pbx.callflow import events as e
from pbx.callflow.scenario import Announcement, Directory, NumberPlan, Person, RingExtension
from pbx.callflow.vocabulary import StepKind
from pbx.models import Call
from pbx.stasis.app import StasisApp
from pbx.stasis.call_store import CallStore

from ..callflow.fixtures import OFFICE

pytestmark = pytest.mark.django_db(transaction=True)


class FakeStream:
    """Stands in for the websocket: the test dispatches events itself."""

    def __init__(self) -> None:
        self.stopped = asyncio.Event()

    async def run(self, on_event: Callable[[e.Event], None], on_connected: Callable[[], Awaitable[None]]) -> None:
        await on_connected()
        await self.stopped.wait()

    async def stop(self) -> None:
        self.stopped.set()


class FakeAsterisk:
    """Answers ARI requests; `slow` channels take a second to answer; logs what was asked."""

    def __init__(
        self,
        live_channels: list[str],
        missing: frozenset[str] | set[str] = frozenset(),
        endpoints: list[dict[str, Any]] | None = None,
    ) -> None:
        self.live = live_channels
        self.missing = missing
        self.endpoints = endpoints or []
        self.stored: list[dict] = []  # finished recordings Asterisk keeps
        self.recording_now: set[str] | None = None  # None: every recording counts as still recording
        self.log: list[tuple[float, str, str]] = []  # successful call actions, with time
        self.requests: list[str] = []  # every call action asked for

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/ari/")
        if path == "applications/centrala":
            return httpx.Response(200, json={"name": "centrala", "channel_ids": self.live})
        if path.endswith("eventFilter") or path.endswith("/subscription"):
            return httpx.Response(200, json={})
        if path == "endpoints/PJSIP":
            return httpx.Response(200, json=self.endpoints)
        if path == "recordings/stored":
            return httpx.Response(200, json=self.stored)
        if path.startswith("recordings/live/") and self.recording_now is not None:
            name = path.removeprefix("recordings/live/")
            return httpx.Response(200, json={}) if name in self.recording_now else httpx.Response(404, json={})
        if path == "bridges" and request.method == "GET":
            return httpx.Response(200, json=[])
        if path == "channels" and request.method == "GET":  # no creation time: none is taken back
            return httpx.Response(200, json=[{"id": ch, "name": "PJSIP/x"} for ch in self.live])
        if path.startswith("channels/slow") and path.endswith("/answer"):
            await asyncio.sleep(1.0)
        parts = path.split("/")
        channel = parts[1] if len(parts) > 1 else request.url.params.get("channelId", "")
        self.requests.append(f"{request.method} {path}")
        if channel in self.missing:
            return httpx.Response(404, json={"message": "Channel not found"})
        self.log.append((asyncio.get_running_loop().time(), request.method, path))
        return httpx.Response(204)

    def first(self, method: str, path: str) -> float:
        return next(t for t, m, p in self.log if (m, p) == (method, path))


def now() -> datetime:
    # The pump stamps failures with the real clock, so events fed here use it too.
    return datetime.now(UTC)


async def until(condition: Callable[[], object], timeout: float = 5.0) -> None:
    """Wait for `condition`; fail (never hang) when it does not come true in time."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.01)


def stasis_start(channel_id: str) -> e.StasisStart:
    channel = e.Channel(
        id=channel_id,
        name="PJSIP/x",
        state="Ring",
        caller_number="601234567",
        caller_name="",
        exten=OFFICE,
        sip_call_id="",
    )
    return e.StasisStart(at=now(), channel_id=channel_id, channel=channel, args=("inbound", OFFICE))


async def with_pump(
    fake: FakeAsterisk,
    scenario: Callable[[StasisApp], Awaitable[None]],
    directory: Directory | None = None,
    app_name: str = "centrala",
    **app_options: Any,
) -> None:
    """`scenario` on a pump over `fake`, serving `directory` (by default: the office rings
    Anna after a greeting)."""
    ari = AriClient("http://ari.test/ari", "u", "p", transport=httpx.MockTransport(fake))
    store = CallStore(ari, retry_delay=lambda n: 0.01)
    served = directory or Directory(
        numbers={OFFICE: NumberPlan(OFFICE, open=1)},
        destinations={1: Announcement("sound:hello-world", next=2), 2: RingExtension("101", ring_seconds=1)},
        people={"101": Person("101", "Anna")},
    )

    async def load() -> Directory:
        return served

    app = StasisApp(app_name, ari, FakeStream(), store, load, **app_options)
    runner = asyncio.create_task(app.run())
    await asyncio.wait_for(app.reconciled.wait(), 5)
    try:
        await scenario(app)
    finally:
        await app.stop()
        await runner
        await store.db.close()
        await ari.aclose()


def test_a_slow_step_of_one_call_does_not_delay_another_call():
    fake = FakeAsterisk(live_channels=[])

    async def scenario(app: StasisApp) -> None:
        started = asyncio.get_running_loop().time()
        app.dispatch(stasis_start("slow-1"))
        app.dispatch(stasis_start("fast-1"))
        await until(lambda: any(p.startswith("channels/fast-1/play/") for _, _, p in fake.log))
        assert asyncio.get_running_loop().time() - started < 0.5
        assert not any(p.startswith("channels/slow-1") for _, _, p in fake.log)  # still answering
        await until(lambda: any(p.startswith("channels/slow-1/play") for _, _, p in fake.log))

    asyncio.run(scenario_runner(fake, scenario))
    assert fake.first("POST", "channels/fast-1/answer") < fake.first("POST", "channels/slow-1/answer")
    assert Call.objects.count() == 2


def scenario_runner(fake: FakeAsterisk, scenario: Callable[[StasisApp], Awaitable[None]]) -> Coroutine[Any, Any, None]:
    return with_pump(fake, scenario)


def test_a_command_on_a_vanished_channel_goes_back_to_its_call_without_a_hangup():
    fake = FakeAsterisk(live_channels=[], missing={"gone-1"})

    async def scenario(app: StasisApp) -> None:
        app.dispatch(stasis_start("gone-1"))
        worker = app.routes["gone-1"]
        await until(lambda: not worker.busy and worker.queue.empty() and worker.call.state.value != "new")
        app.dispatch(e.StasisEnd(at=now(), channel_id="gone-1"))
        await until(lambda: not app.routes)

    asyncio.run(scenario_runner(fake, scenario))
    assert fake.requests == ["POST channels/gone-1/answer"]  # no play, no hangup after the 404
    call = Call.objects.get(channel_id="gone-1")
    assert call.outcome == Call.Outcome.MISSED
    assert [ev.kind for ev in call.events.all()] == ["started", "hours", "announcement", "command_failed", "ended"]


def test_after_a_reconnect_calls_asterisk_no_longer_has_end_as_lost():
    fake = FakeAsterisk(live_channels=["kept-1"])

    async def scenario(app: StasisApp) -> None:
        app.dispatch(stasis_start("kept-1"))
        app.dispatch(stasis_start("dropped-1"))
        await asyncio.sleep(0.1)
        await app.reconciler.reconcile()  # as after a reconnect: ARI lists only kept-1
        await until(lambda: "dropped-1" not in app.routes)
        assert "kept-1" in app.routes

    asyncio.run(scenario_runner(fake, scenario))
    assert Call.objects.get(channel_id="dropped-1").outcome == Call.Outcome.LOST
    assert Call.objects.get(channel_id="kept-1").ended_at is None


def test_a_call_that_begins_while_the_sweep_waits_for_the_history_is_not_taken_for_lost():
    """The sweep asks Asterisk for its channels, then waits until the facts queued so far are
    written. A call that begins meanwhile is missing from Asterisk's answer but alive: under
    load this closed every call that began during the wait as "lost"."""
    fake = FakeAsterisk(live_channels=["kept-1"])

    async def scenario(app: StasisApp) -> None:
        await app.reconciled.wait()
        app.dispatch(stasis_start("kept-1"))
        await until(lambda: app.store.waiting == 0)
        slow_write = asyncio.ensure_future(app.store.db.run(time.sleep, 0.5))  # the database is busy
        app.dispatch(stasis_start("kept-2"))  # facts wait: the sweep will wait for them
        sweep = asyncio.ensure_future(app.reconciler.sweep({"channel_ids": ["kept-1", "kept-2"]}))
        await asyncio.sleep(0.1)
        app.dispatch(stasis_start("new-1"))  # begins after Asterisk was asked
        assert await sweep
        await slow_write

    asyncio.run(scenario_runner(fake, scenario))
    assert not Call.objects.filter(outcome=Call.Outcome.LOST).exists()
    assert Call.objects.get(channel_id="new-1").ended_at is None


def test_events_for_channels_we_never_saw_start_are_ignored():
    fake = FakeAsterisk(live_channels=[])

    async def scenario(app: StasisApp) -> None:
        app.dispatch(e.StasisEnd(at=now(), channel_id="stranger"))
        app.dispatch(e.ChannelStateChange(at=now(), channel_id="stranger", state="Up"))
        # a listener whose call ended before it entered Stasis: never a caller's call
        listener = f"{uuid.uuid4()}-listener"
        app.dispatch(dataclasses.replace(stasis_start(listener), args=("listener",)))
        await asyncio.sleep(0.05)
        assert not app.routes

    asyncio.run(scenario_runner(fake, scenario))
    assert not Call.objects.exists()
    assert [p for _, _, p in fake.log] == []


def test_presence_comes_from_asterisk_and_follows_endpoint_events():
    """Of the staff phones only (the directory's person 101; tests/django/test_presence.py)."""
    endpoints = [
        {"technology": "PJSIP", "resource": "101", "state": "online"},
        {"technology": "PJSIP", "resource": "102", "state": "offline"},
        {"technology": "PJSIP", "resource": "carrier", "state": "online"},
    ]
    fake = FakeAsterisk(live_channels=[], endpoints=endpoints)

    async def scenario(app: StasisApp) -> None:
        assert app.presence == {"101": True}
        app.dispatch(e.EndpointStateChange(at=now(), channel_id="", resource="101", online=False))
        assert app.presence == {"101": False}

    asyncio.run(scenario_runner(fake, scenario))
    assert "POST applications/centrala/subscription" not in fake.requests  # not a call action


def test_the_configuration_is_read_again_at_once_when_the_admin_says_it_changed():
    fake = FakeAsterisk(live_channels=[])

    async def scenario(app: StasisApp) -> None:
        reads = 0
        load = app.load_directory

        async def counting() -> Directory:
            nonlocal reads
            reads += 1
            return await load()

        app.load_directory = counting
        await asyncio.sleep(0.2)
        assert reads == 0  # the periodic refresh is 10 s away
        app.dispatch(e.ConfigurationChanged(at=now(), channel_id=""))
        await until(lambda: reads == 1, timeout=2)

    asyncio.run(scenario_runner(fake, scenario))


def test_ringing_legs_are_routed_to_their_call_and_timers_fire():
    fake = FakeAsterisk(live_channels=[])

    async def scenario(app: StasisApp) -> None:
        app.dispatch(stasis_start("c-1"))
        worker = app.routes["c-1"]
        await until(lambda: any("/play/" in p for _, _, p in fake.log))
        greeting = next(p for _, m, p in fake.log if "/play/" in p).rsplit("/", 1)[1]
        app.dispatch(e.PlaybackFinished(at=now(), channel_id="c-1", playback_id=greeting, failed=False))
        await until(lambda: [p for _, m, p in fake.log if p == "channels"])
        leg = next(iter(worker.call.legs))
        assert app.routes.legs[leg] is worker  # the leg's events will reach this call
        # Nobody answers within the 1 s ring time: the deadline timer fires and the leg is hung up.
        await until(lambda: any(m == "DELETE" and p == f"channels/{leg}" for _, m, p in fake.log))

    asyncio.run(scenario_runner(fake, scenario))
    assert any(kind == "not_answered" for kind in Call.objects.get().events.values_list("kind", flat=True))


@pytest.mark.django_db
def test_recordings_finished_while_the_app_was_away_are_found_for_ended_calls_only(tmp_path):
    from compliance.models import ProcessingPurpose
    from pbx.actions import do_apply_facts, find_orphan_recordings
    from pbx.callflow import commands as c
    from pbx.models import Prompt
    from recordings.actions import do_ingest_recording
    from recordings.models import RecordingRule
    from tests.django.test_recordings import make_wav

    purpose = ProcessingPurpose.objects.create(
        name="Jakość", legal_basis="6.1.f", retention_days=30, announcement=Prompt.objects.create(name="n", sound="x")
    )
    RecordingRule.objects.create(name="Wszystkie", mode="always", purpose=purpose)
    ended, live, stored = (f"6f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e0{n}" for n in (1, 2, 3))
    for key in (ended, live, stored):
        do_apply_facts(
            [
                c.CallStarted(
                    key,
                    call_key=key,
                    at=now(),
                    direction="inbound",
                    caller="+48601234567",
                    called=OFFICE,
                    sip_call_id="",
                ),
                c.CallStep(key, call_key=key, at=now(), kind=StepKind.RECORDING, detail={"rule": "Wszystkie"}),
            ]
        )
    do_apply_facts(
        [c.CallEnded(k, call_key=k, at=now(), outcome="answered", cause=16, cause_text="") for k in (ended, stored)]
    )
    do_ingest_recording(stored, f"{stored}-call", "wav", make_wav(tmp_path / "s.wav", 1))
    asterisk_has = [{"name": f"{k}-call", "format": "wav"} for k in (ended, live, stored)]
    asterisk_has += [{"name": "somebody-elses-file", "format": "wav"}]
    [orphan], stored_already = find_orphan_recordings(asterisk_has)
    assert stored_already == {f"{stored}-call"}
    assert (orphan.call_key, orphan.name, orphan.kind, orphan.purpose_id) == (
        ended,
        f"{ended}-call",
        "call",
        purpose.pk,
    )


def _call_ended(key: str) -> None:
    from pbx.actions import do_apply_facts
    from pbx.callflow import commands as c

    do_apply_facts(
        [
            c.CallStarted(
                key, call_key=key, at=now(), direction="inbound", caller="+48601234567", called=OFFICE, sip_call_id=""
            ),
            c.CallEnded(key, call_key=key, at=now(), outcome="answered", cause=16, cause_text=""),
        ]
    )


def test_the_sweep_deletes_from_asterisk_a_recording_stored_whose_deletion_failed(tmp_path):
    from recordings.actions import do_ingest_recording
    from tests.django.test_recordings import make_wav

    key = "6f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e11"
    _call_ended(key)
    do_ingest_recording(key, f"{key}-call", "wav", make_wav(tmp_path / "s.wav", 1))
    fake = FakeAsterisk(live_channels=[])
    fake.stored = [{"name": f"{key}-call", "format": "wav"}]

    async def scenario(app: StasisApp) -> None:
        fake.requests.clear()
        assert await app.store.recover_recordings() == 0  # nothing to store again
        assert fake.requests == [f"DELETE recordings/stored/{key}-call"]

    asyncio.run(scenario_runner(fake, scenario))


def test_the_log_says_away_only_after_a_reconnect_and_a_late_file_otherwise(caplog):
    away, late = "6f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e12", "6f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e13"
    _call_ended(away)
    _call_ended(late)
    fake = FakeAsterisk(live_channels=[])
    fake.stored = [{"name": f"{away}-call", "format": "wav"}]  # finished while no app listened
    fake.recording_now = set()
    caplog.set_level(logging.INFO, logger="pbx.stasis.ingest")

    async def scenario(app: StasisApp) -> None:
        assert f"recovering recording {away}-call, finished while the app was away" in caplog.text
        caplog.clear()
        fake.stored.append({"name": f"{late}-call", "format": "wav"})  # a file its call left to the sweep
        await app.reconciler.sweep({"channel_ids": []})
        assert f"storing recording {late}-call, which its call left to the sweep" in caplog.text
        assert "while the app was away" not in caplog.text

    asyncio.run(scenario_runner(fake, scenario))


def test_with_a_shared_directory_a_recording_is_read_there_and_never_downloaded(tmp_path, monkeypatch):
    from pbx.callflow import commands as c
    from recordings.models import Recording
    from tests.django.test_recordings import make_wav

    present, late = "6f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e21", "6f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e22"
    for key in (present, late):
        _call_ended(key)
    make_wav(tmp_path / f"{present}-call.wav", 1)
    fake = FakeAsterisk(live_channels=[])

    async def scenario() -> None:
        ari = AriClient("http://ari.test/ari", "u", "p", transport=httpx.MockTransport(fake))
        store = CallStore(ari, recordings_dir=tmp_path, retry_delay=lambda n: 0.01)
        runner = asyncio.create_task(store.run())
        for key in (present, late):
            store.submit(c.RecordingReady(key, call_key=key, at=now(), name=f"{key}-call", fmt="wav"))
        await until(lambda: not store.ingest.tasks and len(fake.requests) >= 1)
        runner.cancel()
        await store.db.close()
        await ari.aclose()

    asyncio.run(scenario())
    assert list(Recording.objects.values_list("asterisk_name", flat=True)) == [f"{present}-call"]
    # The stored one is deleted through ARI; the one whose file never came is left to the sweep.
    assert fake.requests == [f"DELETE recordings/stored/{present}-call"]


def test_recordings_ready_together_are_stored_in_one_batch_each_with_its_own_outcome(tmp_path, caplog):
    from pbx.callflow import commands as c
    from recordings.actions import do_ingest_recordings
    from recordings.models import Recording
    from tests.django.test_recordings import make_wav

    keys = [f"6f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e3{n}" for n in range(4)]
    for key in keys:
        _call_ended(key)
    good, broken = keys[:3], keys[3]
    for key in good:
        make_wav(tmp_path / f"{key}-call.wav", 1)
    (tmp_path / f"{broken}-call.wav").write_bytes(b"")  # Asterisk wrote nothing
    fake = FakeAsterisk(live_channels=[])
    batches: list[int] = []

    async def scenario() -> None:
        ari = AriClient("http://ari.test/ari", "u", "p", transport=httpx.MockTransport(fake))
        store = CallStore(ari, recordings_dir=tmp_path, retry_delay=lambda n: 0.01)
        run = store.db.run

        async def counted(func, *args):  # type: ignore[no-untyped-def]
            if func is do_ingest_recordings:
                batches.append(len(args[0]))
            return await run(func, *args)

        store.db.run = counted  # type: ignore[method-assign]
        runner = asyncio.create_task(store.run())
        for key in keys:
            store.submit(c.RecordingReady(key, call_key=key, at=now(), name=f"{key}-call", fmt="wav"))
        await until(lambda: not store.ingest.tasks and len(fake.requests) >= 3)
        runner.cancel()
        await store.db.close()
        await ari.aclose()

    caplog.set_level(logging.INFO, logger="pbx.stasis.ingest")
    asyncio.run(scenario())
    assert batches == [4]
    assert sorted(Recording.objects.values_list("asterisk_name", flat=True)) == sorted(f"{k}-call" for k in good)
    # The stored ones are deleted from Asterisk; the empty one is kept there, and said so.
    assert sorted(fake.requests) == sorted(f"DELETE recordings/stored/{k}-call" for k in good)
    assert f"recording {broken}-call kept on Asterisk" in caplog.text
