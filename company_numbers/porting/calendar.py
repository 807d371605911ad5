"""Polish working days: Monday to Friday, minus public holidays (the `holidays` package,
which knows that Christmas Eve is a day off from 2025)."""

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.Poland(years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(day: date, count: int) -> date:
    """The working day `count` working days after `day` (`day` itself is not counted)."""
    if count < 0:
        raise ValueError("count must not be negative")
    while count:
        day += timedelta(days=1)
        count -= is_working_day(day)
    return day


def next_working_day(day: date) -> date:
    """`day` if it is a working day, else the first one after it (a deadline on a day off moves on)."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day
