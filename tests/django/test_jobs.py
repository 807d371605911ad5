"""Background jobs (jobs/): the schedules in the office's time (clock changes included), put
right by every migrate; a failing job recorded with its error and retried with back-off; and
on PostgreSQL with real workers (`manage.py qcluster`): two workers run a due job once, and a
job whose worker is killed mid-run is finished by the other."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone
from django_q.models import Failure, Schedule, Success
from django_q.tasks import async_task

from jobs import runner
from jobs.models import DailyRun
from jobs.schedule import JOBS, PREFIX, ensure_schedules, next_run
from tests.conftest import signed_in

ROOT = Path(__file__).resolve().parents[2]
WARSAW = ZoneInfo("Europe/Warsaw")


def local(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=WARSAW)


@pytest.mark.django_db
def test_every_job_is_scheduled_in_office_time_and_migrate_puts_the_schedules_right():
    schedules = {s.name: s for s in Schedule.objects.filter(name__startswith=PREFIX)}
    assert set(schedules) == {PREFIX + job.name for job in JOBS}
    retention = schedules[PREFIX + "apply_retention"]
    assert (retention.func, retention.cron) == ("jobs.runner.apply_retention", "0 2 * * *")
    at = timezone.localtime(retention.next_run)
    assert (at.hour, at.minute) == (2, 0) and timezone.now() < retention.next_run <= timezone.now() + timedelta(days=1)
    # changed by hand, a job no longer listed, and a retry waiting: the next migrate mends the
    # first, drops the second and keeps the retry
    Schedule.objects.filter(pk=retention.pk).update(cron="0 14 * * *")
    Schedule.objects.create(name=PREFIX + "gone", func="jobs.runner.gone", schedule_type="C", cron="0 3 * * *")
    Schedule.objects.create(
        name=runner.RETRY_PREFIX + "apply_retention, try 2 of 5", func="jobs.runner.apply_retention"
    )
    ensure_schedules()
    assert Schedule.objects.get(pk=retention.pk).cron == "0 2 * * *"
    assert not Schedule.objects.filter(name=PREFIX + "gone").exists()
    assert Schedule.objects.filter(name__startswith=runner.RETRY_PREFIX).count() == 1


@pytest.mark.django_db
def test_a_daily_job_runs_once_a_day_at_its_office_hour_whatever_the_clocks_do(monkeypatch):
    autumn = next_run("0 2 * * *", after=local(2026, 10, 24, 12))
    assert autumn == local(2026, 10, 25, 2) and autumn.utcoffset() == timedelta(hours=2)
    # The clocks go back at 03:00: the schedule names 02:00 again, an hour later (CET) ...
    again = next_run("0 2 * * *", after=autumn)
    assert again == local(2026, 10, 25, 2).replace(fold=1) and again.utcoffset() == timedelta(hours=1)
    # ... and that second start does nothing: one run per office day
    runs: list[bool] = []

    def counted(apply: bool) -> _Result:
        runs.append(apply)
        return _Result()

    monkeypatch.setattr("compliance.retention.do_apply_retention", counted)
    for moment in (autumn, again, next_run("0 2 * * *", after=again)):
        monkeypatch.setattr(timezone, "now", lambda moment=moment: moment)
        runner.apply_retention()
    assert runs == [True, True]  # the 25th once, the 26th once
    assert [(r.job, r.day.isoformat()) for r in DailyRun.objects.order_by("day")] == [
        ("apply_retention", "2026-10-25"),
        ("apply_retention", "2026-10-26"),
    ]
    spring = next_run("0 2 * * *", after=local(2027, 3, 27, 12))  # 02:00 does not exist on the 28th
    assert timezone.localtime(spring).date() == datetime(2027, 3, 28).date()
    assert [runner.backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 4, 16, 64)]


class _Result:
    deleted, held, orphan_files = 0, 0, 0


@pytest.mark.django_db
def test_a_failing_job_is_tried_again_with_back_off_then_waits_for_its_next_run(monkeypatch):
    def unreachable(apply: bool) -> None:
        raise OSError("recordings storage unreachable: no route to host")

    monkeypatch.setattr("compliance.retention.do_apply_retention", unreachable)
    before = timezone.now()
    with pytest.raises(OSError, match="no route to host"):  # raised: the worker records the failure
        runner.apply_retention()
    retry = Schedule.objects.get(name__startswith=runner.RETRY_PREFIX)
    assert retry.name == runner.RETRY_PREFIX + "apply_retention, try 2 of 5"
    assert (retry.func, retry.schedule_type, retry.kwargs) == ("jobs.runner.apply_retention", "O", "{'attempt': 2}")
    assert before + timedelta(seconds=59) < retry.next_run < timezone.now() + timedelta(seconds=61)
    with pytest.raises(OSError, match="no route to host"):
        runner.apply_retention(attempt=4)
    assert Schedule.objects.filter(name=runner.RETRY_PREFIX + "apply_retention, try 5 of 5").exists()
    with pytest.raises(OSError, match="no route to host"):  # the fifth try: no sixth, tomorrow's run
        runner.apply_retention(attempt=5)
    assert Schedule.objects.filter(name__startswith=runner.RETRY_PREFIX).count() == 2


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """Two workers as deployed (`manage.py qcluster`) on the test database; short timeouts so a
    job whose worker died is handed out again within the test."""
    db = settings.DATABASES["default"]
    broken = tmp_path / "media-is-a-file"
    broken.write_text("")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(**db),
        "JOB_TIMEOUT": "15",
        "JOB_RETRY": "20",
        "JOB_WORKERS": "1",
        # the recordings' folder is a file: the retention run fails there as on a broken mount
        "CENTRALA_MEDIA_ROOT": str(broken),
    }
    started = {}
    for name in ("a", "b"):
        with (tmp_path / f"{name}.log").open("wb") as log:
            started[name] = subprocess.Popen(
                [sys.executable, "manage.py", "qcluster"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed whole, as a crashed container
            )
    try:
        yield started
    finally:
        for proc in started.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _wait(what: str, check, seconds: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    pytest.fail(f"waited {seconds:.0f} s for {what}")


def _ancestors(pid: int) -> set[int]:
    found = set()
    while pid > 1:
        found.add(pid)
        pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    return found


@pytest.mark.django_db(transaction=True)
def test_two_workers_run_a_due_job_once_and_one_killed_mid_job_leaves_it_to_the_other(workers, tmp_path):
    Schedule.objects.filter(name=PREFIX + "summarise_calls").update(next_run=timezone.now() - timedelta(seconds=1))
    _wait("the due job", lambda: Success.objects.filter(group=PREFIX + "summarise_calls").exists(), 75)
    time.sleep(3)  # the other worker had its chance too
    assert Success.objects.filter(group=PREFIX + "summarise_calls").count() == 1
    assert timezone.localtime(Schedule.objects.get(name=PREFIX + "summarise_calls").next_run).hour == 1
    # a job in progress when its worker dies (kill -9 of the whole worker) is run again by the other
    folder = tmp_path / "probe"
    folder.mkdir()
    async_task("tests.django.job_probe.slow", 6, str(folder))
    _wait("the probe job to start", lambda: any(folder.glob("started-*")), 30)
    runner_pid = int(next(folder.glob("started-*")).name.split("-")[1])
    (victim,) = [name for name, proc in workers.items() if proc.pid in _ancestors(runner_pid)]
    os.killpg(workers[victim].pid, signal.SIGKILL)
    _wait("the other worker to finish the job", lambda: Success.objects.filter(func__endswith="slow").exists(), 60)
    done_by = {int(p.name.split("-")[1]) for p in folder.glob("done-*")}
    assert runner_pid not in done_by and len(done_by) == 1
    assert workers["b" if victim == "a" else "a"].poll() is None


@pytest.mark.django_db(transaction=True)
def test_a_job_that_fails_on_a_worker_is_shown_in_the_admin_with_its_error(workers, client, django_user_model):
    async_task("jobs.runner.apply_retention")
    _wait("the failure to be recorded", lambda: Failure.objects.filter(func="jobs.runner.apply_retention").exists(), 30)
    failure = Failure.objects.get(func="jobs.runner.apply_retention")
    assert "Not a directory" in str(failure.result)
    assert Schedule.objects.filter(name=runner.RETRY_PREFIX + "apply_retention, try 2 of 5").exists()
    admin = django_user_model.objects.create_superuser("it", "it@firma.test", "x")
    signed_in(client, admin)
    listed = client.get("/admin/jobs/failedjob/", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "usuń nagrania po okresie przechowywania" in listed and "Not a directory" in listed
    page = client.get(f"/admin/jobs/failedjob/{failure.pk}/change/", HTTP_ACCEPT_LANGUAGE="pl")
    assert (
        page.status_code == 200 and "Traceback" in page.content.decode() and "Not a directory" in page.content.decode()
    )
    assert client.get(f"/admin/django_q/failure/{failure.pk}/change/").status_code == 404  # the vendor's screen is gone
