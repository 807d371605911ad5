"""Webhooks to a CRM: events are queued in the database with the change that caused them
(an outbox), then delivered by the job worker (jobs/runner.py `deliver_webhooks`): at once,
by a job queued when the change commits, and every minute for retries, signed, with backoff.

Signed as the Standard Webhooks specification says (https://www.standardwebhooks.com/), with
its own library: headers `webhook-id` (the delivery's id, the same on every retry: receivers
drop repeats), `webhook-timestamp` (Unix seconds of the attempt) and `webhook-signature`
(`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` under the endpoint's `whsec_` key);
the body is `{"type", "timestamp", "data"}`. A receiver verifies with the published library
of its language. Every attempt is logged on the delivery.
"""

from __future__ import annotations

import binascii
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop
from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook

from api.addresses import Resolver, webhook_address_problem
from api.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)
EVENTS = {
    "call.started": gettext_noop("a call started (inbound, outbound or internal)"),
    "call.answered": gettext_noop("a person answered"),
    "call.ended": gettext_noop("a call ended (any outcome)"),
    "call.missed": gettext_noop("a call ended with nobody talking to the caller"),
    "recording.ready": gettext_noop("a recording is stored and can be fetched"),
    "callback.requested": gettext_noop("a caller is owed a callback"),
    "voicemail.new": gettext_noop("a caller left a message in a voicemail box"),
}
MAX_ATTEMPTS = 8
ROUND = 50  # deliveries tried in one transaction
TIMEOUT = httpx.Timeout(5.0, connect=3.0)


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... at most 6 hours between tries."""
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 6 * 3600))


def do_enqueue(event: str, data: dict[str, Any] | Callable[[], dict[str, Any]], at: datetime | None = None) -> int:
    """Queue `event` for every active endpoint that wants it, inside the transaction that made
    the change, so an event exists exactly when its change does. `data` may be a function: it
    is called only when some endpoint wants the event (the call history, written at hundreds
    of calls per second, then reads nothing for webhooks nobody asked for)."""
    at = at or timezone.now()
    batch = _batch.get()
    if batch is not None and "endpoints" in batch and not any(event in e.events for e in batch["endpoints"]):
        return 0  # this batch's transaction read (and locked) the endpoints already: none wants it
    # No savepoint inside the caller's transaction: nothing here is to be undone on its own.
    with transaction.atomic(savepoint=False):
        endpoints = [e for e in _active_endpoints() if event in e.events]
        if endpoints:
            payload = {"type": event, "timestamp": at.isoformat(), "data": data() if callable(data) else data}
            WebhookDelivery.objects.bulk_create(
                [WebhookDelivery(endpoint=e, event=event, payload=payload, next_attempt_at=at) for e in endpoints]
            )
            _deliver_after_commit()
    return len(endpoints)


def _deliver_after_commit() -> None:
    """Once the change commits, a job for the worker to send its deliveries now (the job every
    minute would find them too; this saves the wait). Once per batch of the call store."""
    batch = _batch.get()
    if batch is not None:
        if "kicked" in batch:
            return
        batch["kicked"] = []  # (the value is not used)
    transaction.on_commit(_queue_delivery, robust=True)


def _queue_delivery() -> None:
    from django_q.tasks import async_task

    async_task("jobs.runner.deliver_webhooks")


def deliver_all_due(resolve: Resolver | None = None) -> int:
    """Every delivery due now, a round at a time (what the worker's job runs)."""
    tried = 0
    with httpx.Client(follow_redirects=False) as client:
        while True:
            sent = deliver_due(client, limit=ROUND, resolve=resolve)
            tried += sent
            if sent < ROUND:
                return tried


_batch: ContextVar[dict[str, list[WebhookEndpoint]] | None] = ContextVar("webhook_endpoints", default=None)
# (within a batch: "endpoints", read once, and "kicked", set once its delivery job is arranged)


@contextmanager
def one_read_of_endpoints() -> Iterator[None]:
    """Within this block (the call store applying a batch of facts in one transaction) the
    endpoints are read once, not once per event."""
    token = _batch.set({})
    try:
        yield
    finally:
        _batch.reset(token)


def _active_endpoints() -> list[WebhookEndpoint]:
    """The active endpoints, locked against deletion until the transaction ends: a delivery
    must never point at an endpoint deleted meanwhile, or the whole batch of call history
    written with it would fail at commit."""
    batch = _batch.get()
    if batch is not None and "endpoints" in batch:
        return batch["endpoints"]
    endpoints = list(WebhookEndpoint.objects.filter(active=True).select_for_update(no_key=True))
    if batch is not None:
        batch["endpoints"] = endpoints
    return endpoints


def deliver_due(
    client: httpx.Client, now: datetime | None = None, limit: int = ROUND, resolve: Resolver | None = None
) -> int:
    """Try every delivery that is due; returns how many were tried. Each address is checked
    again before it is sent to (api/addresses.py); a refused one counts as a failed attempt."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("endpoint")
            .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")[:limit]
        )
        problems: dict[str, str] = {}  # each address is resolved once a round, however many deliveries go there
        for delivery in due:
            url = delivery.endpoint.url
            if url not in problems:
                problems[url] = webhook_address_problem(url, resolve)
            _attempt(client, delivery, now, problems[url])
    return len(due)


def _attempt(client: httpx.Client, delivery: WebhookDelivery, now: datetime, problem: str) -> None:
    """Send one delivery, unless `problem` says why its address may not be sent to."""
    body = json.dumps(delivery.payload, ensure_ascii=False)
    delivery.attempts += 1
    delivery.last_attempt_at = now
    try:
        headers = signed_headers(delivery.endpoint.secret, str(delivery.pk), body)
        if problem or headers is None:
            problem = problem or "the signing secret is not a Standard Webhooks secret (whsec_ and base64)"
            ok, delivery.response_code, delivery.last_error = False, None, f"Not sent: {problem}"[:300]
        else:
            response = client.post(delivery.endpoint.url, content=body.encode(), headers=headers, timeout=TIMEOUT)
            delivery.response_code, delivery.last_error = response.status_code, ""
            ok = 200 <= response.status_code < 300
            if not ok:  # the status only: the receiver's answer is not ours to show
                delivery.last_error = f"HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        ok, delivery.response_code, delivery.last_error = False, None, f"{type(exc).__name__}: {exc}"[:300]
    if ok:
        delivery.status = WebhookDelivery.Status.DELIVERED
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
        log.warning("webhook %s to %s failed for good: %s", delivery.event, delivery.endpoint.url, delivery.last_error)
    else:
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    delivery.save()


def signed_headers(secret: str, message_id: str, body: str) -> dict[str, str] | None:
    """The headers of one attempt, signed now; None when the secret cannot sign."""
    try:
        signer = Webhook(secret)
    except (binascii.Error, ValueError, EmptyWebhookSecretError):
        return None
    now = datetime.now(UTC)
    return {
        "Content-Type": "application/json",
        "User-Agent": "Centrala-Webhooks/2",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signer.sign(message_id, now, body),
    }


def do_resend(deliveries: Any) -> int:
    """Send these again now (after the receiver was fixed), whatever happened before."""
    return int(deliveries.update(status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now(), attempts=0))
