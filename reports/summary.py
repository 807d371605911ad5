"""The reports' summary: the inbound calls of each closed office day counted once into
CallTally rows (one per hour, number called, queue, person who answered and outcome), so a
report over a year reads a few hundred thousand tallies instead of a million calls.

- A day is closed when it is over in the office's time zone and none of its calls is still
  going on. Today, and a day with a call still going on, are always counted from the calls.
- A closed day is counted the first time a report (or the nightly `summarise_calls`) needs
  it, in one INSERT ... SELECT, and never twice: the SummarisedDay row is created first,
  inside the same transaction, and a second process waits for it and then skips the day.
- A call of a counted day that is written or deleted afterwards (a fact replayed from the
  spool after a database outage, a deletion in the admin) deletes that day's summary through
  the signals below; the next report counts the day again. Calls changed with a bulk
  `update()` are not seen: `summarise_calls --again` recounts a range.
- Whether a call was answered in time is decided with its queue's service level as it is
  when the day is counted: changing a level later does not rewrite past days.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Min, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from pbx.models import Call

from . import counting
from .models import CallTally, SummarisedDay
from .periods import Period

COLUMNS = (*counting.TALLIED.values(), *counting.MEASURES)  # as CallTally's table names them


def first_open_day() -> date:
    """The first office day that is not closed: today, or the day of the oldest call still
    going on (a partial index holds only those)."""
    today = timezone.localdate()
    oldest = Call.objects.filter(ended_at__isnull=True).aggregate(oldest=Min("started_at"))["oldest"]
    return min(today, timezone.localdate(oldest)) if oldest is not None else today


def covered_until(period: Period, first_open: date | None = None) -> date:
    """Count the closed days of `period` not counted yet; the summary then holds every day
    from `period.first` up to the day returned (excluded), which is where the calls take over.
    `first_open`: `first_open_day()`, when the caller has it already."""
    stop = min(first_open or first_open_day(), period.last + timedelta(days=1))
    if stop <= period.first:
        return period.first
    _count_missing(period.first, stop)
    return stop


def summarise(days: list[date]) -> dict[date, int]:
    """Count the calls of `days` (closed days not counted yet) into tallies, in one
    transaction. Returns the calls counted per day; a day another process counts at the same
    time is left to it."""
    now = timezone.now()
    with transaction.atomic():
        mine = []
        for day in sorted(days):
            try:
                with transaction.atomic():
                    SummarisedDay.objects.create(day=day, built_at=now, calls=0)
            except IntegrityError:
                continue  # counted meanwhile by another process
            mine.append(day)
        if not mine:
            return {}
        span = Period("custom", mine[0], mine[-1])  # any length: the first run counts years
        rows = counting.tally_rows(counting.inbound(Call.objects.all(), span))
        inner, params = rows.query.sql_with_params()
        marks = ", ".join(["%s"] * len(mine))
        selected = ", ".join(f"t.k_{name}" for name in COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {CallTally._meta.db_table} ({', '.join(COLUMNS)}) "  # the names are ours
                f"SELECT {selected} FROM ({inner}) t WHERE t.k_day IN ({marks})",
                [*params, *(connection.ops.adapt_datefield_value(d) for d in mine)],
            )
        counted = CallTally.objects.filter(day=OuterRef("pk")).values("day").annotate(n=Sum("calls")).values("n")
        SummarisedDay.objects.filter(day__in=mine).update(calls=Coalesce(Subquery(counted), 0))
        return dict(SummarisedDay.objects.filter(day__in=mine).values_list("day", "calls"))


def summarise_closed_days() -> dict[date, int]:
    """Count every closed day not counted yet, from the oldest call's (the nightly job)."""
    oldest = Call.objects.filter(direction=Call.Direction.INBOUND).aggregate(m=Min("started_at"))["m"]
    if oldest is None:
        return {}
    return _count_missing(timezone.localdate(oldest), first_open_day())


def _count_missing(first: date, stop: date) -> dict[date, int]:
    """Count the days from `first` up to `stop` (excluded; all closed) not counted yet."""
    have = set(SummarisedDay.objects.filter(day__gte=first, day__lt=stop).values_list("day", flat=True))
    days = (first + timedelta(days=n) for n in range((stop - first).days))
    missing = [day for day in days if day not in have]
    return summarise(missing) if missing else {}


def forget(days: list[date]) -> int:
    """Drop the summary of `days`: the next report counts them again from the calls."""
    deleted, _ = SummarisedDay.objects.filter(day__in=days).delete()
    return deleted


def forget_day_of(sender: Any, instance: Call, **kwargs: Any) -> None:
    """A call was written or deleted: if its day was counted, the count is out of date.
    Today's calls (nearly every write) cost nothing: today is never counted."""
    day = timezone.localdate(instance.started_at)
    if day < timezone.localdate():
        SummarisedDay.objects.filter(day=day).delete()
