"""`manage.py summarise_calls`: count every closed day not counted yet into the reports'
summary (reports/summary.py); the scheduler runs it nightly, so a report never waits for it.
`--again FIRST LAST` drops those days' counts and counts them again (after calls were
changed in bulk, or to apply a new service level to past days)."""

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Min
from django.utils import timezone

from pbx.models import Call
from reports import summary
from reports.models import SummarisedDay


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
        else:
            oldest = Call.objects.filter(direction=Call.Direction.INBOUND).aggregate(m=Min("started_at"))["m"]
            if oldest is None:
                self.stdout.write("no calls to count")
                return
            first = timezone.localdate(oldest)
            days = [first + timedelta(days=n) for n in range((stop - first).days)]
        have = set(SummarisedDay.objects.filter(day__in=days).values_list("day", flat=True))
        wanted = [d for d in days if d < stop and d not in have]
        counted = summary.summarise(wanted) if wanted else {}
        self.stdout.write(
            f"counted {len(counted)} days ({sum(counted.values())} calls); "
            f"days from {stop} on are still open and are counted from the calls"
        )
