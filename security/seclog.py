"""Asterisk's security log, read as it grows: every failed SIP (or AMI) login with its source.

Lines look like (logger.conf: security.log => security):

    [2026-11-24 05:10:11.123] SECURITY[81] res_security_log.c: SecurityEvent="InvalidAccountID",
    EventTV="2026-11-24T05:10:11.123+0100",Severity="Error",Service="PJSIP",...,AccountID="100",
    ...,RemoteAddress="IPV4/UDP/127.0.0.66/5060"

Nothing here touches the database: parse_line is a pure function and LogFollower only reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.utils import timezone

# Attempts to get in with a wrong or unknown identity; ChallengeSent and SuccessfulAuth are normal.
FAILURES = {"InvalidAccountID", "ChallengeResponseFailed", "InvalidPassword", "FailedACL", "AuthMethodNotAllowed"}
FIELD = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
# The dialplan's line for an emergency call it placed itself (asterisk-conf/extensions.conf).
EMERGENCY = re.compile(
    r"^\[(?P<at>[0-9-]+ [0-9:.]+)\] WARNING.*CENTRALA-EMERGENCY number=(?P<number>[0-9+]*) "
    r"extension=(?P<extension>[0-9]*) shown=(?P<shown>[0-9+]*)"
)


@dataclass(frozen=True)
class SecurityEvent:
    at: datetime
    event: str
    source: str
    account: str = ""
    service: str = ""
    transport: str = ""

    @property
    def failure(self) -> bool:
        return self.event in FAILURES


def parse_line(line: str) -> SecurityEvent | None:
    """The event on one log line, or None for anything else (a partial or foreign line)."""
    fields = dict(FIELD.findall(line))
    event, remote = fields.get("SecurityEvent"), fields.get("RemoteAddress", "")
    parts = remote.split("/")
    if not event or len(parts) < 4:
        return None
    try:
        at = datetime.fromisoformat(fields.get("EventTV", ""))
    except ValueError:
        at = timezone.now()
    return SecurityEvent(
        at=at,
        event=event,
        source=parts[2],
        account=fields.get("AccountID", ""),
        service=fields.get("Service", ""),
        transport=parts[1].lower(),
    )


def parse_emergency(line: str) -> tuple[datetime, dict[str, str]] | None:
    """When and what of an emergency call the dialplan placed without the Stasis app, from
    its line in Asterisk's messages.log (the office time, as Asterisk writes it); else None."""
    match = EMERGENCY.match(line)
    if match is None:
        return None
    try:
        at = timezone.make_aware(datetime.fromisoformat(match["at"]))
    except ValueError:
        at = timezone.now()
    return at, {"number": match["number"], "extension": match["extension"], "shown": match["shown"]}


class LogFollower:
    """Reads what was appended since the last call; copes with rotation (a new file under the
    same name) and truncation, and never returns half a line. Starts at the end of the file,
    so a restart does not count old attempts twice."""

    def __init__(self, path: Path, from_start: bool = False) -> None:
        self.path = path
        self.inode: int | None = None
        self.offset = 0
        self.partial = b""
        if not from_start and path.exists():
            stat = path.stat()
            self.inode, self.offset = stat.st_ino, stat.st_size

    def read_lines(self) -> list[str]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return []
        if stat.st_ino != self.inode or stat.st_size < self.offset:  # rotated or truncated
            self.inode, self.offset, self.partial = stat.st_ino, 0, b""
        if stat.st_size == self.offset:
            return []
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            data = handle.read(stat.st_size - self.offset)
        self.offset += len(data)
        *complete, self.partial = (self.partial + data).split(b"\n")
        return [line.decode("utf-8", "replace") for line in complete]


def messages_log_path() -> Path:
    """Asterisk's messages.log, beside its security log."""
    return security_log_path().with_name("messages.log")


def security_log_path() -> Path:
    """ASTERISK_SECURITY_LOG, else log/security.log beside Asterisk's config folder (the
    sandbox's layout and the compose file's volumes)."""
    from django.conf import settings

    configured = settings.ASTERISK_SECURITY_LOG
    return Path(configured) if configured else Path(settings.ASTERISK_CONFIG_DIR).parent / "log" / "security.log"
