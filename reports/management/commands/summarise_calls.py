"""`manage.py summarise_calls`: count every closed day not counted yet into the reports'
summary (reports/summary.py); the scheduler runs it nightly, so a report never waits for it.
`--again FIRST LAST` drops those days' counts and counts them again (after calls were
changed in bulk, or to apply a new service level to past days)."""

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports import summary


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a day; write it as YYYY-MM-DD, e.g. 2026-11-30") from None


class Command(BaseCommand):
    help = "Count the calls of every closed day not counted yet into the reports' summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--again", nargs=2, metavar=("FIRST", "LAST"), help="count these days (YYYY-MM-DD) again from the calls"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = summary.first_open_day()
        if options["again"]:
            first, last = (_day(text) for text in options["again"])
            if last < first:
                raise CommandError(f"the range ends ({last}) before it starts ({first})")
            days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
            dropped = summary.forget(days)
            self.stdout.write(f"dropped the counts of {dropped} rows for {first} to {last}")
            counted = summary.summarise([d for d in days if d < stop])
        else:
            counted = summary.summarise_closed_days()
        self.stdout.write(
            f"counted {len(counted)} days ({sum(counted.values())} calls); "
            f"days from {stop} on are still open and are counted from the calls"
        )
