"""What the reports count, as database aggregates: the same sums over calls (pbx.Call) and
over the summary's tallies (reports.CallTally), so a figure is the same whichever holds it.

Inbound calls only (what callers experienced). A call counts as answered in time when a
person took it within its queue's service level (Queue.service_level_seconds;
DEFAULT_SERVICE_LEVEL without a queue).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, ExtractHour, ExtractIsoWeekDay, TruncDate

from pbx.models import Call, Queue

from .periods import Period

DEFAULT_SERVICE_LEVEL = 20  # seconds, for calls that went through no queue
OUTCOMES = [o.value for o in Call.Outcome]
MEASURES = ("calls", "in_time", "gave_up", "gave_up_after", "waits", "waited", "waited_longest", "talked")
_ZERO = Value(timedelta(0), output_field=DurationField())


def inbound(calls: QuerySet[Call], period: Period) -> QuerySet[Call]:
    return calls.filter(direction=Call.Direction.INBOUND, started_at__gte=period.start, started_at__lt=period.end)


def service_levels() -> dict[int, int]:
    """Queue -> its service level in seconds (read once per report)."""
    return dict(Queue.objects.values_list("pk", "service_level_seconds"))


def in_time(levels: dict[int, int]) -> Q:
    """Answered by a person within the service level of the call's queue."""
    by_queue = Q(queue__isnull=True, waited__lte=timedelta(seconds=DEFAULT_SERVICE_LEVEL))
    for queue, seconds in levels.items():
        by_queue |= Q(queue=queue, waited__lte=timedelta(seconds=seconds))
    return Q(outcome=Call.Outcome.ANSWERED) & by_queue


def call_sums(levels: dict[int, int]) -> dict[str, Any]:
    """The measures over calls, by name (MEASURES)."""
    answered = Q(outcome=Call.Outcome.ANSWERED)
    gave_up = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())
    talked = ExpressionWrapper(F("ended_at") - F("connected_at"), output_field=DurationField())
    return {
        "calls": Count("pk"),
        "in_time": Count("pk", filter=in_time(levels)),
        "gave_up": Count("pk", filter=Q(abandoned=True)),
        "gave_up_after": Coalesce(Sum(gave_up, filter=Q(abandoned=True)), _ZERO),
        "waits": Count("waited", filter=answered),
        "waited": Coalesce(Sum("waited", filter=answered), _ZERO),
        "waited_longest": Max("waited", filter=answered),
        "talked": Coalesce(Sum(talked, filter=answered & Q(ended_at__isnull=False)), _ZERO),
    }


def tally_sums() -> dict[str, Any]:
    """The same measures over tallies."""
    sums: dict[str, Any] = {name: Sum(name) for name in MEASURES}
    sums["waited_longest"] = Max("waited_longest")
    return sums


# How the reports group calls (by the office's day and hour), and which of those groupings the
# summary keeps, as the CallTally column each becomes: both paths group alike by construction.
CALL_KEYS: dict[str, Any] = {
    "day": TruncDate("started_at"),
    "hour": ExtractHour("started_at"),
    "weekday": ExtractIsoWeekDay("started_at"),
    "called": F("called"),
    "queue": F("queue_id"),
    "answered_by": F("answered_by"),
    "outcome": F("outcome"),
}
TALLIED = {
    "day": "day",
    "hour": "hour",
    "called": "called",
    "queue": "queue_id",
    "answered_by": "answered_by",
    "outcome": "outcome",
}


def tally_rows(calls: QuerySet[Call]) -> QuerySet[Call, dict[str, Any]]:
    """`calls` grouped as the summary keeps them, every column named k_<column of CallTally>
    (reports/summary.py inserts them as they are)."""
    keys = {f"k_{column}": CALL_KEYS[key] for key, column in TALLIED.items()}
    measures = {f"k_{name}": aggregate for name, aggregate in call_sums(service_levels()).items()}
    return calls.order_by().values(**keys).annotate(**measures)
