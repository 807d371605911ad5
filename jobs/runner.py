"""The jobs a worker runs (`manage.py qcluster`; compose's `worker`), each a plain function of
the module that owns the work, wrapped here so that a failure is retried with back-off:

- the error is raised again, so django-q2 records the run as failed, with the traceback, in
  the admin (*Zadania w tle → Nieudane*);
- a one-off retry is scheduled after 1, 4, 16 and 64 minutes; after MAX_ATTEMPTS tries the
  job waits for its next scheduled run, and the log says so.

What runs when is in jobs/schedule.py.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
RETRY_PREFIX = "centrala retry: "


def backoff(attempt: int) -> timedelta:
    """After the first failure 1 minute, then 4, 16, 64 (at most 6 hours)."""
    return timedelta(minutes=min(4 ** (attempt - 1), 360))


def retried(work: Callable[[], str]) -> Callable[..., str]:
    """A daily job: retried with back-off, started once per office day."""
    return _retried(work, once_a_day=True)


def retried_hourly(work: Callable[[], str]) -> Callable[..., str]:
    return _retried(work, once_a_day=False)


def _retried(work: Callable[[], str], once_a_day: bool) -> Callable[..., str]:
    @functools.wraps(work)
    def run(attempt: int = 1) -> str:
        from django.db import IntegrityError, transaction

        from .models import DailyRun

        if once_a_day and attempt == 1:  # a scheduled start: once per office day (retries always run)
            try:
                with transaction.atomic():
                    DailyRun.objects.create(job=work.__name__, day=timezone.localdate(), started_at=timezone.now())
            except IntegrityError:
                with translation.override(settings.LANGUAGE_CODE):
                    return _("not run: it ran already today")
        try:
            with translation.override(settings.LANGUAGE_CODE):
                return work()
        except Exception as error:
            from django_q.models import Schedule
            from django_q.tasks import schedule

            name = work.__name__
            if attempt < MAX_ATTEMPTS:
                at = timezone.now() + backoff(attempt)
                schedule(
                    f"jobs.runner.{name}",
                    attempt=attempt + 1,
                    name=f"{RETRY_PREFIX}{name}, try {attempt + 1} of {MAX_ATTEMPTS}",
                    schedule_type=Schedule.ONCE,
                    next_run=at,
                )
                log.warning("job %s failed (try %d): %s; trying again at %s", name, attempt, error, at)
            else:
                log.error("job %s failed %d times (%s); it waits for its next scheduled run", name, attempt, error)
            raise

    return run


# Each job says what it did in a sentence of the office's language (the admin shows it).


def deliver_webhooks() -> str:
    """Every minute and after each change that queued deliveries. Not retried here and not once
    a day: a receiver's failure is the delivery's own (api/webhooks.py), and the next run is
    soon."""
    from api.webhooks import deliver_all_due

    with translation.override(settings.LANGUAGE_CODE):
        return _("webhook deliveries tried: %(n)d") % {"n": deliver_all_due()}


@retried
def summarise_calls() -> str:
    from reports.summary import summarise_closed_days

    counted = summarise_closed_days()
    return _("%(days)d days counted for the reports (%(calls)d calls)") % {
        "days": len(counted),
        "calls": sum(counted.values()),
    }


@retried
def apply_retention() -> str:
    from compliance.retention import do_apply_retention

    result = do_apply_retention(apply=True)
    return _("%(deleted)d recordings deleted, %(held)d kept on legal hold, %(orphans)d stray files removed") % {
        "deleted": result.deleted,
        "held": result.held,
        "orphans": result.orphan_files,
    }


@retried
def send_digests() -> str:
    from voicemail.digests import do_send_digests

    return _("missed-call digests sent: %(n)d") % {"n": do_send_digests()}


@retried
def send_monthly_report() -> str:
    from reports.monthly import do_send_monthly_report

    if do_send_monthly_report():
        return _("last month's report sent")
    return _("no report to send: sent already this month, or no office manager has an e-mail address")


@retried
def porting_reminders() -> str:
    from company_numbers.porting.reminders import do_send_reminders

    return _("porting reminders sent: %(n)d") % {"n": len(do_send_reminders())}


@retried_hourly
def forget_old_exports() -> str:
    from reports.exports import forget_old_exports

    return _("old call list exports deleted: %(n)d") % {"n": forget_old_exports()}
