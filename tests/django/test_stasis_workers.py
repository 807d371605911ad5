"""Several Stasis workers (STASIS_WORKERS): the dialplan spreads only shared numbers, each worker
closes and stores only its own calls, a worker passes on a call it may not serve, and only the
first follows phones and lights lamps. The real Asterisk with two workers: tests/e2e/test_workers.py."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from company_numbers.models import CompanyNumber
from pbx.actions import do_apply_facts, do_close_lost_calls, find_orphan_recordings
from pbx.ari.client import AriClient
from pbx.asterisk_config import render_all, tell_the_stasis_app
from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow.scenario import Announcement, Directory, NumberPlan, Person, RingExtension
from pbx.callflow.workers import Worker
from pbx.extensions import do_create_extension
from pbx.models import Call, Destination, Scenario
from pbx.stasis.app import StasisApp
from pbx.stasis.health import health_file, worker_spool, write_report

from ..callflow.fixtures import OFFICE
from .test_actions import T0
from .test_actions import started as call_started
from .test_stasis_pump import FakeAsterisk, now, stasis_start, until, with_pump

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGE_LINE = "+48221234599"


def started(channel: str, worker: int, key: str) -> c.CallStarted:
    return dataclasses.replace(call_started(key, channel), worker=worker)


def keys(n: int) -> list[str]:
    return [f"6f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e{i:02d}" for i in range(n)]


# --- the history: each worker its own ---------------------------------------------------------


def test_each_worker_closes_only_its_own_lost_calls():
    one, two, three = keys(3)
    do_apply_facts([started("ch-1", 1, one), started("ch-2", 2, two), started("ch-3", 3, three)])
    assert Call.objects.get(pk=two).stasis_worker == 2
    later = T0 + timedelta(minutes=5)
    # the first of two: its own, and the third's (no third worker any more); never the second's
    assert do_close_lost_calls(set(), later, Worker(1, 2)) == 2
    assert set(Call.objects.filter(outcome=Call.Outcome.LOST).values_list("channel_id", flat=True)) == {"ch-1", "ch-3"}
    assert do_close_lost_calls({"ch-2"}, later, Worker(2, 2)) == 0  # Asterisk still has it
    assert do_close_lost_calls(set(), later, Worker(2, 2)) == 1
    assert not Call.objects.filter(ended_at__isnull=True).exists()


def test_each_worker_stores_only_the_recordings_its_own_calls_left():
    one, two = keys(2)
    do_apply_facts([started("ch-1", 1, one), started("ch-2", 2, two)])
    for key in (one, two):
        do_apply_facts(
            [
                c.CallEnded(
                    f"ch-{1 if key == one else 2}",
                    call_key=key,
                    at=T0 + timedelta(minutes=1),
                    outcome="voicemail",
                    cause=16,
                    cause_text="",
                )
            ]
        )
    stored = [{"name": f"{key}-voicemail", "format": "wav"} for key in (one, two)]
    for worker, key in ((Worker(1, 2), one), (Worker(2, 2), two)):
        orphans, _ = find_orphan_recordings(stored, worker)
        assert [fact.call_key for fact in orphans] == [key]
    assert len(find_orphan_recordings(stored)[0]) == 2  # one worker: every call is its own


# --- Asterisk's side: the dialplan and the configuration push ------------------------------


def number(e164: str, destination: Destination, closed: Destination | None = None) -> None:
    scenario = Scenario.objects.create(name=e164, when_open=destination, when_closed=closed)
    CompanyNumber.objects.create(e164=e164, scenario=scenario)


def test_the_dialplan_spreads_only_the_numbers_whose_calls_meet_no_other(settings):
    anna = do_create_extension("101", "Anna")[0]
    voicemail = Destination.objects.create(name="Poczta", kind="voicemail", seconds=60)
    ring = Destination.objects.create(name="Anna", kind="extension", extension=anna)
    number(MESSAGE_LINE, voicemail)
    number(OFFICE, ring, closed=voicemail)
    assert "CENTRALA_WORKER" not in render_all()["extensions.conf"]  # one worker: as ever
    settings.STASIS_WORKERS, settings.ARI_APP = 3, "centrala"
    dialplan = render_all()["extensions.conf"]
    from_trunk = dialplan[dialplan.index("[from-trunk]") : dialplan.index("[from-phones]")]
    assert re.findall(r"^exten => (\+\d+),1,", from_trunk, re.M) == [MESSAGE_LINE]
    lines = dialplan[dialplan.index(f"exten => {MESSAGE_LINE}") :].splitlines()[:7]
    assert "Set(CENTRALA_WORKER=$[${CUT(UNIQUEID,.,2)} % 3 + 1])" in lines[1]
    assert "Stasis(centrala-${CENTRALA_WORKER},inbound,${EXTEN})" in lines[3]
    assert "(first),Stasis(centrala,inbound,${EXTEN})" in lines[5]  # worker 1, or one not connected
    assert "Goto(stasis-fallback,s,1)" in lines[6]
    assert dialplan.count("exten => _[+0-9].,1,") == 1  # every other call: the first worker


def test_the_configuration_push_reaches_every_worker(settings, monkeypatch):
    settings.STASIS_WORKERS, settings.ARI_APP = 3, "centrala"
    told: list[str] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        told.append(request.url.params["application"])
        return httpx.Response(404 if request.url.params["application"] == "centrala-2" else 204, json={})

    def run_with_ari(action: Any) -> Any:
        async def run() -> Any:
            async with AriClient("http://ari.test/ari", "u", "p", transport=httpx.MockTransport(answer)) as ari:
                return await action(ari)

        return asyncio.run(run())

    monkeypatch.setattr("pbx.asterisk_config.run_with_ari", run_with_ari)
    tell_the_stasis_app()
    assert told == ["centrala", "centrala-2", "centrala-3"]  # one not connected stops no other


# --- the commands -------------------------------------------------------------------------


def test_a_worker_number_outside_the_setting_is_refused(settings):
    settings.ARI_PASSWORD = "x" * 20
    settings.STASIS_WORKERS = 2
    with pytest.raises(CommandError, match="--worker 3: there are 2 workers"):
        call_command("stasis", "--worker", "3")


def test_the_stasis_health_check_names_the_worker_that_is_not_connected(settings, tmp_path):
    settings.STASIS_SPOOL_DIR = tmp_path
    settings.STASIS_WORKERS = 2
    write_report(health_file(worker_spool(tmp_path, 1)), connected=True)
    (tmp_path / "worker-2").mkdir()
    write_report(health_file(worker_spool(tmp_path, 2)), connected=False)
    with pytest.raises(CommandError, match=r"worker 2: .*not connected"):
        call_command("healthcheck", "stasis")
    write_report(health_file(worker_spool(tmp_path, 2)), connected=True)
    call_command("healthcheck", "stasis")


# --- a worker other than the first ---------------------------------------------------------


class TwoWorkersAsterisk(FakeAsterisk):
    """Answers for the second worker's app too, and can refuse a move."""

    def __init__(self, refuse_moves: bool = False) -> None:
        super().__init__(live_channels=[])
        self.refuse_moves = refuse_moves
        self.moves: list[dict[str, str]] = []  # the moves taken, by their parameters

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/ari/")
        if path == "applications/centrala-2":
            return httpx.Response(200, json={"name": "centrala-2", "channel_ids": []})
        if path.endswith("/move") and self.refuse_moves:
            self.requests.append(f"{request.method} {path}")
            return httpx.Response(422, json={"message": "application centrala not registered"})
        if path.endswith("/move"):
            self.moves.append(dict(request.url.params))
        return await super().__call__(request)


