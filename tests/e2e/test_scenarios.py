"""Issue 3's call scenarios on the real Asterisk: SIPp as callers and carrier, baresip as staff
phones that answer (or only ring)."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.conf import settings
from django.utils import timezone

from company_numbers.models import CompanyNumber
from pbx.ari.client import AriNotFound
from pbx.callbacks import do_start_callback
from pbx.models import (
    Call,
    CallbackTask,
    Destination,
    Extension,
    Menu,
    MenuOption,
    Prompt,
    Queue,
    QueueMember,
    Scenario,
    Schedule,
)
from pbx.sandbox import sipp_call

from .conftest import running_stasis
from .harness import allow_plain_sip, carrier, phone, phone_dials
from .test_first_call import CUSTOMER, OFFICE, ari, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def registered(extension: str) -> bool:
    try:
        endpoint = ari(lambda client: client._request("GET", f"endpoints/PJSIP/{extension}")).json()
    except AriNotFound:
        return False
    return endpoint["state"] == "online"


def office(entry: Destination, schedule: Schedule | None = None, closed: Destination | None = None) -> None:
    scenario = Scenario.objects.create(name="Biuro", schedule=schedule, when_open=entry, when_closed=closed)
    CompanyNumber.objects.create(e164=OFFICE, label="Biuro", scenario=scenario, is_main=True)


def queue(strategy: str, ring: int = 15) -> Destination:
    sales = Queue.objects.create(name="Sprzedaż", strategy=strategy, member_ring_seconds=ring, max_wait_seconds=40)
    for position, number in enumerate(["101", "102"]):
        QueueMember.objects.create(queue=sales, extension=Extension.objects.get(number=number), position=position)
    return Destination.objects.create(name="Kolejka", kind="queue", queue=sales)


def steps(call: Call) -> list[tuple[str, dict]]:
    return [(event.kind, event.detail) for event in call.events.all()]


def the_call() -> Call:
    return wait_for(lambda: Call.objects.filter(ended_at__isnull=False, direction="inbound").first(), timeout=30)


def test_ring_all_the_second_agent_answers_and_the_first_stops_ringing(staff):
    office(queue("ring_all"))
    with (
        phone("101", staff["101"][1], answers=False, registered=registered),
        phone("102", staff["102"][1], answers=True, registered=registered),
        running_stasis(),
    ):
        result = sipp_call("caller_talks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5081)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        call = the_call()
    assert call.outcome == Call.Outcome.ANSWERED and call.hung_up_by == "caller", "\n".join(map(str, steps(call)))
    assert ("connected", {"target": "102"}) in steps(call)
    assert ("ring_queue", {"targets": ["101", "102"], "strategy": "ring_all", "queue": "Sprzedaż"}) in steps(call)
    assert not ari(lambda client: client._request("GET", "channels")).json()  # 101 stopped ringing


def test_linear_moves_to_the_second_agent_when_the_first_does_not_answer(staff):
    office(queue("linear", ring=5))
    with (
        phone("101", staff["101"][1], answers=False, registered=registered),
        phone("102", staff["102"][1], answers=True, registered=registered),
        running_stasis(),
    ):
        result = sipp_call("caller_talks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5082)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        call = the_call()
    assert ("connected", {"target": "102"}) in steps(call)
    ringing, connected = (call.events.get(kind=kind).at for kind in ("ring_queue", "connected"))
    assert (connected - ringing).total_seconds() >= 5  # 101 rang its 5 s first


def test_ivr_choice_by_dtmf_reaches_the_chosen_extension(staff):
    reception = Destination.objects.create(name="Piotr", kind="extension", extension=staff["102"][0], seconds=20)
    prompt = Prompt.objects.create(name="Menu", sound="demo-moreinfo")
    menu = Menu.objects.create(name="Menu", prompt=prompt, timeout_seconds=8)
    MenuOption.objects.create(menu=menu, digit="1", destination=reception)
    office(Destination.objects.create(name="Menu", kind="menu", menu=menu))
    with phone("102", staff["102"][1], answers=True, registered=registered), running_stasis():
        result = sipp_call(
            "caller_presses_1.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5083
        )
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        call = the_call()
    assert ("menu_choice", {"digit": "1"}) in steps(call)
    assert ("connected", {"target": "102"}) in steps(call)


def test_on_a_polish_holiday_callers_hear_the_holiday_message(staff, monkeypatch):
    today = timezone.localdate()
    # The calendar says today is Independence Day; everything else is real.
    monkeypatch.setattr(
        "pbx.directory.holidays.Poland", lambda years, language: {today: "Narodowe Święto Niepodległości"}
    )
    hours = Schedule.objects.create(name="Zawsze", public_holidays=True)
    for day in range(7):
        hours.intervals.create(weekday=day, opens=time(0), closes=time(23, 59, 59))
    closed_msg = Prompt.objects.create(name="Święto", sound="please-try-call-later")
    holiday = Destination.objects.create(name="Święto", kind="announcement", prompt=closed_msg)
    office(queue("ring_all"), schedule=hours, closed=holiday)
    with running_stasis():
        result = sipp_call("caller_speaks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5084)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        call = the_call()
    assert steps(call)[1] == ("hours", {"state": "holiday", "why": "Narodowe Święto Niepodległości"})
    assert ("announcement", {"prompt": "sound:please-try-call-later"}) in steps(call)
    assert call.hung_up_by == "centrala" and call.outcome == Call.Outcome.MISSED
    assert date.today() == today


def test_plan_b_rings_the_on_duty_mobile_through_the_trunk_with_the_callers_number(staff):
    office(queue("ring_all"))  # no phone is registered: the office is unreachable
    with carrier() as trunk, running_stasis():
        result = sipp_call("caller_talks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5085)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        call = the_call()
        received = trunk.received()
    assert ("ring_plan_b", {"targets": ["+48601000102"], "strategy": "ring_all", "queue": "Sprzedaż"}) in steps(call)
    assert ("connected", {"target": "+48601000102"}) in steps(call)
    assert "INVITE sip:+48601000102@127.0.0.2:15090" in received
    assert f"From: <sip:{CUSTOMER}@" in received or f"<sip:{CUSTOMER}@" in received


def test_an_outbound_call_shows_the_company_number_at_the_carrier(staff):
    office(queue("ring_all"))
    allow_plain_sip("101")  # SIPp plays the phone
    with carrier() as trunk, running_stasis():
        result = phone_dials("0600111222", "101", staff["101"][1], 5086)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        call = wait_for(lambda: Call.objects.filter(ended_at__isnull=False).first(), timeout=20)
        received = trunk.received()
    assert (call.direction, call.caller, call.called, call.outcome) == ("outbound", "101", "+48600111222", "answered")
    invite = received[received.index("INVITE sip:+48600111222@") :].split("\n\n")[0]
    from_line = next(line for line in invite.splitlines() if line.startswith("From:"))
    assert OFFICE in from_line and "101" not in from_line.split("@")[0]


def test_a_callback_request_becomes_a_task_and_click_to_call_joins_both_legs(staff):
    offer_prompt = Prompt.objects.create(name="Oddzwonimy", sound="to-call-this-number")
    offer = Destination.objects.create(name="Oddzwonimy?", kind="callback_offer", prompt=offer_prompt)
    office(offer)
    with running_stasis():
        result = sipp_call(
            "caller_asks_callback.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5087
        )
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        task = wait_for(lambda: CallbackTask.objects.first())
    assert (task.number, task.reason, task.assigned_to.number) == (CUSTOMER, "requested", "102")

    with phone("102", staff["102"][1], answers=True, registered=registered), carrier() as trunk, running_stasis():
        assert do_start_callback(task) == "102"
        wait_for(lambda: CallbackTask.objects.get().status == CallbackTask.Status.DONE, timeout=20)
        # The office manager's colleague finishes the call.
        ari(lambda client: client.hangup(f"callback-{task.pk}-102"))
        callback = wait_for(lambda: Call.objects.filter(direction="outbound", ended_at__isnull=False).first())
        received = trunk.received()
    assert (callback.caller, callback.called, callback.outcome) == ("102", CUSTOMER, "answered")
    assert f"INVITE sip:{CUSTOMER}@127.0.0.2:15090" in received


def test_a_number_saved_while_the_app_runs_answers_its_first_caller_at_once(asterisk):
    """Saving tells the app through Asterisk (a user event), so it reads the configuration at
    once: a number saved a moment ago is not "not in service" until the app's periodic
    refresh (10 s), as a caller dialling it at once used to hear."""
    from company_numbers.actions import do_save_number

    greeting = Prompt.objects.create(name="Witamy", sound="hello-world")
    hello = Destination.objects.create(name="Powitanie", kind="announcement", prompt=greeting)
    scenario = Scenario.objects.create(name="Biuro", when_open=hello)
    with running_stasis() as pump:
        app = pump.app
        assert app is not None and app.directory.plan_for(OFFICE) is None
        do_save_number(CompanyNumber(), {"e164": OFFICE, "label": "Biuro", "scenario": scenario}, actor="test")
        wait_for(lambda: app.directory.plan_for(OFFICE), timeout=3)  # well before the 10 s refresh
        result = sipp_call("caller_speaks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5112)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        call = the_call()
    assert ("announcement", {"prompt": "sound:hello-world"}) in steps(call)
