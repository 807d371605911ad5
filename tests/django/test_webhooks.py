"""Webhooks: events queued with the change that caused them, signed deliveries a receiver can
verify, retries with backoff, giving up, and sending again from the admin."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from api import webhooks
from api.models import WebhookDelivery, WebhookEndpoint, new_webhook_secret
from api.webhooks import MAX_ATTEMPTS, deliver_due, do_resend, retry_delay
from pbx.actions import do_apply_facts
from pbx.callflow import commands as c
from pbx.callflow.vocabulary import StepKind
from pbx.models import Call
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
KEY = "6f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e01"


# What the names used here resolve to: this machine has no outside DNS, and the checks on
# webhook addresses resolve every name (api/addresses.py).
DNS = {
    "crm.firma.test": ["93.184.216.34"],
    "off.test": ["93.184.216.35"],
    "all.test": ["93.184.216.36"],
    "metadata.test": ["169.254.169.254"],
    "ari.test": ["127.0.0.1"],
    "lan.test": ["192.168.1.20"],
    "mixed.test": ["93.184.216.34", "10.0.0.5"],
}


def recorded(seen: list[httpx.Request], status: int) -> Callable[[httpx.Request], httpx.Response]:
    """A receiver that keeps every request and answers `status`."""

    def receive(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status)

    return receive


def fake_dns(host: str) -> list[str]:
    if host not in DNS:
        raise OSError(f"{host}: no such name")
    return DNS[host]


@pytest.fixture(autouse=True)
def dns(monkeypatch) -> None:
    monkeypatch.setattr("api.addresses.system_resolver", fake_dns)


@pytest.fixture
def crm() -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.create(
        name="CRM",
        url="https://crm.firma.test/hooks/centrala",
        events=["call.started", "call.missed", "callback.requested"],
    )
    return endpoint


def a_missed_call() -> None:
    do_apply_facts(
        [
            c.CallStarted(
                KEY,
                call_key=KEY,
                at=T0,
                direction="inbound",
                caller="+48601234567",
                called="+48221234567",
                sip_call_id="",
            ),
            c.CallbackRequested(
                KEY,
                call_key=KEY,
                at=T0 + timedelta(seconds=30),
                number="+48601234567",
                reason="no_answer",
                assign_to="",
            ),
            c.CallEnded(KEY, call_key=KEY, at=T0 + timedelta(seconds=31), outcome="missed", cause=16, cause_text="x"),
        ]
    )


def test_events_are_queued_only_for_what_the_endpoint_wants(crm):
    WebhookEndpoint.objects.create(name="Off", url="https://off.test/", events=["call.started"], active=False)
    a_missed_call()
    queued = list(WebhookDelivery.objects.order_by("next_attempt_at", "event").values_list("event", flat=True))
    assert queued == ["call.started", "callback.requested", "call.missed"]
    started = WebhookDelivery.objects.get(event="call.started").payload
    assert started == {
        "type": "call.started",
        "timestamp": T0.isoformat(),
        "data": {
            "call": KEY,
            "direction": "inbound",
            "caller": "+48601234567",
            "called": "+48221234567",
            "started_at": T0.isoformat(),
            "answered_at": None,
            "ended_at": None,
            "outcome": "in_progress",
        },
    }


def test_a_delivery_is_signed_by_the_standard_so_a_crm_verifies_it_with_the_published_library(crm):
    a_missed_call()
    seen: list[httpx.Request] = []
    client = httpx.Client(transport=httpx.MockTransport(recorded(seen, 204)))
    assert deliver_due(client, now=T0 + timedelta(minutes=1)) == 3
    assert crm.secret.startswith("whsec_") and len(base64.b64decode(crm.secret[6:])) == 32
    receiver = Webhook(crm.secret)  # what the CRM runs, with the secret it was given
    for request in seen:
        body = receiver.verify(request.content, dict(request.headers))
        delivery = WebhookDelivery.objects.get(pk=request.headers["webhook-id"])
        assert body == {"type": delivery.event, "timestamp": body["timestamp"], "data": body["data"]}
        assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 60
        assert set(request.headers) >= {"webhook-id", "webhook-timestamp", "webhook-signature"}
        assert not [h for h in request.headers if h.lower().startswith("centrala-")]  # no home-made headers
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    # a body changed on the way, another secret, or a replay long after: refused by the receiver
    request = seen[0]
    with pytest.raises(WebhookVerificationError):
        receiver.verify(request.content.replace(b"inbound", b"outbound"), dict(request.headers))
    with pytest.raises(WebhookVerificationError):
        Webhook(new_webhook_secret()).verify(request.content, dict(request.headers))
    old = {**request.headers, "webhook-timestamp": str(int(time.time()) - 3600)}
    with pytest.raises(WebhookVerificationError):
        receiver.verify(request.content, old)


def test_a_retry_carries_the_same_webhook_id_so_the_receiver_drops_repeats(crm):
    webhooks.do_enqueue("call.started", {"call": KEY}, at=T0)
    seen: list[httpx.Request] = []
    answers = iter([500, 204])

    def receive(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(next(answers))

    client = httpx.Client(transport=httpx.MockTransport(receive))
    deliver_due(client, now=T0)
    deliver_due(client, now=T0 + retry_delay(1))
    assert len(seen) == 2 and seen[0].headers["webhook-id"] == seen[1].headers["webhook-id"]
    for request in seen:
        Webhook(crm.secret).verify(request.content, dict(request.headers))


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        ("s" * 32, "A signing secret starts with whsec_ and the key in base64 (Standard Webhooks)"),
        ("whsec_not base64!", "What follows whsec_ is not base64."),
        ("whsec_" + base64.b64encode(b"short").decode(), "must be 24 to 64 bytes long; this one is 5 bytes"),
    ],
)
def test_a_secret_not_in_the_standard_s_form_is_refused_in_the_admin(secret, problem, manager, client):
    signed_in(client, manager)
    page = client.post(
        "/admin/api/webhookendpoint/add/",
        {
            "name": "CRM2",
            "url": "https://crm.firma.test/h2",
            "events": ["call.started"],
            "active": "on",
            "secret": secret,
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 200 and problem in page.content.decode()
    assert not WebhookEndpoint.objects.filter(name="CRM2").exists()


def test_an_old_secret_is_rewritten_so_the_receiver_keeps_its_key():
    """Migration 0003: the old secret's bytes are the new key; old payloads get the new shape."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("api.migrations.0003_standard_webhooks")
    endpoint = WebhookEndpoint.objects.create(name="Old", url="https://crm.firma.test/", events=["call.started"])
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret="an-old-secret-of-43-characters-xxxxxxxxxxxx")
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event="call.started", payload={"event": "call.started", "at": "x", "data": {"a": 1}},
        next_attempt_at=T0,
    )  # fmt: skip
    migration.forward(apps, None)
    endpoint.refresh_from_db()
    assert base64.b64decode(endpoint.secret.removeprefix("whsec_")) == b"an-old-secret-of-43-characters-xxxxxxxxxxxx"
    delivery.refresh_from_db()
    assert delivery.payload == {"type": "call.started", "timestamp": "x", "data": {"a": 1}}


