"""The numbers a report shows: inbound calls of a period in a scope (what callers
experienced), as Figures. Every call has one outcome, so the outcomes add up to the calls;
"gave up waiting" (hung up while the firm's phones rang or in a queue) is part of "missed".

Where the person may see every call, the closed days of the period come from the summary
(reports/summary.py: a year is a few hundred thousand tallies, not a million calls) and only
the open days (today, a day with a call still going on) from the calls; a team's report
counts its calls. Both give the same sums (reports/counting.py), so the figures agree
(bench/data_scale.py prints the times; tests compare both paths on the hand-counted week).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, QuerySet
from django.db.models.functions import ExtractIsoWeekDay

from pbx.models import Call, CallbackTask

from . import counting, summary
from .counting import DEFAULT_SERVICE_LEVEL, OUTCOMES
from .models import CallTally
from .periods import Period

__all__ = ["DEFAULT_SERVICE_LEVEL", "OUTCOMES", "Figures", "Report", "by", "heatmap", "per_day", "totals"]

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


@dataclass
class Sums:
    """What the figures are worked out from; sums from calls and from tallies add up."""

    calls: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    in_time: int = 0
    gave_up: int = 0
    gave_up_after: timedelta = timedelta(0)
    waits: int = 0
    waited: timedelta = timedelta(0)
    waited_longest: timedelta | None = None
    talked: timedelta = timedelta(0)

    @classmethod
    def of(cls, row: dict[str, Any]) -> Sums:
        return cls(
            calls=row["m_calls"] or 0,
            outcomes={row["g_outcome"]: row["m_calls"] or 0},
            in_time=row["m_in_time"] or 0,
            gave_up=row["m_gave_up"] or 0,
            gave_up_after=row["m_gave_up_after"] or timedelta(0),
            waits=row["m_waits"] or 0,
            waited=row["m_waited"] or timedelta(0),
            waited_longest=row["m_waited_longest"],
            talked=row["m_talked"] or timedelta(0),
        )

    def __add__(self, other: Sums) -> Sums:
        longest = [w for w in (self.waited_longest, other.waited_longest) if w is not None]
        return Sums(
            calls=self.calls + other.calls,
            outcomes={o: self.outcomes.get(o, 0) + other.outcomes.get(o, 0) for o in OUTCOMES},
            in_time=self.in_time + other.in_time,
            gave_up=self.gave_up + other.gave_up,
            gave_up_after=self.gave_up_after + other.gave_up_after,
            waits=self.waits + other.waits,
            waited=self.waited + other.waited,
            waited_longest=max(longest) if longest else None,
            talked=self.talked + other.talked,
        )

    def figures(self) -> Figures:
        return Figures(
            calls=self.calls,
            outcomes={o: self.outcomes.get(o, 0) for o in OUTCOMES},
            answered_in_time=self.in_time,
            abandoned=self.gave_up,
            abandoned_after=self.gave_up_after.total_seconds() / self.gave_up if self.gave_up else None,
            wait_average=self.waited.total_seconds() / self.waits if self.waits else None,
            wait_longest=self.waited_longest.total_seconds() if self.waited_longest is not None else None,
            talk_total=self.talked.total_seconds(),
        )


# How each grouping reads on tallies (on calls: counting.CALL_KEYS).
_TALLY_KEYS: dict[str, Any] = {
    "day": F("day__day"),
    "hour": F("hour"),
    "weekday": ExtractIsoWeekDay("day__day"),
    "called": F("called"),
    "queue": F("queue_id"),
    "answered_by": F("answered_by"),
    "outcome": F("outcome"),
}


@dataclass
class Report:
    """The inbound calls of `period` among `visible`, narrowed by `scope` (called, queue,
    answered_by). `summarised`: `visible` is every call, so closed days may come from the
    summary."""

    visible: QuerySet[Call]
    period: Period
    scope: dict[str, Any] = field(default_factory=dict)
    summarised: bool = False
    first_open: date | None = None  # the first day not closed, when already known (one query)

    @cached_property
    def calls(self) -> QuerySet[Call]:
        """Every call the report counts (for links, exports and callbacks)."""
        return counting.inbound(self.visible, self.period).filter(**self.scope)

    def before(self) -> Report:
        """The period before, for comparison: it shares the first open day once asked."""
        return Report(self.visible, self.period.previous(), self.scope, self.summarised, self._first_open)

    @cached_property
    def _first_open(self) -> date | None:
        if not self.summarised:
            return None
        return self.first_open or summary.first_open_day()

    @cached_property
    def _parts(self) -> tuple[QuerySet[CallTally] | None, QuerySet[Call]]:
        """The tallies of the closed days (counted now if need be) and the calls of the rest."""
        if not self.summarised:
            return None, self.calls
        until = summary.covered_until(self.period, self._first_open)
        if until <= self.period.first:
            return None, self.calls
        tallies = CallTally.objects.filter(day__gte=self.period.first, day__lt=until, **self.scope)
        open_days = Period("custom", until, self.period.last) if until <= self.period.last else None
        calls = counting.inbound(self.visible, open_days).filter(**self.scope) if open_days else Call.objects.none()
        return tallies, calls

    @cached_property
    def _levels(self) -> dict[int, int]:
        return counting.service_levels()

    def sums(self, *keys: str) -> dict[tuple[Any, ...], Sums]:
        """The sums per combination of `keys` (none: one line, keyed ()). Rows come per
        outcome too: a few more rows, but one sum per measure instead of one per outcome."""
        tallies, calls = self._parts
        out: dict[tuple[Any, ...], Sums] = {}
        parts: list[tuple[QuerySet[Any], dict[str, Any], dict[str, Any]]] = [
            (calls, counting.CALL_KEYS, _named(counting.call_sums(self._levels)))
        ]
        if tallies is not None:
            parts.append((tallies, _TALLY_KEYS, _named(counting.tally_sums())))
        for rows, names, aggregates in parts:
            grouping = {f"g_{k}": names[k] for k in (*keys, "outcome")}
            for row in rows.order_by().values(**grouping).annotate(**aggregates):
                key = tuple(row[f"g_{k}"] for k in keys)
                out[key] = out[key] + Sums.of(row) if key in out else Sums.of(row)
        return out


def _named(measures: dict[str, Any]) -> dict[str, Any]:
    """Aliases that no column of a call or a tally has (Django refuses those)."""
    return {f"m_{name}": aggregate for name, aggregate in measures.items()}


def totals(report: Report) -> Figures:
    """The figures of the whole report, callbacks included."""
    figures = report.sums().get((), Sums()).figures()
    done = CallbackTask.objects.filter(call__in=report.calls.values("pk"), status=CallbackTask.Status.DONE)
    after = ExpressionWrapper(F("done_at") - F("requested_at"), output_field=DurationField())
    callbacks = done.aggregate(n=Count("call", distinct=True), after=Avg(after))
    figures.called_back = callbacks["n"]
    figures.callback_after = callbacks["after"].total_seconds() if callbacks["after"] is not None else None
    return figures


BREAKDOWNS = {"number": "called", "queue": "queue", "person": "answered_by"}


def by(report: Report, what: str) -> list[tuple[Any, Figures]]:
    """The figures per company number called, per queue (its id), or per person who answered,
    busiest first (calls no queue or person had are left out of those two)."""
    rows = report.sums(BREAKDOWNS[what])
    result = [(key, s.figures()) for (key,), s in rows.items() if what == "number" or key not in (None, "")]
    return sorted(result, key=lambda pair: (-pair[1].calls, str(pair[0])))


def heatmap(report: Report) -> list[list[int]]:
    """Calls per weekday (Monday first) and hour of the office's day: 7 rows of 24."""
    grid = [[0] * 24 for _ in range(7)]
    for (day, hour), s in report.sums("weekday", "hour").items():
        grid[day - 1][hour] += s.calls
    return grid


def per_day(report: Report) -> list[tuple[date, dict[str, int]]]:
    """Each day of the period (the office's days, none left out) with its calls by outcome:
    answered, voicemail, missed and "other" (the rest)."""
    period = report.period
    counts: dict[date, dict[str, int]] = {
        period.first + timedelta(days=n): dict.fromkeys((*SHOWN, "other"), 0) for n in range(period.days)
    }
    for (day,), s in report.sums("day").items():
        if day in counts:
            for outcome, n in s.outcomes.items():
                counts[day][outcome if outcome in SHOWN else "other"] += n
    return sorted(counts.items())