async def with_second_worker(fake: TwoWorkersAsterisk, scenario: Any, **options: Any) -> list[str]:
    """`scenario` on worker 2 of 2: the office rings Anna, the message line plays a message."""
    directory = Directory(
        numbers={OFFICE: NumberPlan(OFFICE, open=2), MESSAGE_LINE: NumberPlan(MESSAGE_LINE, open=1)},
        destinations={1: Announcement("sound:hello-world"), 2: RingExtension("101", ring_seconds=1)},
        people={"101": Person("101", "Anna")},
    )
    lamps_read: list[str] = []

    async def lamps() -> dict[str, tuple[int, int]]:
        lamps_read.append("read")
        return {}

    await with_pump(
        fake, scenario, directory, "centrala-2", load_lamps=lamps, worker=Worker(2, 2), first_app="centrala", **options
    )
    return lamps_read


def message_line_call(channel_id: str) -> e.StasisStart:
    return dataclasses.replace(stasis_start(channel_id), args=("inbound", MESSAGE_LINE))


def test_the_second_worker_serves_a_shared_number_and_passes_any_other_call_to_the_first():
    fake = TwoWorkersAsterisk()

    async def scenario(app: StasisApp) -> None:
        app.dispatch(message_line_call("shared-1"))
        app.dispatch(stasis_start("office-1"))  # its scenario rings Anna: not this worker's
        await until(lambda: fake.moves and "shared-1" in app.routes)
        await asyncio.sleep(0.2)
        assert "office-1" not in app.routes

    lamps_read = asyncio.run(with_second_worker(fake, scenario))
    assert fake.moves == [{"app": "centrala", "appArgs": f"inbound,{OFFICE}"}]
    assert Call.objects.get(channel_id="shared-1").stasis_worker == 2
    assert not Call.objects.filter(channel_id="office-1").exists()  # the first writes its history
    assert not any("subscription" in r or "endpoints" in r for r in fake.requests)  # no phones followed
    assert lamps_read == []  # the lamps are the first's


