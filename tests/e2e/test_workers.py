"""STASIS_WORKERS=2 on the real Asterisk, as deployed: `manage.py stasis` becomes the supervisor
of two workers (apps centrala-test and centrala-test-2), the dialplan spreads a message line's
calls over both, each worker closes and stores only its own calls, and a call that may ring
someone always ends up on the first (pbx/callflow/workers.py)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from company_numbers.models import CompanyNumber
from pbx.asterisk_config import apply_config, tell_the_stasis_app
from pbx.models import Call, Destination, Menu, Prompt, Scenario
from pbx.sandbox import SippResult, sipp_call
from pbx.stasis.health import health_file, read_report, worker_spool
from recordings.models import Recording

from .conftest import Asterisk
from .harness import phone
from .stasis_process import StasisProcess
from .test_first_call import CUSTOMER, OFFICE, wait_for
from .test_scenarios import queue, registered

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def all_connected(spool: Path, workers: int) -> bool:
    reports = [read_report(health_file(worker_spool(spool, n))) for n in range(1, workers + 1)]
    return all(report is not None and report.connected and report.age() < 5 for report in reports)


def spare_sockets_connected(spool: Path) -> list[int | None]:
    reports = [read_report(health_file(worker_spool(spool, n))) for n in (1, 2)]
    return [report.figures.get("spare_sockets_connected") if report else None for report in reports]


@contextmanager
def two_workers(asterisk: Asterisk, spool: Path, **env: str) -> Iterator[StasisProcess]:
    """`manage.py stasis` with STASIS_WORKERS=2, Asterisk's dialplan rendered for two workers.
    Yields once both report connected; afterwards the dialplan is one worker's again."""
    settings.STASIS_WORKERS = 2
    apply_config(asterisk.etc, reload=True)
    app = StasisProcess(STASIS_WORKERS="2", CENTRALA_SPOOL_DIR=str(spool), **env)
    try:
        wait_for(lambda: all_connected(spool, 2) or app.proc.poll() is not None, 30)
        assert app.proc.poll() is None and all_connected(spool, 2), app.stop()[-3000:]
        yield app
    finally:
        app.stop()
        settings.STASIS_WORKERS = 1
        apply_config(asterisk.etc, reload=True)


def test_two_workers_share_a_message_lines_calls_and_each_closes_and_stores_only_its_own(
    asterisk: Asterisk, message_line: CompanyNumber, tmp_path: Path
):
    # Each worker sweeps every half second: had a worker closed another's calls, the calls in
    # progress on the other would end as "lost" and their messages be stored twice or never.
    with two_workers(asterisk, tmp_path, STASIS_SWEEP_SECONDS="0.5") as app:
        # Each worker's spare sockets (ARI_SPARE_SOCKETS, 2) connect too, under its own app's names.
        wait_for(lambda: spare_sockets_connected(tmp_path) == [2, 2], 10)
        dialplan = (asterisk.etc / "extensions.conf").read_text()
        assert f"exten => {OFFICE},1," in dialplan and "centrala-test-${CENTRALA_WORKER}" in dialplan
        result = sipp_call(
            "caller_speaks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5091, calls=4, rate=2
        )
        assert (result.successful, result.failed) == (4, 0), result.output[-3000:]
        wait_for(lambda: Recording.objects.count() == 4 and not Call.objects.filter(ended_at__isnull=True).exists(), 30)
    output = app.output
    assert "Traceback" not in output, output[-5000:]
    assert "stasis-1 started" in output and "stasis-2 started" in output  # the supervisor's lines
    calls = list(Call.objects.all())
    assert {call.stasis_worker for call in calls} == {1, 2}, "the calls were not spread over both workers"
    assert [call.outcome for call in calls] == [Call.Outcome.VOICEMAIL] * 4
    for call in calls:
        recording = call.recordings.get()
        assert recording.kind == "voicemail" and recording.size_bytes > 40_000  # 3 s of 8 kHz audio


def test_a_call_that_reaches_a_worker_after_its_number_changed_to_ring_a_queue_goes_to_the_first(
    asterisk: Asterisk, staff, message_line: CompanyNumber, tmp_path: Path
):
    """The dialplan still spreads the number (a scenario edit does not reload it), so the second
    worker passes its calls to the first, which rings the queue and connects them; no call is
    served twice or lost."""
    with (
        phone("101", staff["101"][1], answers=False, registered=registered),
        phone("102", staff["102"][1], answers=True, registered=registered),
        two_workers(asterisk, tmp_path) as app,
    ):
        scenario = message_line.scenario
        assert scenario is not None
        scenario.when_open = queue("ring_all")
        scenario.save()
        tell_the_stasis_app()  # as their next refresh would, within 10 s
        for attempt in range(4):  # until one came through the second worker
            result = sipp_call(
                "caller_talks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5092 + attempt
            )
            assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
            wait_for(lambda: not Call.objects.filter(ended_at__isnull=True).exists(), 20)
            if "passed call" in app.log.read_text(errors="replace"):
                break
    output = app.output
    assert "passed call" in output, "no call reached the second worker in four tries"
    assert "Traceback" not in output, output[-5000:]
    calls = list(Call.objects.all())
    assert [(call.outcome, call.answered_by, call.stasis_worker) for call in calls] == [
        (Call.Outcome.ANSWERED, "102", 1)
    ] * len(calls)


