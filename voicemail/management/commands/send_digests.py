from typing import Any

from django.core.management.base import BaseCommand

from voicemail.digests import do_send_digests


class Command(BaseCommand):
    help = "E-mail each active missed-call digest the calls it has not covered yet (the scheduler runs it daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = do_send_digests()
        self.stdout.write(f"missed-call digests sent: {sent}")
