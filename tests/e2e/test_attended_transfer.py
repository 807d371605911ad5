"""Attended transfer on the real Asterisk. A customer's call rings Piotr (102, a scripted phone:
sip_phone.py, since neither SIPp nor Debian's baresip holds two calls and joins them); he
answers, puts the customer on hold, calls Anna (101, baresip over TLS and SRTP), talks, and
completes the transfer (REFER with Replaces), sent on either call as phones differ. The
customer then talks to Anna in the same call: one history line, one recording through the
transfer; Piotr's phone is released from both calls. Going back instead (he hangs up on Anna
and takes the customer off hold) leaves the customer with him."""

from __future__ import annotations

import threading
import time

import pytest
from django.conf import settings

from pbx.models import Call, Destination
from pbx.sandbox import SippResult, sipp_call
from recordings.models import Recording

from .conftest import running_stasis
from .harness import allow_plain_sip, phone
from .sip_phone import sip_phone
from .test_first_call import CUSTOMER, OFFICE, ari, wait_for
from .test_scenarios import office, registered, steps

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def customer_calls(port: int) -> tuple[threading.Thread, list[SippResult]]:
    """The customer (SIPp at the carrier's side) calls the office and talks for 25 s."""
    results: list[SippResult] = []
    thread = threading.Thread(
        target=lambda: results.append(
            sipp_call(
                "caller_talks_long.xml",
                OFFICE,
                CUSTOMER,
                sip_port=settings.ASTERISK_SIP_PORT,
                local_port=port,
                timeout_s=60,
            )
        )
    )
    thread.start()
    return thread, results


def bridged_with_customer() -> set[str]:
    """The channel names in the bridge the customer's channel is in now."""
    channels = {ch["id"]: ch for ch in ari(lambda client: client.channels())}
    customer = {id for id, ch in channels.items() if ch["name"].startswith("PJSIP/carrier")}
    for bridge in ari(lambda client: client.bridges()):
        if customer & set(bridge["channels"]):
            return {channels[ch]["name"] if ch in channels else ch for ch in bridge["channels"]}
    return set()


@pytest.mark.parametrize("refer_on", ["customer's call", "consultation call"])
def test_piotr_consults_anna_then_hands_the_customer_over(staff, rule, refer_on):
    allow_plain_sip("102")
    piotr_rings = Destination.objects.create(name="Piotr", kind="extension", extension=staff["102"][0], seconds=20)
    office(piotr_rings)
    server = ("127.0.0.1", settings.ASTERISK_SIP_PORT)
    with (
        phone("101", staff["101"][1], answers=True, registered=registered),
        sip_phone("102", staff["102"][1], server) as piotr,
        running_stasis(),
    ):
        customer, result = customer_calls(5301)
        first = piotr.answer(timeout=30)
        assert piotr.hold(first) == 200
        consult = piotr.call("101")  # Anna's phone answers at once
        time.sleep(1)
        transferred_at = time.monotonic()
        on, other = (first, consult) if refer_on == "customer's call" else (consult, first)
        assert piotr.transfer(on, "101", replacing=other) == 202
        assert piotr.transfer_result(on) == "SIP/2.0 200 OK"
        # Piotr's phone is let go from both calls; the customer now talks to Anna.
        assert first.ended.wait(10) and consult.ended.wait(10)
        names = wait_for(lambda: (found := bridged_with_customer()) and len(found) == 2 and found, timeout=10)
        assert any(name.startswith("PJSIP/101") for name in names), names
        customer.join(60)
        ended_at = time.monotonic()
        call = wait_for(lambda: Call.objects.filter(direction="inbound", ended_at__isnull=False).first(), timeout=20)
        recording = wait_for(lambda: Recording.objects.filter(call=call).first(), timeout=30)
        consultation = wait_for(
            lambda: Call.objects.filter(direction="internal", ended_at__isnull=False).first(), timeout=20
        )
    assert (result[0].successful, result[0].failed) == (1, 0), result[0].output[-3000:]
    timeline = steps(call)
    assert ("transferred", {"by": "102", "to": "101", "attended": True}) in timeline, timeline
    assert [detail for kind, detail in timeline if kind == "connected"] == [{"target": "102"}, {"target": "101"}]
    assert call.outcome == Call.Outcome.ANSWERED
    assert not [kind for kind, _ in timeline if kind in ("command_failed", "transfer_refused")], timeline
    # One recording, from Piotr's answer through the transfer to the customer's hang-up.
    assert Recording.objects.filter(call=call).count() == 1
    after_transfer = ended_at - transferred_at
    assert recording.duration_seconds > after_transfer, (recording.duration_seconds, after_transfer)
    # The consultation is a call of its own, answered, that says where Anna went.
    assert ("handed_over", {"to": "101", "caller": call.caller}) in steps(consultation)
    assert consultation.outcome == Call.Outcome.ANSWERED
    assert set(call.staff.values_list("number", flat=True)) == {"101", "102"}


def test_piotr_consults_anna_then_goes_back_to_the_customer(staff):
    allow_plain_sip("102")
    office(Destination.objects.create(name="Piotr", kind="extension", extension=staff["102"][0], seconds=20))
    server = ("127.0.0.1", settings.ASTERISK_SIP_PORT)
    with (
        phone("101", staff["101"][1], answers=True, registered=registered),
        sip_phone("102", staff["102"][1], server, port=5302) as piotr,
        running_stasis(),
    ):
        customer, result = customer_calls(5303)
        first = piotr.answer(timeout=30)
        assert piotr.hold(first) == 200
        consult = piotr.call("101")
        time.sleep(1)
        assert piotr.hang_up(consult) == 200
        assert piotr.hold(first, held=False) == 200
        names = wait_for(lambda: (found := bridged_with_customer()) and len(found) == 2 and found, timeout=10)
        assert any(name.startswith("PJSIP/102") for name in names), names
        customer.join(60)
        assert first.ended.wait(10)  # the customer hung up: Piotr's phone is let go
        call = wait_for(lambda: Call.objects.filter(direction="inbound", ended_at__isnull=False).first(), timeout=20)
    assert (result[0].successful, result[0].failed) == (1, 0), result[0].output[-3000:]
    timeline = steps(call)
    assert [detail for kind, detail in timeline if kind == "connected"] == [{"target": "102"}]
    assert not [kind for kind, _ in timeline if kind.startswith("transfer")], timeline
    assert call.outcome == Call.Outcome.ANSWERED