def test_failures_are_retried_with_backoff_then_given_up_and_can_be_sent_again(crm):
    webhooks.do_enqueue("call.started", {"call": KEY}, at=T0)
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500, text="CRM is down")))
    now = T0
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert deliver_due(client, now=now) == 1
        delivery = WebhookDelivery.objects.get()
        assert (delivery.attempts, delivery.response_code, delivery.last_error) == (
            attempt,
            500,
            "HTTP 500",  # the receiver's answer is not shown: an address could point it at anything
        )
        if attempt < MAX_ATTEMPTS:
            assert delivery.next_attempt_at == now + retry_delay(attempt)
            assert deliver_due(client, now=now + retry_delay(attempt) - timedelta(seconds=1)) == 0  # not yet
            now = delivery.next_attempt_at
    assert delivery.status == "failed"
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 12)] == [30, 60, 120, 6 * 3600]
    assert do_resend(WebhookDelivery.objects.all()) == 1
    ok = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    assert deliver_due(ok) == 1
    assert WebhookDelivery.objects.get().status == "delivered"


def test_an_unreachable_receiver_is_an_error_on_the_delivery(crm):
    webhooks.do_enqueue("call.started", {"call": KEY}, at=T0)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    deliver_due(httpx.Client(transport=httpx.MockTransport(refuse)), now=T0)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_code, delivery.last_error) == (
        "pending",
        None,
        "ConnectError: connection refused",
    )


