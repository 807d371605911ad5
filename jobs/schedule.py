"""What runs when: Centrala's scheduled jobs, as django-q2 schedules with cron expressions in
the office's time zone (TIME_ZONE, Europe/Warsaw: 02:00 is 02:00 in winter and in summer).

`ensure_schedules` runs after every migrate: it creates each schedule, corrects one whose
timing was changed here, and removes Centrala's schedules that are no longer listed. The
schedules are not for the office manager to edit: they live in this file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from croniter import croniter
from django.utils import timezone
from django.utils.translation import gettext_noop

PREFIX = "centrala: "  # the schedules this file owns, by name


@dataclass(frozen=True)
class Job:
    name: str  # also its function in jobs/runner.py
    cron: str  # minute hour day month weekday, in the office's time zone
    title: str  # in the admin (translated)


JOBS = [
    Job("deliver_webhooks", "* * * * *", gettext_noop("send the webhooks that are due (retries)")),
    Job("forget_old_exports", "5 * * * *", gettext_noop("delete call list exports older than a day")),
    Job("summarise_calls", "30 1 * * *", gettext_noop("count yesterday's calls for the reports")),
    Job("apply_retention", "0 2 * * *", gettext_noop("delete recordings past their retention period")),
    Job("send_digests", "0 7 * * *", gettext_noop("e-mail the missed-call digests")),
    Job("send_monthly_report", "15 7 * * *", gettext_noop("e-mail last month's report (once a month)")),
    Job("porting_reminders", "0 8 * * *", gettext_noop("e-mail porting deadlines coming up")),
]


def next_run(cron: str, after: datetime | None = None) -> datetime:
    """The next moment `cron` names, in the office's time zone."""
    start = timezone.localtime(after) if after is not None else timezone.localtime()
    return croniter(cron, start).get_next(datetime)


def ensure_schedules(*args: Any, app_config: Any = None, **kwargs: Any) -> None:
    if app_config is not None and app_config.label != "django_q":
        return
    from django_q.models import Schedule

    wanted = {PREFIX + job.name: job for job in JOBS}
    Schedule.objects.filter(name__startswith=PREFIX).exclude(name__in=list(wanted)).delete()
    for name, job in wanted.items():
        func = f"jobs.runner.{job.name}"
        current = Schedule.objects.filter(name=name).first()
        if current is not None and (current.func, current.cron, current.schedule_type) == (func, job.cron, "C"):
            continue
        Schedule.objects.update_or_create(
            name=name,
            defaults={
                "func": func,
                "schedule_type": Schedule.CRON,
                "cron": job.cron,
                "repeats": -1,
                "next_run": next_run(job.cron),
            },
        )
