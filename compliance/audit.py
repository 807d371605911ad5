"""Writing and checking the hash-chained audit log. `do_audit` is the only way in."""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from compliance.models import AuditEntry

GENESIS = "0" * 64
_LOCK_ID = 0x43454E54  # "CENT": serialises appends across processes on PostgreSQL


def entry_hash(
    seq: int, at: datetime, actor: str, action: str, target: str, source: str, detail: dict[str, Any], previous: str
) -> str:
    canonical = json.dumps(
        [seq, at.isoformat(), actor, action, target, source, detail, previous],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def client_address(request: HttpRequest) -> str:
    """Who is asking, as an address: the connection's own, or behind TRUSTED_PROXY_COUNT proxies
    the entry of X-Forwarded-For the outermost of them appended (each proxy appends the address
    it saw, so that is the Nth from the right; anything left of it the client could have
    written). Without a trusted proxy the header is ignored: anyone can send it. Every audit
    entry's source comes from here, and so does the admin's login lockout (AXES_CLIENT_IP_CALLABLE)."""
    direct = str(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if part.strip()]
    if proxies <= 0 or len(forwarded) < proxies:
        return direct
    return forwarded[-proxies]


def do_audit(actor: str, action: str, target: str, source: str = "", **detail: Any) -> AuditEntry:
    """Append an entry after the last one, chaining its hash. Safe with concurrent writers."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_ID])
        last = AuditEntry.objects.order_by("-seq").first()
        seq, previous = (last.seq + 1, last.entry_hash) if last else (1, GENESIS)
        # Round-trip through JSON so the hash covers exactly what the database stores.
        detail = json.loads(json.dumps(detail, default=str))
        at = timezone.now()
        entry = AuditEntry(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            target=target,
            source=source,
            detail=detail,
            previous_hash=previous,
        )
        entry.entry_hash = entry_hash(seq, at, actor, action, target, source, detail, previous)
        entry.save()
    return entry


@dataclass(frozen=True)
class Break:
    seq: int
    reason: str


def verify_chain(entries: Iterator[AuditEntry] | None = None) -> Break | None:
    """The first place where the chain is broken, or None when every link holds."""
    previous, expected_seq = GENESIS, 1
    for entry in entries if entries is not None else AuditEntry.objects.order_by("seq").iterator():
        if entry.seq != expected_seq:
            return Break(expected_seq, f"entry #{expected_seq} is missing")
        if entry.previous_hash != previous:
            return Break(entry.seq, "does not follow the entry before it")
        recomputed = entry_hash(
            entry.seq,
            entry.at,
            entry.actor,
            entry.action,
            entry.target,
            entry.source,
            entry.detail,
            entry.previous_hash,
        )
        if recomputed != entry.entry_hash:
            return Break(entry.seq, "its content was changed after it was written")
        previous, expected_seq = entry.entry_hash, expected_seq + 1
    return None