def test_a_call_the_first_worker_cannot_take_is_served_where_it_is():
    fake = TwoWorkersAsterisk(refuse_moves=True)

    async def scenario(app: StasisApp) -> None:
        app.dispatch(stasis_start("office-1"))
        await until(lambda: "office-1" in app.routes)

    asyncio.run(with_second_worker(fake, scenario))
    assert any(r.endswith("office-1/move") for r in fake.requests)
    assert Call.objects.get(channel_id="office-1").stasis_worker == 2


def test_a_call_asterisk_could_not_move_to_the_first_worker_is_served_where_it_is():
    """Asterisk takes the move and only then finds the first worker's app not connected: it
    says so with ApplicationMoveFailed, and the channel stays here."""
    fake = TwoWorkersAsterisk()

    async def scenario(app: StasisApp) -> None:
        for channel in ("office-1", "office-2"):
            app.dispatch(stasis_start(channel))
        await until(lambda: len(fake.moves) == 2)
        app.dispatch(e.MoveFailed(at=now(), channel_id="office-1", destination="centrala"))
        app.dispatch(e.StasisEnd(at=now(), channel_id="office-2"))  # this one went
        app.dispatch(e.MoveFailed(at=now(), channel_id="office-2", destination="centrala"))  # never both
        await until(lambda: "office-1" in app.routes)
        await asyncio.sleep(0.2)
        assert "office-2" not in app.routes

    asyncio.run(with_second_worker(fake, scenario))
    assert list(Call.objects.values_list("channel_id", "stasis_worker")) == [("office-1", 2)]


# --- a restarted worker other than the first ----------------------------------------------


class RestartedSecondWorker(TwoWorkersAsterisk):
    """Asterisk as a restarted second worker finds it: callers it held before it died, still in
    its app until moved (a move takes the channel out of it)."""

    def __init__(self, held: dict[str, str], refuse_moves: bool = False) -> None:
        super().__init__(refuse_moves)
        self.held = held  # channel -> the number it dialled
        self.moved: set[str] = set()
        self.recording_now = set()  # no message is being left nor left: each caller starts again

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/ari/")
        if path == "applications/centrala-2":
            return httpx.Response(200, json={"name": "centrala-2", "channel_ids": sorted(set(self.held) - self.moved)})
        if path == "channels" and request.method == "GET":
            return httpx.Response(200, json=[held_channel(ch, dialled) for ch, dialled in self.held.items()])
        if path.startswith("recordings/stored/"):
            return httpx.Response(404, json={"message": "Recording not found"})
        if path.endswith("/move") and not self.refuse_moves:
            self.moved.add(path.split("/")[1])
        return await super().__call__(request)


