"""Simulate-a-call and the telephony status page."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(manager) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    signed_in(client, manager)
    return client


@pytest.fixture
def demo(settings, tmp_path) -> None:
    settings.VAR_DIR = tmp_path
    call_command("load_demo", verbosity=0)


def test_the_admin_home_links_both_tools(client_for: Client):
    page = client_for.get("/admin/").content.decode()
    assert 'href="/admin/simulate/"' in page and 'href="/admin/status/"' in page


def test_simulating_a_monday_morning_call_where_the_caller_presses_1(client_for: Client, demo):
    page = client_for.get(
        "/admin/simulate/",
        {
            "number": "+48221234567",
            "when": "2026-11-23T10:00",
            "caller": "+48601234567",
            "keys": "1",
            "answering": ["102"],
        },
    ).content.decode()
    assert "Opening hours: open (within opening hours)" in page
    assert "Menu: key 1 pressed" in page
    assert "Queue Sprzedaż: rings 101, 102" in page and "ring_all" not in page  # no codes
    assert "Connected with 102" in page
    assert "The call ends: answered" in page


def test_simulating_christmas_eve_shows_the_holiday(client_for: Client, demo):
    page = client_for.get(
        "/admin/simulate/", {"number": "+48221234567", "when": "2026-12-24T10:00", "caller": "+48601234567"}
    ).content.decode()
    assert "Opening hours: public holiday (Wigilia Bożego Narodzenia)" in page


def test_bad_simulation_input_is_refused_with_the_reason(client_for: Client, demo):
    page = client_for.get("/admin/simulate/", {"number": "+48221234567", "when": "yesterday", "keys": "1x"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "Enter a valid date/time." in text and "Enter a valid value." in text
    assert 'id="simulation"' not in text


def test_status_shows_plan_b_when_no_office_phone_is_reachable(client_for: Client, demo, monkeypatch):
    async def endpoints() -> list[dict]:
        return [{"resource": x, "state": "offline"} for x in ("101", "102", "103")]

    monkeypatch.setattr("pbx.web.views._endpoints", endpoints)
    page = client_for.get("/admin/status/").content.decode()
    assert 'id="plan-b"' in page


def test_status_without_plan_b_while_one_phone_is_reachable(client_for: Client, demo, monkeypatch):
    async def endpoints() -> list[dict]:
        return [{"resource": "101", "state": "online"}, {"resource": "102", "state": "offline"}]

    monkeypatch.setattr("pbx.web.views._endpoints", endpoints)
    page = client_for.get("/admin/status/").content.decode()
    assert 'id="plan-b"' not in page
    assert page.count('class="reachable"') == 1 and page.count('class="unreachable"') == 2


def test_status_says_when_asterisk_cannot_be_reached(client_for: Client, demo, settings):
    settings.ARI_URL = "http://127.0.0.1:9/ari"
    page = client_for.get("/admin/status/").content.decode()
    assert "Asterisk cannot be reached" in page
    assert 'id="plan-b"' not in page
