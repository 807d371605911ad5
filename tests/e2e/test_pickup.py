"""Call pickup on the real Asterisk: a customer's call rings Anna's phone (baresip, TLS and
SRTP), which she does not answer; Piotr dials *8 on his (SIPp) and gets the customer. The
history says who picked it up and whose phone was ringing. With nothing ringing, *8 hears so.
Piotr parks a caller (a transfer to *70) and Anna takes the call back from slot 1 (*701)."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings

from pbx.models import Call, Destination
from pbx.sandbox import SippResult, sipp_call

from .conftest import running_stasis
from .harness import allow_plain_sip, phone, phone_dials, sipp_agent
from .test_first_call import CUSTOMER, OFFICE, wait_for
from .test_phone_services import keys
from .test_scenarios import office, queue, registered, steps

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_piotr_picks_up_the_call_ringing_on_annas_phone(staff, asterisk):
    allow_plain_sip("102")  # Piotr's phone here is SIPp: plain SIP, from loopback only
    office(queue("ring_all", ring=30))
    caller: list[SippResult] = []
    with phone("101", staff["101"][1], answers=False, registered=registered), running_stasis():
        customer = threading.Thread(
            target=lambda: caller.append(
                sipp_call("caller_talks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5184)
            )
        )
        customer.start()
        wait_for(lambda: Call.objects.filter(events__kind="ring_queue", ended_at__isnull=True).first(), timeout=20)
        picked = phone_dials("*8", "102", staff["102"][1], port=5185)  # answered, talks 3 s, hangs up
        customer.join(60)
        call = wait_for(lambda: Call.objects.filter(direction="inbound", ended_at__isnull=False).first(), timeout=20)
    assert (picked.successful, picked.failed) == (1, 0), picked.output[-3000:]
    timeline = steps(call)
    assert ("picked_up", {"by": "102", "rung": ["101"]}) in timeline, timeline
    assert ("connected", {"target": "102"}) in timeline
    assert call.outcome == Call.Outcome.ANSWERED
    assert set(call.staff.values_list("number", flat=True)) >= {"102"}
    assert not Call.objects.filter(direction="internal").exists()  # the pickup is no call of its own


def test_with_nothing_ringing_star_8_is_told_so(staff, asterisk):
    allow_plain_sip("102")
    with running_stasis():
        keys(speech_ms=500)  # no keys: the phone listens until Centrala hangs up
        result = phone_dials("*8", "102", staff["102"][1], port=5186, scenario="phone_presses_keys.xml")
        service = wait_for(lambda: Call.objects.filter(direction="internal", ended_at__isnull=False).first(), 20)
    assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
    assert ("phone_service", {"service": "pickup", "prompt": None}) in steps(service)
    assert service.outcome == Call.Outcome.REJECTED


def test_piotr_parks_the_caller_and_anna_takes_the_call_back_from_slot_1(staff, asterisk):
    allow_plain_sip("101")  # Anna's phone here is SIPp
    office(Destination.objects.create(name="Piotr", kind="extension", extension=staff["102"][0], seconds=20))
    with sipp_agent("agent_parks.xml", "102", staff["102"][1], registered) as agent, running_stasis():
        customer = threading.Thread(
            target=lambda: sipp_call(
                "caller_talks_long.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5187
            )
        )
        customer.start()
        wait_for(lambda: Call.objects.filter(events__kind="ring_parked", ended_at__isnull=True).first(), timeout=30)
        agent.wait(20)
        assert agent.returncode == 0, agent.stdout.read()[-3000:] if agent.stdout else ""
        taken = phone_dials("*701", "101", staff["101"][1], port=5188)  # answered, talks 3 s, hangs up
        customer.join(60)
        call = wait_for(lambda: Call.objects.filter(direction="inbound", ended_at__isnull=False).first(), timeout=20)
    assert (taken.successful, taken.failed) == (1, 0), taken.output[-3000:]
    timeline = steps(call)
    assert ("ring_parked", {"targets": ["102"], "strategy": "ring_all", "slot": 1}) in timeline, timeline
    assert ("picked_up", {"by": "101", "slot": 1}) in timeline
    assert [d for kind, d in timeline if kind == "connected"] == [{"target": "102"}, {"target": "101"}]
    assert call.outcome == Call.Outcome.ANSWERED
