"""`manage.py send_monthly_report`: last month's report to the office managers, once (the
scheduler runs it daily; reports/monthly.py)."""

from typing import Any

from django.core.management.base import BaseCommand

from reports.monthly import do_send_monthly_report


class Command(BaseCommand):
    help = "E-mail last month's call report to the office managers, unless it was sent already."

    def handle(self, *args: Any, **options: Any) -> None:
        if do_send_monthly_report():
            self.stdout.write("monthly report sent")
        else:
            self.stdout.write("monthly report: nothing to send (sent already, or no office manager with an e-mail)")