def test_the_admin_shows_failed_deliveries_and_resends_them(crm, manager, client):
    webhooks.do_enqueue("call.started", {"call": KEY}, at=T0)
    WebhookDelivery.objects.update(status="failed", attempts=MAX_ATTEMPTS, last_error="HTTP 500: down")
    signed_in(client, manager)
    page = client.get("/admin/api/webhookdelivery/?status__exact=failed", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "HTTP 500: down" in page
    endpoints = client.get("/admin/api/webhookendpoint/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "CRM" in endpoints
    delivery = WebhookDelivery.objects.get()
    client.post("/admin/api/webhookdelivery/", {"action": "resend", "_selected_action": [delivery.pk]})
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)


def test_the_command_sends_what_is_due(crm, monkeypatch, capsys):
    webhooks.do_enqueue("call.started", {"call": KEY}, at=T0)
    monkeypatch.setattr(webhooks, "TIMEOUT", httpx.Timeout(0.5))
    DNS["crm.firma.test"] = ["127.0.0.2"]  # re-pointed after it was saved: nothing listens on port 9 either
    call_command("deliver_webhooks", "--once")
    assert capsys.readouterr().out.strip() == "1 deliveries tried"
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1
    assert delivery.last_error == (
        "Not sent: crm.firma.test resolves to 127.0.0.2, an address of this machine or its network link: never allowed."
    )
    DNS["crm.firma.test"] = ["93.184.216.34"]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://crm.firma.test/hooks", "Webhooks go over https only: the address must start with https://."),
        (
            "https://metadata.test/latest/meta-data/",
            "metadata.test resolves to 169.254.169.254, an address of this machine or its network link: never allowed.",
        ),
        (
            "https://ari.test:8088/ari/channels",
            "ari.test resolves to 127.0.0.1, an address of this machine or its network link: never allowed.",
        ),
        (
            "https://169.254.169.254/",
            "169.254.169.254 resolves to 169.254.169.254, an address of this machine or its "
            "network link: never allowed.",
        ),
        (
            "https://lan.test/crm",
            "lan.test resolves to 192.168.1.20, an internal address: webhooks go to the internet "
            "only (or to networks listed in WEBHOOK_ALLOWED_NETWORKS).",
        ),
        (
            "https://mixed.test/",
            "mixed.test resolves to 10.0.0.5, an internal address: webhooks go to the internet only "
            "(or to networks listed in WEBHOOK_ALLOWED_NETWORKS).",
        ),
        ("https://nowhere.test/", "nowhere.test cannot be resolved to an address."),
    ],
)
def test_a_webhook_to_an_internal_address_is_refused_when_saved_and_never_sent(url, problem, manager, client):
    from api.addresses import webhook_address_problem

    assert webhook_address_problem(url) == problem
    signed_in(client, manager)
    page = client.post(
        "/admin/api/webhookendpoint/add/",
        {"name": "Zły", "url": url, "events": ["call.started"], "active": "on", "secret": new_webhook_secret()},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 200 and problem in page.content.decode()
    assert not WebhookEndpoint.objects.filter(name="Zły").exists()
    # Written past the form (an old row, a script), it is still never sent.
    WebhookEndpoint.objects.create(name="Zły", url=url, events=["call.started"])
    webhooks.do_enqueue("call.started", {"call": KEY}, at=T0)
    sent: list[httpx.Request] = []
    deliver_due(httpx.Client(transport=httpx.MockTransport(recorded(sent, 200))), now=T0)
    assert sent == [] and WebhookDelivery.objects.get().last_error == f"Not sent: {problem}"


def test_an_office_network_can_be_opted_in(settings):
    from api.addresses import webhook_address_problem

    settings.WEBHOOK_ALLOWED_NETWORKS = ["192.168.1.0/24"]
    assert webhook_address_problem("https://lan.test/crm") == ""
    assert webhook_address_problem("https://ari.test/").startswith("ari.test resolves to 127.0.0.1")


def test_a_deleted_endpoint_never_breaks_the_call_history(crm):
    from pbx.models import Call

    a_missed_call()
    crm.delete()  # in the admin, between two batches of the call store
    other = "6f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e09"
    do_apply_facts(
        [
            c.CallStarted(
                other,
                call_key=other,
                at=T0,
                direction="inbound",
                caller="+48601234568",
                called="+48221234567",
                sip_call_id="",
            )
        ]
    )
    assert Call.objects.count() == 2 and not WebhookDelivery.objects.exists()


def test_an_ended_call_s_events_carry_its_end_with_no_read_of_the_call():
    WebhookEndpoint.objects.create(name="All", url="https://all.test/", events=["call.ended", "call.missed"])
    with CaptureQueriesContext(connection) as seen:
        a_missed_call()
    reads = [q["sql"] for q in seen.captured_queries if q["sql"].startswith('SELECT "pbx_call"')]
    assert reads == []  # the start's insert says whether the call is new; the end's update returns the rest
    ended, missed = (WebhookDelivery.objects.get(event=kind).payload["data"] for kind in ("call.ended", "call.missed"))
    assert ended == missed
    assert (ended["outcome"], ended["ended_at"]) == ("missed", (T0 + timedelta(seconds=31)).isoformat())


def whole_call(key: str, t0: datetime, caller: str = "+48601234567") -> list[c.Fact]:
    """A light call's facts: started, an announcement, answered, hung up, ended."""
    return [
        c.CallStarted(
            key, call_key=key, at=t0, direction="inbound", caller=caller, called="+48221234567", sip_call_id=""
        ),
        c.CallStep(key, call_key=key, at=t0, kind=StepKind.ANNOUNCEMENT, detail={}),
        c.CallAnswered(key, call_key=key, at=t0),
        c.CallStep(key, call_key=key, at=t0 + timedelta(seconds=3), kind=StepKind.HANGUP, detail={}),
        c.CallEnded(
            key,
            call_key=key,
            at=t0 + timedelta(seconds=3),
            outcome="missed",
            cause=16,
            cause_text="Normal Clearing",
            hung_up_by="centrala",
        ),
    ]


def interleaved(*calls: list[c.Fact]) -> list[c.Fact]:
    """The calls' facts as a busy call store gets them: each call's in order, the calls mixed."""
    return [fact for step in zip(*calls, strict=True) for fact in step]


@pytest.mark.parametrize("calls", [1, 3])
@pytest.mark.parametrize("day", ["today", "a past day"])
def test_with_no_webhook_a_batch_of_calls_costs_the_same_few_statements_whatever_its_size(day, calls):
    """What the call store writes at hundreds of calls per second: for the whole batch, one
    insert of the new calls' rows, one update of the answers and one of the ends,
    the endpoints read once and the timeline in one insert, however many calls it holds. No
    savepoints, no reads for webhooks nobody asked for. A call of a past day (written late,
    from the spool after an outage) also looks whether the reports counted that day already
    (reports/summary.py), once per such call; today's calls never do."""
    noon = datetime.combine(timezone.localdate(), datetime.min.time().replace(hour=12))
    t0 = timezone.make_aware(noon) if day == "today" else T0
    keys = [str(uuid.UUID(int=n + 1)) for n in range(calls)]
    with CaptureQueriesContext(connection) as seen:
        do_apply_facts(interleaved(*(whole_call(key, t0) for key in keys)))
    statements = [" ".join(q["sql"].split()[:3]) for q in seen.captured_queries]
    # (The batch's own transaction is a savepoint here only because the test runs in one.)
    assert statements == [
        "SAVEPOINT " + statements[0].split()[1],
        'INSERT INTO "pbx_call"',  # leaving any there already: no look-up before it
        # (per call: the rare late call of a past day is told to the reports as save() would)
        *(
            ['SELECT "reports_summarisedday"."day", "reports_summarisedday"."built_at",'] * calls
            if day != "today"
            else []
        ),
        'UPDATE "pbx_call" AS',  # the answers
        'UPDATE "pbx_call" AS',  # the ends
        'SELECT "api_webhookendpoint"."id", "api_webhookendpoint"."name",',  # once per batch
        'INSERT INTO "pbx_callevent"',  # the whole timeline
        "RELEASE SAVEPOINT " + statements[0].split()[1],
    ]
    for key in keys:
        call = Call.objects.get(pk=key)
        assert (call.answered_at, call.ended_at, call.outcome, call.hangup_cause) == (
            t0,
            t0 + timedelta(seconds=3),
            "missed",
            16,
        )
        timeline = list(call.events.order_by("at", "pk").values_list("kind", flat=True))
        assert timeline == ["started", "announcement", "answered", "hangup", "ended"]


def test_each_webhook_carries_the_call_as_it_stood_at_its_event_within_one_batch(crm):
    """Started, answered and ended in one batch of the call store: the answer's event shows the
    call answered and not yet ended, the end's shows it ended; with two calls mixed, each
    event carries its own call."""
    WebhookEndpoint.objects.filter(pk=crm.pk).update(events=["call.started", "call.answered", "call.ended"])
    first, second = str(uuid.UUID(int=1)), str(uuid.UUID(int=2))
    do_apply_facts(interleaved(whole_call(first, T0), whole_call(second, T0, caller="+48601234599")))
    payloads = {
        (d.payload["type"], d.payload["data"]["call"]): d.payload["data"] for d in WebhookDelivery.objects.all()
    }
    assert len(payloads) == 6
    for key, caller in ((first, "+48601234567"), (second, "+48601234599")):
        started, answered, ended = (payloads[kind, key] for kind in ("call.started", "call.answered", "call.ended"))
        assert {started["caller"], answered["caller"], ended["caller"]} == {caller}
        assert (started["answered_at"], started["outcome"]) == (None, "in_progress")
        assert (answered["answered_at"], answered["ended_at"]) == (T0.isoformat(), None)
        assert (ended["ended_at"], ended["outcome"]) == ((T0 + timedelta(seconds=3)).isoformat(), "missed")


def test_a_change_that_queues_deliveries_hands_them_to_the_worker_once_it_commits(
    crm, django_capture_on_commit_callbacks
):
    from django_q.models import OrmQ

    with django_capture_on_commit_callbacks(execute=True) as arranged:
        a_missed_call()  # one batch of the call store: three deliveries
    assert WebhookDelivery.objects.count() == 3
    assert len(arranged) == 1 and [q.func() for q in OrmQ.objects.all()] == ["jobs.runner.deliver_webhooks"]
    with django_capture_on_commit_callbacks(execute=False) as arranged:
        webhooks.do_enqueue("call.started", {"call": KEY}, at=T0)  # outside a batch (the admin, the API)
    assert len(arranged) == 1


def test_the_worker_s_job_sends_every_delivery_due(crm, monkeypatch):
    from jobs.runner import deliver_webhooks

    for n in range(60):  # more than one round of 50
        webhooks.do_enqueue("call.started", {"call": f"{n}"}, at=T0)
    seen: list[httpx.Request] = []
    real_client = httpx.Client
    monkeypatch.setattr(
        webhooks.httpx, "Client", lambda **kw: real_client(transport=httpx.MockTransport(recorded(seen, 204)), **kw)
    )
    assert deliver_webhooks() == "próby doręczenia webhooków: 60"  # in the office's language
    assert len(seen) == 60 and set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
