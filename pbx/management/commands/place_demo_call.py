"""make call: SIPp, playing the carrier, calls a company number with real RTP audio."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pbx.sandbox import SandboxError, sipp_call


class Command(BaseCommand):
    help = "Place a demo call into the local sandbox (needs `make run` running)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--number", default="+48221234568", help="company number to call (default: the demo message line)"
        )
        parser.add_argument("--caller", default="+48601234567", help="caller ID the carrier presents")

    def handle(self, *args: Any, number: str, caller: str, **options: Any) -> None:
        self.stdout.write(f"calling {number} as {caller} (greeting, then 3 s of the caller recorded)...")
        try:
            result = sipp_call("caller_speaks.xml", number, caller, sip_port=settings.ASTERISK_SIP_PORT)
        except SandboxError as exc:
            raise CommandError(str(exc)) from exc
        if result.successful != 1:
            raise CommandError(f"the call failed (is `make run` running?):\n{result.output[-2000:]}")
        self.stdout.write(self.style.SUCCESS("call done: see Telephony > Calls in the admin"))