def test_with_the_first_worker_down_the_second_serves_a_call_it_could_not_pass_on(
    asterisk: Asterisk, staff, message_line: CompanyNumber, tmp_path: Path
):
    """Asterisk takes the hand-over and then finds the first worker's app not connected
    (ApplicationMoveFailed): the second worker serves the call itself rather than leave the
    caller in silence. A call the dialplan gives the first worker hears the polite busy
    message and is refused, as with one process down."""
    settings.STASIS_WORKERS = 2
    apply_config(asterisk.etc, reload=True)  # the message line is spread over both workers
    scenario = message_line.scenario
    assert scenario is not None
    scenario.when_open = queue("ring_all")  # then it rings a queue; Asterisk is not told
    scenario.save()
    second = StasisProcess("--worker", "2", STASIS_WORKERS="2", CENTRALA_SPOOL_DIR=str(tmp_path))
    try:
        with (
            phone("101", staff["101"][1], answers=False, registered=registered),
            phone("102", staff["102"][1], answers=True, registered=registered),
        ):
            wait_for(lambda: all_connected(worker_spool(tmp_path, 2), 1) or second.proc.poll() is not None, 30)
            for attempt in range(6):  # until one came to the second worker (the first's are refused)
                result = sipp_call(
                    "caller_talks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5096 + attempt
                )
                if result.successful:
                    break
            assert result.successful == 1, result.output[-3000:]
            wait_for(lambda: Call.objects.filter(ended_at__isnull=False).exists(), 20)
    finally:
        second.stop()
        settings.STASIS_WORKERS = 1
        apply_config(asterisk.etc, reload=True)
    assert "could not pass call" in second.output and "is not connected" in second.output, second.output[-3000:]
    assert "Traceback" not in second.output, second.output[-5000:]
    call = Call.objects.get()  # a refused call never reached Stasis: no history
    assert (call.outcome, call.answered_by, call.stasis_worker) == (Call.Outcome.ANSWERED, "102", 2)


def test_a_restarted_second_worker_passes_its_caller_to_the_first_when_the_number_now_rings_a_queue(
    asterisk: Asterisk, staff, tmp_path: Path
):
    """A caller waits in a menu served by the second worker. The number's scenario changes to a
    queue (Asterisk's dialplan still spreads it), and the second worker is killed; the
    supervisor starts it again, it finds the caller and, the scenario now ringing someone,
    passes them to the first under the call's own key. There the line is said to have been
    interrupted, the queue rings and Piotr answers: one history row, the first worker's, never
    closed as lost although both workers sweep every half second."""
    menu = Menu.objects.create(
        name="Menu", prompt=Prompt.objects.create(name="Menu", sound="hello-world"), timeout_seconds=25
    )
    scenario = Scenario.objects.create(
        name="Linia", when_open=Destination.objects.create(name="Menu", kind="menu", menu=menu)
    )
    CompanyNumber.objects.create(e164=OFFICE, label="Biuro", scenario=scenario, is_main=True)
    results: list[SippResult] = []
    callers: list[threading.Thread] = []
    with (
        phone("101", staff["101"][1], answers=False, registered=registered),
        phone("102", staff["102"][1], answers=True, registered=registered),
        two_workers(asterisk, tmp_path, STASIS_SWEEP_SECONDS="0.5") as app,
    ):
        served_by_second = None
        for attempt in range(4):  # until a caller reaches the second worker
            port = 5130 + attempt
            caller = threading.Thread(
                target=lambda port=port: results.append(
                    sipp_call(
                        "caller_stays.xml",
                        OFFICE,
                        CUSTOMER,
                        sip_port=settings.ASTERISK_SIP_PORT,
                        local_port=port,
                        timeout_s=60,
                        extra=("-mp", str(port * 2 + 10000)),
                    )
                )
            )
            caller.start()
            callers.append(caller)
            placed = attempt + 1

            def all_in_menu(placed: int = placed) -> bool:
                return Call.objects.filter(events__kind="menu").distinct().count() == placed

            wait_for(all_in_menu, 15)
            served_by_second = Call.objects.filter(stasis_worker=2).first()
            if served_by_second is not None:
                break
        assert served_by_second is not None, "no caller reached the second worker in four tries"
        scenario.when_open = queue("ring_all")
        scenario.save()
        tell_the_stasis_app()  # the first worker reads it at once
        time.sleep(1)
        report = read_report(health_file(worker_spool(tmp_path, 2)))
        assert report is not None
        os.kill(report.pid, signal.SIGKILL)
        wait_for(
            lambda: (
                (again := read_report(health_file(worker_spool(tmp_path, 2)))) is not None
                and again.pid != report.pid
                and again.connected
            ),
            20,
        )
        for caller in callers:
            caller.join(90)
        wait_for(lambda: not Call.objects.filter(ended_at__isnull=True).exists(), 30)
    output = app.output
    assert "passed call" in output, output[-5000:]
    assert [(r.successful, r.failed) for r in results] == [(1, 0)] * len(callers), [r.output[-2000:] for r in results]
    assert Call.objects.count() == len(callers)  # one row per caller: none started twice
    assert not Call.objects.filter(outcome=Call.Outcome.LOST).exists()
    passed = Call.objects.get(pk=served_by_second.pk)
    assert (passed.outcome, passed.answered_by, passed.stasis_worker) == (Call.Outcome.ANSWERED, "102", 1)
    kinds = [event.kind for event in passed.events.all()]
    resumed = passed.events.filter(kind="resumed")
    assert [event.detail["where"] for event in resumed] == ["entry"], kinds
    assert "ring_queue" in kinds[kinds.index("resumed") :], kinds
