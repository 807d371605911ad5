"""The period a report covers, in the office's time zone: a day, an ISO week (Monday to
Sunday), a calendar month, or any range of whole days; and the period before it, of the
same kind, for the trend."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

KINDS = ("day", "week", "month", "custom")
LONGEST_DAYS = 3 * 366  # a custom range longer than this is refused: say what to do instead


class PeriodError(ValueError):
    """A period that cannot be reported on, in a sentence for the person who asked."""


@dataclass(frozen=True)
class Period:
    kind: str
    first: date  # the first day covered
    last: date  # the last day covered (inclusive)

    @classmethod
    def around(cls, kind: str, day: date) -> Period:
        """The day, week or month that holds `day`."""
        if kind == "day":
            return cls(kind, day, day)
        if kind == "week":
            monday = day - timedelta(days=day.weekday())
            return cls(kind, monday, monday + timedelta(days=6))
        if kind == "month":
            return cls(kind, day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1]))
        raise PeriodError(_("Unknown kind of period: %(kind)s.") % {"kind": kind})

    @classmethod
    def custom(cls, first: date, last: date) -> Period:
        if last < first:
            raise PeriodError(_("The period ends (%(last)s) before it starts (%(first)s).") % _days(first, last))
        if (last - first).days >= LONGEST_DAYS:
            raise PeriodError(_("A period can cover at most three years; choose a shorter one."))
        return cls("custom", first, last)

    @property
    def start(self) -> datetime:
        """Local midnight that opens the period (aware)."""
        return timezone.make_aware(datetime.combine(self.first, time.min))

    @property
    def end(self) -> datetime:
        """Local midnight after its last day (aware; excluded)."""
        return timezone.make_aware(datetime.combine(self.last + timedelta(days=1), time.min))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period just before, of the same kind and length (the month before for a month)."""
        if self.kind == "month":
            return Period.around("month", self.first - timedelta(days=1))
        return Period(self.kind, self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def label(self) -> str:
        if self.kind == "day":
            return date_format(self.first, "l, j E Y")
        if self.kind == "month":
            return date_format(self.first, "F Y")
        return f"{date_format(self.first, 'j E Y')} - {date_format(self.last, 'j E Y')}"


def _days(first: date, last: date) -> dict[str, str]:
    return {"first": date_format(first, "j E Y"), "last": date_format(last, "j E Y")}
