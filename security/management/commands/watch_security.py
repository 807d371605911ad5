"""Failed-login monitoring: `python manage.py watch_security`.

Follows Asterisk's security log, stores each failed SIP login with its source, bans a source
that fails too often or that uses a TLS phone's password over plain SIP (unless it is on the
never-ban list) and re-renders the ban list into Asterisk when a ban is made or runs out.
It also follows messages.log for emergency calls the dialplan placed while the Stasis app was
away, so that the office hears of those too.
Runs beside `manage.py stasis`; SIGTERM stops it.
"""

import logging
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from security.actions import (
    apply_bans,
    do_catch_leaked_passwords,
    do_record_emergency_call,
    do_record_failures,
)
from security.models import SipBan
from security.seclog import LogFollower, messages_log_path, parse_emergency, parse_line, security_log_path

log = logging.getLogger("security.watch")


class Command(BaseCommand):
    help = "Follow Asterisk's security log: record failed SIP logins and ban sources that keep failing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between reads (default 1)")
        parser.add_argument("--from-start", action="store_true", help="also read what the log holds already")

    def handle(self, *args: Any, **options: Any) -> None:
        path = security_log_path()
        follower = LogFollower(path, from_start=options["from_start"])
        emergencies = LogFollower(messages_log_path(), from_start=options["from_start"])
        self.running = True
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "running", False))
        log.info("watching %s", path)
        applied = SipBan.objects.active_sources()
        apply_bans()  # whatever changed while nobody watched (bans that ran out) reaches Asterisk
        while self.running:
            applied = watch_once(follower, applied, emergencies)
            time.sleep(options["interval"])
        log.info("stopped")


def watch_once(follower: LogFollower, applied: list[str], emergencies: LogFollower | None = None) -> list[str]:
    """One round: record what the logs gained (failed logins; emergency calls the dialplan
    placed), then re-render if the active bans changed (a new ban, or one that ran out).
    Returns the ban list now in Asterisk."""
    for line in emergencies.read_lines() if emergencies is not None else []:
        if (found := parse_emergency(line)) is not None:
            do_record_emergency_call(None, *found)
    events = [event for line in follower.read_lines() if (event := parse_line(line))]
    if events:
        do_record_failures(events)
        do_catch_leaked_passwords(events)
    current = SipBan.objects.active_sources(timezone.now())
    if current != applied:
        apply_bans()
    return current
