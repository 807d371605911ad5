"""The admin home's dashboard: today's calls, answered and missed, callbacks owed, average
wait per queue and calls per hour, drawn as inline SVG (no outside network)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from pbx.actions import do_apply_facts
from pbx.callflow import commands as c
from pbx.callflow.vocabulary import StepKind
from pbx.models import CallbackTask, Queue
from pbx.web.dashboard import bar_chart, today
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)  # 12:00 in Warsaw


def inbound(key: str, at: datetime, outcome: str, queue: str = "", wait: float | None = None) -> None:
    facts: list[c.Fact] = [
        c.CallStarted(
            key, call_key=key, at=at, direction="inbound", caller="+48601234567", called="+48221234567", sip_call_id=""
        )
    ]
    if queue:
        facts.append(c.CallStep(key, call_key=key, at=at, kind=StepKind.RING_QUEUE, detail={"queue": queue}))
    if wait is not None:
        facts.append(
            c.CallStep(
                key, call_key=key, at=at + timedelta(seconds=wait), kind=StepKind.CONNECTED, detail={"target": "101"}
            )
        )
    facts.append(
        c.CallEnded(key, call_key=key, at=at + timedelta(seconds=60), outcome=outcome, cause=16, cause_text="")
    )
    do_apply_facts(facts)


@pytest.fixture
def day() -> None:
    Queue.objects.create(name="Sprzedaż")
    Queue.objects.create(name="Serwis")
    inbound("00000000-0000-0000-0000-000000000001", NOON - timedelta(hours=3), "answered", "Sprzedaż", wait=10)
    inbound("00000000-0000-0000-0000-000000000002", NOON - timedelta(hours=3), "answered", "Sprzedaż", wait=20)
    inbound("00000000-0000-0000-0000-000000000003", NOON, "missed", "Serwis")
    inbound("00000000-0000-0000-0000-000000000004", NOON, "voicemail")
    inbound("00000000-0000-0000-0000-000000000005", NOON - timedelta(days=1), "missed")  # yesterday
    CallbackTask.objects.create(number="+48601234567", reason="no_answer", requested_at=NOON)


def test_today_counts_outcomes_hours_waits_and_callbacks(day, manager):
    result = today(manager, now=NOON + timedelta(hours=1))
    assert (result.calls, result.answered, result.missed, result.voicemail, result.other) == (4, 2, 1, 1, 0)
    assert result.answered_share == 50 and result.callbacks_open == 1
    assert result.per_hour[9] == 2 and result.per_hour[12] == 2 and sum(result.per_hour) == 4
    assert [(q.queue, q.answered, q.average_wait_seconds) for q in result.queues] == [
        ("Serwis", 0, None),
        ("Sprzedaż", 2, 15.0),
    ]


def test_an_agent_s_dashboard_counts_only_calls_they_may_see(day):
    agent = User.objects.create_user("jan", password="Jan-Long-Password-1")
    agent.groups.add(Group.objects.get(name="Agent"))
    assert today(User.objects.get(pk=agent.pk), now=NOON).calls == 0


def test_the_chart_is_inline_svg_with_a_text_alternative():
    svg = bar_chart([0, 3, 1], ["8", "9", "<10>"], "Calls per hour")
    assert svg.startswith('<svg role="img" aria-label="Calls per hour: 9: 3, &lt;10&gt;: 1"')
    assert svg.count("<rect") == 3 and "<10>" not in svg and "http" not in svg.replace("http://www.w3.org", "")


def test_the_admin_home_shows_the_dashboard(day, manager):
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), manager)
    page = client.get("/admin/").content.decode()
    assert 'id="dashboard"' in page and 'id="calls-per-hour"' in page and "<svg" in page
    assert 'id="centrala-tools"' in page  # the usual links stay


def test_the_numbers_add_up_each_other_outcome_by_name_linked_to_its_calls(day, manager):
    inbound("00000000-0000-0000-0000-000000000006", NOON, "lost")
    inbound("00000000-0000-0000-0000-000000000007", NOON, "rejected")
    inbound("00000000-0000-0000-0000-000000000008", NOON, "rejected")
    result = today(manager, now=NOON + timedelta(hours=1))
    assert result.calls == result.answered + result.missed + result.voicemail + sum(n for _, n, _ in result.others)
    assert [(outcome, n) for _, n, outcome in result.others] == [("rejected", 2), ("lost", 1)]
    inbound("00000000-0000-0000-0000-000000000009", timezone.now(), "rejected")  # the home page shows today
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), manager)
    page = client.get("/admin/").content.decode()
    assert "?outcome__exact=rejected&amp;direction__exact=inbound" in page
    assert ">Odrzucone<" in page  # an outcome of a call (neuter), not of a request


def test_an_active_plan_b_stands_on_the_home_page(manager, monkeypatch):
    from pbx.web import views

    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), manager)
    monkeypatch.setattr(views, "_reachability", lambda: ([], False, ""))
    assert 'id="plan-b-active"' not in client.get("/admin/").content.decode()
    monkeypatch.setattr(views, "_reachability", lambda: ([], True, ""))  # no office phone reachable
    page = client.get("/admin/").content.decode()
    assert 'id="plan-b-active"' in page and "Plan B" in page and 'href="/admin/status/"' in page
