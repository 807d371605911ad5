"""Issue 8: PostgreSQL away. Facts the database cannot take wait on disk in order and are
written once it answers, also by the next run of the app; the lost-call sweep waits for them;
an app started during the outage serves calls with the configuration saved last."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import OperationalError

from pbx.actions import do_apply_facts
from pbx.ari.client import AriClient
from pbx.callflow import commands as c
from pbx.callflow.scenario import Announcement, Directory, NumberPlan
from pbx.callflow.vocabulary import StepKind
from pbx.management.commands import stasis as command
from pbx.models import Call, CallEvent
from pbx.stasis.call_store import CallStore
from pbx.stasis.offline import FACT_TYPES, DirectorySnapshot, FactSpool, decode_fact, encode_fact

from ..callflow.fixtures import OFFICE
from .test_stasis_pump import until

AT = datetime(2026, 11, 24, 9, 30, 15, 123456, tzinfo=UTC)
KEY = "6f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e5f"


def every_kind_of_fact(key: str = KEY) -> list[c.Fact]:
    ch = f"ch-{key}"
    return [
        c.CallStarted(
            ch,
            call_key=key,
            at=AT,
            direction="inbound",
            caller="+48601234567",
            called=OFFICE,
            sip_call_id="abc@10.0.0.1",
        ),
        c.CallStep(ch, call_key=key, at=AT, kind=StepKind.MENU, detail={"digit": "1", "nested": {"ok": [1, None]}}),
        c.CallAnswered(ch, call_key=key, at=AT),
        c.PhoneEncryption(ch, call_key=key, at=AT, extension="101", tls=True, srtp=False),
        c.RecordingReady(ch, call_key=key, at=AT, name=f"{key}-call", fmt="wav", kind="call", purpose_id=3),
        c.CallbackRequested(ch, call_key=key, at=AT, number="+48601234567", reason="abandoned", assign_to=""),
        c.CallbackConnected(ch, call_key=key, at=AT, task_id="7"),
        c.RecordingReady(ch, call_key=key, at=AT, name=f"{key}-take1", fmt="wav", kind="prompt", prompt_id=4, by="101"),
        c.MessageHeard(ch, call_key=key, at=AT, message_id=12, extension="101"),
        c.DndChanged(ch, call_key=key, at=AT, extension="101", on=True),
        c.ForwardChanged(ch, call_key=key, at=AT, extension="101", to_number="+48601000999"),
        c.CallPassed(ch, call_key=key, at=AT, worker=1),
        c.CallEnded(
            ch, call_key=key, at=AT, outcome="answered", cause=16, cause_text="Normal Clearing", hung_up_by="caller"
        ),
    ]


def a_call(key: str, outcome: str = "answered") -> list[c.Fact]:
    ch = f"ch-{key}"
    return [
        c.CallStarted(
            ch, call_key=key, at=AT, direction="inbound", caller="+48601234567", called=OFFICE, sip_call_id=""
        ),
        c.CallStep(ch, call_key=key, at=AT, kind=StepKind.ANNOUNCEMENT, detail={"media": "sound:hello-world"}),
        c.CallEnded(ch, call_key=key, at=AT, outcome=outcome, cause=16, cause_text="", hung_up_by="caller"),
    ]


def test_every_fact_type_survives_the_spool_unchanged():
    facts = every_kind_of_fact()
    assert {type(f) for f in facts} == set(FACT_TYPES.values()), "a fact type is missing from this test"
    assert [decode_fact(encode_fact(f)) for f in facts] == facts


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"fact":"CallEnded","at":"2026-11-24T09:30:15+00:00","call_key":"k","chann', "JSONDecodeError"),
        ('{"fact":"Meeting","at":"2026-11-24T09:30:15+00:00"}', "KeyError"),
        ('{"fact":"CallAnswered","call_key":"k","channel_id":"c","at":"2026-11-24T09:30:15+00:00","x":1}', "TypeError"),
    ],
)
def test_a_spool_line_that_is_no_fact_is_named_and_kept_aside(tmp_path, line, problem, caplog):
    spool = FactSpool(tmp_path / "facts.jsonl")
    good = a_call(KEY)
    spool.append(good[:2])
    assert spool.path is not None
    with spool.path.open("a") as out:
        out.write(line + "\n")
    spool.append(good[2:])
    assert spool.load() == good
    assert problem in caplog.text
    assert (tmp_path / "facts.jsonl.bad").read_text() == line + "\n"
    assert FactSpool(spool.path).load() == good  # the bad line is out of the spool, not lost


class FlakyDatabase:
    """do_apply_facts behind a switch: while `down`, every write fails as an outage does."""

    def __init__(self) -> None:
        self.down = True
        self.attempts = 0

    def __call__(self, facts: list[c.Fact]) -> None:
        self.attempts += 1
        if self.down:
            raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')
        do_apply_facts(facts)


def no_ari() -> AriClient:
    return AriClient("http://ari.test/ari", "u", "p", transport=httpx.MockTransport(lambda r: httpx.Response(500)))


def spooled(path: Path) -> list[c.Fact]:
    return [decode_fact(line) for line in path.read_text().splitlines()]


@pytest.mark.django_db(transaction=True)
def test_facts_wait_on_disk_during_an_outage_and_are_written_in_order_when_it_ends(tmp_path):
    flaky = FlakyDatabase()
    path = tmp_path / "spool" / "facts.jsonl"
    first, second = a_call(KEY), a_call(KEY.replace("5f", "60"), outcome="missed")
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        store = CallStore(no_ari(), spool=FactSpool(path), retry_delay=lambda n: 0.05, apply_facts=flaky)
        runner = asyncio.create_task(store.run())
        for fact in first:
            store.submit(fact)
        await until(lambda: path.exists() and len(spooled(path)) == 3)
        for fact in second:  # later facts queue up behind the spooled ones, never ahead
            store.submit(fact)
        await until(lambda: path.exists() and len(spooled(path)) == 6)
        assert spooled(path) == first + second
        await until(lambda: flaky.attempts >= 4)  # it keeps trying
        # The sweep must not close these calls as lost while their real end waits in the spool.
        seen["sweep"] = await store.close_lost_calls(set, datetime.now(UTC), timeout=0.2)
        flaky.down = False
        await until(lambda: store.waiting == 0)
        seen["settled"] = await store.settled(timeout=1)
        runner.cancel()
        await store.db.close()

    asyncio.run(scenario())
    assert seen == {"sweep": None, "settled": True}
    assert not path.exists()
    outcomes = dict(Call.objects.values_list("channel_id", "outcome"))
    assert outcomes == {f"ch-{KEY}": "answered", f"ch-{KEY.replace('5f', '60')}": "missed"}
    kinds = list(CallEvent.objects.filter(call_id=KEY).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["started", "announcement", "ended"]


@pytest.mark.django_db(transaction=True)
def test_a_call_ending_as_the_sweep_judges_is_closed_with_its_real_outcome_never_as_lost():
    """Its end is submitted between the facts' being written and the sweep's asking which
    channels are followed (its channel no longer is): the sweep waits for that end too."""
    started, step, ended = a_call(KEY)
    asked: list[int] = []

    def followed() -> set[str]:
        asked.append(1)
        if len(asked) == 1:
            store.submit(ended)  # the call ends right now; the app follows it no more
        return set()

    async def scenario() -> int | None:
        runner = asyncio.create_task(store.run())
        store.submit(started)
        store.submit(step)
        await until(lambda: store.waiting == 0)
        try:
            return await store.close_lost_calls(followed, datetime.now(UTC), timeout=2)
        finally:
            runner.cancel()
            await store.db.close()

    store = CallStore(no_ari(), retry_delay=lambda n: 0.05)
    assert asyncio.run(scenario()) == 0
    assert len(asked) == 2
    call = Call.objects.get()
    assert call.outcome == "answered"
    assert not call.events.filter(kind="lost").exists()


@pytest.mark.django_db(transaction=True)
def test_facts_spooled_by_a_killed_app_are_written_by_the_next_one(tmp_path):
    flaky = FlakyDatabase()
    path = tmp_path / "facts.jsonl"
    facts = a_call(KEY)

    async def killed_during_the_outage() -> None:
        store = CallStore(no_ari(), spool=FactSpool(path), retry_delay=lambda n: 0.05, apply_facts=flaky)
        runner = asyncio.create_task(store.run())
        for fact in facts:
            store.submit(fact)
        await until(lambda: path.exists() and len(spooled(path)) == 3)
        runner.cancel()  # no drain, no goodbye: as kill -9

    async def next_start() -> None:
        store = CallStore(no_ari(), spool=FactSpool(path), retry_delay=lambda n: 0.05, apply_facts=flaky)
        assert store.waiting == 3 and not await store.settled(timeout=0.05)
        runner = asyncio.create_task(store.run())
        await until(lambda: store.waiting == 0)
        runner.cancel()
        await store.db.close()

    asyncio.run(killed_during_the_outage())
    flaky.down = False
    asyncio.run(next_start())
    assert not path.exists()
    assert Call.objects.get(pk=KEY).outcome == "answered"


def test_stopping_during_an_outage_leaves_the_facts_in_the_spool_without_waiting_out_the_timeout(tmp_path):
    flaky = FlakyDatabase()
    path = tmp_path / "facts.jsonl"
    took: list[float] = []

    async def scenario() -> None:
        store = CallStore(no_ari(), spool=FactSpool(path), retry_delay=lambda n: 0.05, apply_facts=flaky)
        runner = asyncio.create_task(store.run())
        for fact in a_call(KEY):
            store.submit(fact)
        loop = asyncio.get_running_loop()
        start = loop.time()
        await until(lambda: path.exists())
        await store.drain(timeout=10)
        took.append(loop.time() - start)
        runner.cancel()

    asyncio.run(scenario())
    assert took[0] < 2
    assert spooled(path) == a_call(KEY)


def test_an_app_started_during_an_outage_serves_calls_with_the_configuration_saved_last(tmp_path, monkeypatch):
    saved = Directory(numbers={OFFICE: NumberPlan(OFFICE, open=1)}, destinations={1: Announcement("sound:x")})
    snapshot = DirectorySnapshot(tmp_path / "directory.json")
    monkeypatch.setattr(command, "load_directory", lambda: saved)
    assert command.load_or_saved_directory(snapshot) == saved  # read from the database, and saved

    def outage() -> Directory:
        raise OperationalError("connection refused")

    monkeypatch.setattr(command, "load_directory", outage)
    assert command.load_or_saved_directory(DirectorySnapshot(snapshot.path)) == saved
    with pytest.raises(OperationalError):  # no saved configuration: nothing to serve calls with
        command.load_or_saved_directory(DirectorySnapshot(tmp_path / "none.json"))
    (tmp_path / "broken.json").write_bytes(b"not json")
    assert DirectorySnapshot(tmp_path / "broken.json").load() is None


def test_a_recording_directory_that_is_not_there_stops_the_app_at_start(settings, tmp_path):
    from django.core.management import CommandError, call_command

    settings.ARI_PASSWORD = "x" * 16
    settings.ASTERISK_RECORDING_DIR = tmp_path / "nowhere"
    with pytest.raises(CommandError, match=r"ASTERISK_RECORDING_DIR=.*nowhere is not a directory here"):
        call_command("stasis")


def test_what_starting_loaded_is_out_of_the_garbage_collectors_sight_before_the_app_serves(settings, monkeypatch):
    import gc

    from django.core.management import call_command

    settings.ARI_PASSWORD = "x" * 16
    settings.ASTERISK_RECORDING_DIR = None
    frozen_when_serving: list[int] = []

    async def serve(worker: object) -> None:
        frozen_when_serving.append(gc.get_freeze_count())

    monkeypatch.setattr(command, "serve", serve)
    try:
        call_command("stasis", "--worker", "1")
    finally:
        gc.unfreeze()
    assert frozen_when_serving and frozen_when_serving[0] > 10_000  # Django and the app's modules


def test_the_whole_configuration_survives_the_snapshot_and_nothing_else_is_read_from_it(tmp_path):
    import dataclasses
    import pickle
    from datetime import time as clock

    from pbx.callflow import scenario as s
    from pbx.callflow.tollfraud import CallingPolicy

    from ..callflow.fixtures import directory

    office = directory()
    travel = CallingPolicy(name="travel", countries=frozenset({"DE", "CZ"}), international_from=clock(6, 30))
    people = {**office.people, "101": dataclasses.replace(office.people["101"], policy=travel)}
    rule = s.RecordingRule("R", "always", direction="inbound", purpose_id=3, announcement="sound:x")
    shifts = (s.Shift("101", datetime(2026, 12, 24, 7, 0, tzinfo=UTC), datetime(2026, 12, 24, 15, 0, tzinfo=UTC)),)
    full = dataclasses.replace(
        office,
        people=people,
        recording_rules=(rule,),
        days_off=frozenset({office_day()}),
        rota=dataclasses.replace(office.rota, shifts=shifts),
    )
    snapshot = DirectorySnapshot(tmp_path / "spool" / "directory.json")
    snapshot.save(full)
    assert DirectorySnapshot(snapshot.path).load() == full
    # A file someone else wrote: pickle (which would run code) and unknown types read as nothing.
    snapshot.path.write_bytes(pickle.dumps(full))
    assert DirectorySnapshot(snapshot.path).load() is None
    snapshot.path.write_text('{"~": "os.system", "command": "touch owned"}')
    assert DirectorySnapshot(snapshot.path).load() is None and not Path("owned").exists()


def office_day():  # type: ignore[no-untyped-def]
    from datetime import date

    return date(2026, 12, 25)


def test_the_spool_and_the_snapshot_are_readable_by_the_app_alone(tmp_path):
    folder = tmp_path / "spool"
    spool = FactSpool(folder / "call-facts.jsonl")
    fact = c.CallStarted(
        "1.1",
        call_key="k",
        at=datetime(2026, 11, 23, tzinfo=UTC),
        direction="inbound",
        caller="+48601234567",
        called="+48221234567",
        sip_call_id="x",
    )
    spool.append([fact])
    DirectorySnapshot(folder / "directory.json").save(Directory())
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert spool.path is not None
    assert oct(spool.path.stat().st_mode & 0o777) == "0o600"
    assert oct((folder / "directory.json").stat().st_mode & 0o777) == "0o600"
    spool.replace([fact, fact])
    assert oct(spool.path.stat().st_mode & 0o777) == "0o600"


def test_facts_coming_close_together_are_written_in_one_batch_and_later_ones_in_the_next():
    """The writer lets facts gather for a moment after the first (facts.GATHER_SECONDS), so a
    busy minute's calls share their transactions and statements (pbx/call_rows.py)."""
    from pbx.stasis.facts import GATHER_SECONDS

    batches: list[list[c.Fact]] = []
    first, second = a_call(KEY), a_call("0f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e5f")

    async def scenario() -> None:
        store = CallStore(no_ari(), apply_facts=batches.append)
        runner = asyncio.create_task(store.run())
        for fact in first:  # one call's facts, a few ms apart: well within the gathering
            store.submit(fact)
            await asyncio.sleep(GATHER_SECONDS / 10)
        assert await store.settled(timeout=5)
        for fact in second:
            store.submit(fact)
        assert await store.settled(timeout=5)
        runner.cancel()
        await store.db.close()

    asyncio.run(scenario())
    assert batches == [first, second]
