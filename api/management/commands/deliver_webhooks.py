"""Send queued webhook deliveries: `python manage.py deliver_webhooks` (runs until SIGTERM;
--once sends what is due and stops). Retries follow api/webhooks.py's backoff."""

import logging
import signal
import time
from typing import Any

import httpx
from django.core.management.base import BaseCommand, CommandParser

from api.webhooks import deliver_due

log = logging.getLogger("api.webhooks")


class Command(BaseCommand):
    help = "Deliver queued webhooks to the CRM endpoints, signed, with retries."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="send what is due now, then stop")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between rounds (default 1)")

    def handle(self, *args: Any, **options: Any) -> None:
        self.running = True
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "running", False))
        with httpx.Client(follow_redirects=False) as client:
            while self.running:
                sent = deliver_due(client)
                if options["once"]:
                    self.stdout.write(f"{sent} deliveries tried")
                    return
                if not sent:
                    time.sleep(options["interval"])
