"""`manage.py deliver_webhooks`: send every webhook delivery due now, once, and say how many
were tried. The worker does this by itself (at once after each change, and every minute for
retries: jobs/runner.py); this is for the IT person, e.g. after fixing a receiver."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from api.webhooks import deliver_all_due


class Command(BaseCommand):
    help = "Send the webhook deliveries due now (the worker does this by itself)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="accepted for old scripts; it always runs once")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{deliver_all_due()} deliveries tried")