def held_channel(channel_id: str, dialled: str) -> dict[str, Any]:
    before = (now() - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"
    return {
        "id": channel_id,
        "name": "PJSIP/carrier-00000001",
        "state": "Up",
        "caller": {"number": "601234567", "name": ""},
        "connected": {"number": "", "name": ""},
        "dialplan": {"context": "from-trunk", "exten": dialled},
        "creationtime": before,
    }


def test_a_restarted_second_worker_passes_a_caller_whose_number_now_rings_someone_to_the_first():
    """Its scenario would start again from its entry, which now rings Anna: the first worker's.
    The caller goes there under its own key; its history row stays open while it is on its way
    (the second worker sweeps every 50 ms meanwhile) and is the first's once it has left. A
    caller of the message line is taken back here as before."""
    office, message = keys(2)
    do_apply_facts([started("office-1", 2, office), started("shared-1", 2, message)])
    fake = RestartedSecondWorker({"office-1": OFFICE, "shared-1": MESSAGE_LINE})

    def row() -> tuple[Any, int]:  # in a thread of its own, never leaving a connection open
        try:
            call = Call.objects.get(pk=office)
            return call.ended_at, call.stasis_worker
        finally:
            connection.close()

    async def scenario(app: StasisApp) -> None:
        await until(lambda: fake.moves and "shared-1" in app.routes)
        assert "office-1" in app.to_first and "office-1" not in app.routes
        await asyncio.sleep(0.3)  # six sweeps while it is on its way: the row is not lost
        assert await asyncio.to_thread(row) == (None, 2)
        app.dispatch(e.StasisEnd(at=now(), channel_id="office-1"))  # it left for the first worker
        deadline = asyncio.get_running_loop().time() + 5
        while await asyncio.to_thread(row) != (None, 1):
            assert asyncio.get_running_loop().time() < deadline, await asyncio.to_thread(row)
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)  # the first's now: the second's sweeps leave it alone

    asyncio.run(with_second_worker(fake, scenario, sweep_seconds=0.05))
    assert fake.moves == [{"app": "centrala", "appArgs": f"resume,{office},1"}]
    passed = Call.objects.get(pk=office)
    assert (passed.ended_at, passed.stasis_worker) == (None, 1)
    assert not passed.events.filter(kind="lost").exists()
    assert Call.objects.get(pk=message).stasis_worker == 2  # taken back here: a message line's
    assert Call.objects.get(pk=message).events.filter(kind="resumed").exists()


def test_a_caller_not_in_the_history_is_passed_under_a_new_key_the_first_worker_writes():
    fake = RestartedSecondWorker({"office-1": OFFICE})

    async def scenario(app: StasisApp) -> None:
        await until(lambda: fake.moves)
        app.dispatch(e.StasisEnd(at=now(), channel_id="office-1"))
        await until(lambda: "office-1" not in app.to_first)

    asyncio.run(with_second_worker(fake, scenario))
    [move] = fake.moves
    assert re.fullmatch(r"resume,[0-9a-f-]{36},0", move["appArgs"]), move
    assert not Call.objects.exists()  # no row to hand over: the first worker starts one


def test_a_restarted_second_worker_serves_a_caller_the_first_cannot_take():
    office, _ = keys(2)
    do_apply_facts([started("office-1", 2, office)])
    fake = RestartedSecondWorker({"office-1": OFFICE}, refuse_moves=True)

    async def scenario(app: StasisApp) -> None:
        await until(lambda: "office-1" in app.routes)

    asyncio.run(with_second_worker(fake, scenario))
    assert any(r.endswith("office-1/move") for r in fake.requests)
    row = Call.objects.get(pk=office)
    assert row.stasis_worker == 2 and row.events.get(kind="resumed").detail["where"] == "entry"


def test_the_first_worker_takes_a_passed_caller_back_under_its_key_and_rings_the_scenario_again():
    """`resume,<key>,1` from the second worker: the line was interrupted, then the office's
    scenario from its entry (a greeting, then Anna rings), all on the call's own row."""
    office, _ = keys(2)
    do_apply_facts([started("office-1", 2, office)])
    fake = TwoWorkersAsterisk()
    passed = dataclasses.replace(stasis_start("office-1"), args=("resume", office, "1"))

    async def scenario(app: StasisApp) -> None:
        app.dispatch(passed)
        await until(lambda: "office-1" in app.routes)
        worker = app.routes.find("office-1")
        assert worker is not None and worker.call.key == office
        await until(lambda: any("office-1/play" in r for r in fake.requests))

    asyncio.run(with_pump(fake, scenario, worker=Worker(1, 2)))
    assert [(call.pk, call.stasis_worker) for call in Call.objects.all()] == [(uuid.UUID(office), 1)]
    resumed = Call.objects.get().events.get(kind="resumed")
    assert resumed.detail["where"] == "entry"
