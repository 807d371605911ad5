"""Issue 8 on the real Asterisk: what a crash or a restart costs (nothing, is the aim).

- kill -9 of `manage.py stasis` during a connected, recorded call: the call stays connected
  to its end, a new call meanwhile gets the dialplan's fallback (503, nothing answered), and
  the restarted app takes the call back, closes it in the history and stores its recording
  (test_restart_under_load.py has every other kind of caller); and when the crash came
  between connecting the caller and starting the recording they were told of, the restarted
  app starts it;
- Asterisk restarted under a running app: the app reconnects by itself and serves calls;
- PostgreSQL stopped during calls, and the app killed and started again meanwhile: every call
  is still answered, bridged and recorded, and once the database is back the history and the
  recordings are complete, with nothing closed as "lost".
"""

from __future__ import annotations

import os
import signal
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

from pbx.ari.stream import EventStream
from pbx.asterisk import run_with_ari
from pbx.models import Call
from pbx.sandbox import SippResult, sandbox, sipp_call
from recordings.models import Recording

from .conftest import running_stasis
from .harness import caller_talking_long, phone
from .private_postgres import private_postgres
from .stasis_process import StasisProcess
from .test_first_call import CUSTOMER, OFFICE, wait_for
from .test_scenarios import office, queue, registered, steps

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def start_stasis(database_url: str = "", spool: Path | None = None) -> StasisProcess:
    """`manage.py stasis` as deployed, on the test database (or the one given), sweeping every
    second."""
    env = {
        "CENTRALA_SPOOL_DIR": str(spool or Path(settings.MEDIA_ROOT).parent / "stasis-spool"),
        "ASTERISK_CONFIG_DIR": str(settings.ASTERISK_CONFIG_DIR),
        "STASIS_SWEEP_SECONDS": "1",
        "CENTRALA_MEDIA_ROOT": str(settings.MEDIA_ROOT),  # recordings land where this test reads them
        "CENTRALA_SOUNDS_DIR": str(settings.CENTRALA_SOUNDS_DIR),  # the prompts this test made
        "ASTERISK_SOUNDS_DIR": str(settings.ASTERISK_SOUNDS_DIR),
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    return StasisProcess(**env).wait_connected()


def killed_during_a_recorded_call(local_port: int) -> tuple[Future[SippResult], Call]:
    """A caller talking 25 s to 102 through the recorded queue, and the app killed (-9) once
    the recording started: the caller's SIPp run, and the call."""
    first = start_stasis()
    caller = caller_talking_long(OFFICE, CUSTOMER, local_port)
    live = wait_for(lambda: Call.objects.filter(events__kind="recording").first(), timeout=30)
    first.stop(signal.SIGKILL, timeout=10)
    return caller, live


def served_to_the_end(caller: Future[SippResult], live: Call) -> tuple[Call, Recording | None, StasisProcess, str]:
    """A second app started: the caller talks to the end; the call closed, its recording (if
    one is stored), the app and what it said."""
    second = start_stasis()
    try:
        talked = caller.result(timeout=60)
        assert (talked.successful, talked.failed) == (1, 0), talked.output[-3000:]
        closed = wait_for(lambda: Call.objects.filter(pk=live.pk, ended_at__isnull=False).first(), timeout=30)
        recording = Recording.objects.filter(call=live).first
        found = wait_for(recording, timeout=30) if _within(recording, 30) else None
    finally:
        output = second.stop()
    return closed, found, second, output


def test_kill_9_during_a_recorded_call_loses_neither_the_call_nor_its_recording(staff, rule):
    office(queue("ring_all"))
    with phone("102", staff["102"][1], answers=True, registered=registered):
        caller, live = killed_during_a_recorded_call(5191)
        # While no app listens, a new call hears the fallback and is refused with 503.
        refused = sipp_call(
            "caller_refused.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5192
        )
        assert (refused.successful, refused.failed) == (1, 0), refused.output[-3000:]
        # The first call stayed connected: the caller talked its 25 s and hung up itself.
        closed, found, second, output = served_to_the_end(caller, live)
    assert found is not None, f"no recording stored; the restarted app said:\n{output[-4000:]}"
    recording = found
    assert second.returncode == 0, output
    # The restarted app took the conversation back: closed as answered, and the history says so.
    assert closed.outcome == Call.Outcome.ANSWERED and ("connected", {"target": "102"}) in steps(closed)
    assert ("resumed", {"where": "bridged", "talking_to": "102"}) in steps(closed)
    assert recording.kind == "call" and recording.purpose_id == rule.purpose_id
    assert recording.duration_seconds > 15, recording.duration_seconds  # the whole conversation, not a stub
    assert len(recording.audio()) > 15 * 8000  # decrypts to the audio itself
    assert Call.objects.count() == 1  # the refused call never reached the app


def test_a_conversation_whose_recording_never_started_is_recorded_once_taken_back(staff, rule):
    """The app died after connecting the caller and before Asterisk started the recording the
    caller had been told of: here the recording is stopped and deleted while no app listens,
    which leaves Asterisk as such a crash would. The restarted app starts it."""
    office(queue("ring_all"))
    with phone("102", staff["102"][1], answers=True, registered=registered):
        caller, live = killed_during_a_recorded_call(5193)
        name = f"{live.pk}-call"
        run_with_ari(lambda ari: ari._request("POST", f"recordings/live/{name}/stop"))
        wait_for(lambda: run_with_ari(lambda ari: ari.recording_is_stored(name)), timeout=10)
        run_with_ari(lambda ari: ari.delete_stored_recording(name))
        closed, found, _, output = served_to_the_end(caller, live)
    assert found is not None, f"no recording stored; the restarted app said:\n{output[-4000:]}"
    timeline = [kind for kind, _ in steps(closed)]
    resumed = timeline.index("resumed")
    assert "recording" in timeline[resumed:], timeline  # started again after the app came back
    assert found.kind == "call" and found.purpose_id == rule.purpose_id
    assert found.duration_seconds > 5, found.duration_seconds  # the rest of the conversation
    assert len(found.audio()) > 5 * 8000


def _within(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    try:
        wait_for(predicate, timeout=timeout)
    except AssertionError:
        return False
    return True


def test_the_app_reconnects_by_itself_after_asterisk_restarts(staff, asterisk):
    office(queue("ring_all"))
    env = {
        **os.environ,
        "ARI_URL": settings.ARI_URL,
        "ARI_USER": settings.ARI_USER,
        "ARI_PASSWORD": settings.ARI_PASSWORD,
    }
    with running_stasis() as pump:
        sandbox("restart", "test", env=env)
        assert pump.app is not None
        stream = pump.app.stream
        assert isinstance(stream, EventStream)
        wait_for(lambda: stream.connections >= 2 and stream.connected, timeout=30)  # connected again
        with phone("102", staff["102"][1], answers=True, registered=registered):
            result = sipp_call(
                "caller_talks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5193
            )
            assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
            call = wait_for(lambda: Call.objects.filter(ended_at__isnull=False).first(), timeout=20)
    assert call.outcome == Call.Outcome.ANSWERED and ("connected", {"target": "102"}) in steps(call)


def test_postgresql_away_calls_are_still_served_and_nothing_is_lost_once_it_is_back(staff, rule, tmp_path):
    office(queue("ring_all"))
    spool = tmp_path / "spool"

    def talk(port: int) -> None:
        result = sipp_call(
            "caller_talks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=port, timeout_s=60
        )
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]

    def ended_in_spool() -> int:
        facts = spool / "call-facts.jsonl"
        return facts.read_text().count('"fact":"CallEnded"') if facts.exists() else 0

    def calls_and_recordings() -> list[tuple[str, str, int, float, str, int]]:
        return pg.query(
            "SELECT c.channel_id, c.outcome, count(r.id), coalesce(min(r.duration_seconds), 0), min(r.file),"
            " min(r.purpose_id) FROM pbx_call c LEFT JOIN recordings_recording r ON r.call_id = c.id"
            " GROUP BY c.id, c.channel_id, c.outcome ORDER BY min(c.started_at)"
        )

    with (
        private_postgres(
            copy_of=settings.DATABASES["default"]["NAME"], copy_port=int(settings.DATABASES["default"]["PORT"])
        ) as pg,
        phone("102", staff["102"][1], answers=True, registered=registered),
    ):
        first = start_stasis(pg.url, spool)
        app: StasisProcess | None = first
        try:
            talking = ThreadPoolExecutor(1).submit(talk, 5194)
            # The database goes away while the first call is connected and recorded ...
            wait_for(lambda: pg.query("SELECT 1 FROM pbx_callevent WHERE kind = 'recording'"), timeout=30)
            pg.stop()
            talking.result(timeout=60)
            # ... a second call comes in during the outage ...
            talk(5195)
            # ... the app is killed and started again, still without a database, once the ends
            # of both calls are in its spool (a kill before that is the test above): it serves
            # a third call with the configuration it saved.
            wait_for(lambda: ended_in_spool() == 2, timeout=10)
            first.stop(signal.SIGKILL, timeout=10)
            app = start_stasis(pg.url, spool)
            talk(5196)
            pg.start()
            done = _within(
                lambda: (
                    [row for row in calls_and_recordings() if row[2] == 1] == calls_and_recordings()
                    and len(calls_and_recordings()) == 3
                ),
                timeout=60,
            )
        finally:
            assert app is not None
            output = app.stop()
            print(f"the app said:\n{output[-6000:]}")  # shown by pytest when the test fails
        rows = calls_and_recordings()
        spooled_left = (spool / "call-facts.jsonl").exists()
    assert done, f"history after the outage: {rows}\nthe app said:\n{output[-6000:]}"
    assert [row[1] for row in rows] == ["answered"] * 3, rows
    # Each recording holds its whole conversation (the caller talks 12 s from the answer, the
    # announcement and the ringing come first): the outage cut none of them short.
    durations = [row[3] for row in rows]
    assert min(durations) > 5 and max(durations) - min(durations) < 1, rows
    assert [row[5] for row in rows] == [rule.purpose_id] * 3, rows  # recorded under the rule's purpose
    assert all((Path(settings.MEDIA_ROOT) / row[4]).stat().st_size > 5 * 8000 for row in rows), rows
    assert not spooled_left
    assert "serving calls with the configuration saved" in output
    assert "wrote" in output and "spooled call facts" in output
