"""The numbers a report shows, counted by the database from the call history.

Inbound calls only (what callers experienced). Every call has one outcome, so the outcomes
add up to the calls; "gave up waiting" (hung up while the firm's phones rang or in a queue)
is part of "missed". A call counts as answered in time when a person took it within its
queue's service level (Queue.service_level_seconds; DEFAULT_SERVICE_LEVEL without a queue).

Each figure is one aggregate over an index on (direction, started_at): a year of a million
calls is one scan, not a query per row (bench/data_scale.py prints the times).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Max, Q, QuerySet, Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate

from pbx.models import Call, CallbackTask, Queue

from .periods import Period

DEFAULT_SERVICE_LEVEL = 20  # seconds, for calls that went through no queue

OUTCOMES = [o.value for o in Call.Outcome]
SHOWN = ("answered", "voicemail", "missed")  # the rest are listed by name as "other"


@dataclass
class Figures:
    calls: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    answered_in_time: int = 0
    abandoned: int = 0
    abandoned_after: float | None = None  # average seconds before giving up
    wait_average: float | None = None  # seconds to be answered by a person
    wait_longest: float | None = None
    talk_total: float = 0.0  # seconds
    called_back: int = 0  # calls with a callback done
    callback_after: float | None = None  # average seconds from the request to the callback

    @property
    def answered(self) -> int:
        return self.outcomes.get("answered", 0)

    @property
    def voicemail(self) -> int:
        return self.outcomes.get("voicemail", 0)

    @property
    def missed(self) -> int:
        return self.outcomes.get("missed", 0)

    @property
    def others(self) -> list[tuple[str, int]]:
        """(outcome, count) of every other outcome that occurred: the rows then add up."""
        return [(o, n) for o, n in self.outcomes.items() if o not in SHOWN and n]

    @property
    def talk_average(self) -> float | None:
        return self.talk_total / self.answered if self.answered else None

    def share(self, part: int) -> int:
        return round(100 * part / self.calls) if self.calls else 0

    @property
    def service_level(self) -> int:
        return self.share(self.answered_in_time)


def inbound(calls: QuerySet[Call], period: Period) -> QuerySet[Call]:
    return calls.filter(direction=Call.Direction.INBOUND, started_at__gte=period.start, started_at__lt=period.end)


def in_time() -> Q:
    """Answered by a person within the service level of the call's queue."""
    levels = dict(Queue.objects.values_list("pk", "service_level_seconds"))
    by_queue = Q(queue__isnull=True, waited__lte=timedelta(seconds=DEFAULT_SERVICE_LEVEL))
    for queue, seconds in levels.items():
        by_queue |= Q(queue=queue, waited__lte=timedelta(seconds=seconds))
    return Q(outcome=Call.Outcome.ANSWERED) & by_queue


def _aggregates(level: Q) -> dict[str, Any]:
    gave_up = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())
    talked = ExpressionWrapper(F("ended_at") - F("connected_at"), output_field=DurationField())
    return {
        "calls": Count("pk"),
        **{f"o_{o}": Count("pk", filter=Q(outcome=o)) for o in OUTCOMES},
        "in_time": Count("pk", filter=level),
        "gave_up": Count("pk", filter=Q(abandoned=True)),
        "abandoned_after": Avg(gave_up, filter=Q(abandoned=True)),
        "wait_average": Avg("waited", filter=Q(outcome=Call.Outcome.ANSWERED)),
        "wait_longest": Max("waited", filter=Q(outcome=Call.Outcome.ANSWERED)),
        "talk_total": Sum(talked, filter=Q(outcome=Call.Outcome.ANSWERED, ended_at__isnull=False)),
    }


def _seconds(value: timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None


def _figures(row: dict[str, Any]) -> Figures:
    return Figures(
        calls=row["calls"],
        outcomes={o: row[f"o_{o}"] for o in OUTCOMES},
        answered_in_time=row["in_time"],
        abandoned=row["gave_up"],
        abandoned_after=_seconds(row["abandoned_after"]),
        wait_average=_seconds(row["wait_average"]),
        wait_longest=_seconds(row["wait_longest"]),
        talk_total=_seconds(row["talk_total"]) or 0.0,
    )


def totals(calls: QuerySet[Call]) -> Figures:
    """The figures of `calls` (already limited to a period and a scope)."""
    figures = _figures(calls.aggregate(**_aggregates(in_time())))
    done = CallbackTask.objects.filter(call__in=calls.values("pk"), status=CallbackTask.Status.DONE)
    after = ExpressionWrapper(F("done_at") - F("requested_at"), output_field=DurationField())
    callbacks = done.aggregate(n=Count("call", distinct=True), after=Avg(after))
    figures.called_back, figures.callback_after = callbacks["n"], _seconds(callbacks["after"])
    return figures


BREAKDOWNS = {"number": "called", "queue": "queue", "person": "answered_by"}


def by(calls: QuerySet[Call], what: str) -> list[tuple[Any, Figures]]:
    """The figures per company number called, per queue, or per person who answered, busiest
    first (calls no queue or person had are left out of those two)."""
    column = BREAKDOWNS[what]
    if what == "queue":
        calls = calls.filter(queue__isnull=False)
    elif what == "person":
        calls = calls.exclude(answered_by="")
    rows = calls.order_by().values(column).annotate(**_aggregates(in_time()))
    result = [(row[column], _figures(row)) for row in rows]
    return sorted(result, key=lambda pair: (-pair[1].calls, str(pair[0])))


def heatmap(calls: QuerySet[Call]) -> list[list[int]]:
    """Calls per weekday (Monday first) and hour of the office's day: 7 rows of 24."""
    grid = [[0] * 24 for _ in range(7)]
    rows = (
        calls.order_by()
        .annotate(day=ExtractIsoWeekDay("started_at"), hour=ExtractHour("started_at"))
        .values("day", "hour")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        grid[row["day"] - 1][row["hour"]] += row["n"]
    return grid


def per_day(calls: QuerySet[Call], period: Period) -> list[tuple[date, dict[str, int]]]:
    """Each day of the period (the office's days, none left out) with its calls by outcome:
    answered, voicemail, missed and "other" (the rest)."""
    counts: dict[date, dict[str, int]] = {
        period.first + timedelta(days=n): dict.fromkeys((*SHOWN, "other"), 0) for n in range(period.days)
    }
    rows = calls.order_by().annotate(day=TruncDate("started_at")).values("day", "outcome").annotate(n=Count("pk"))
    for row in rows:
        if row["day"] in counts:
            key = row["outcome"] if row["outcome"] in SHOWN else "other"
            counts[row["day"]][key] += row["n"]
    return sorted(counts.items())
