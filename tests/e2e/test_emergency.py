"""112 from a staff phone on the real Asterisk: through the Stasis app, and with no Stasis app
at all (the dialplan places it). Either way the carrier gets the INVITE for 112 with the
firm's number, whatever the phone's calling policy allows."""

from __future__ import annotations

import pytest

from pbx.models import Call, CallingPolicy, Extension
from pbx.sandbox import SippResult
from security.management.commands.watch_security import watch_once
from security.models import EmergencyCall
from security.seclog import LogFollower, messages_log_path, security_log_path

from .conftest import running_stasis
from .harness import allow_plain_sip, carrier, phone_dials
from .test_first_call import OFFICE, wait_for
from .test_scenarios import office, queue

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def locked_down_phone(staff):
    """Extension 101 (SIPp, plain SIP) may dial nothing at all: no mobile, no freephone, no
    minutes, no concurrent call."""
    office(queue("ring_all"))
    nothing = CallingPolicy.objects.create(
        name="Nic", allow_mobile=False, allow_freephone=False, max_concurrent=0, max_daily_minutes=0
    )
    Extension.objects.filter(number="101").update(calling_policy=nothing)
    allow_plain_sip("101")
    return staff["101"][1]


def dial(number: str, password: str, port: int) -> SippResult:
    return phone_dials(number, "101", password, port)


def invite_from(received: str, number: str) -> str:
    invite = received[received.index(f"INVITE sip:{number}@") :].split("\n\n")[0]
    return next(line for line in invite.splitlines() if line.startswith("From:"))


def test_112_reaches_the_carrier_with_the_firms_number_on_a_policy_that_allows_nothing(locked_down_phone):
    with carrier() as trunk, running_stasis():
        refused = dial("0600111222", locked_down_phone, 5120)  # the policy really allows nothing
        emergency = dial("112", locked_down_phone, 5121)
        assert (emergency.successful, emergency.failed) == (1, 0), emergency.output[-3000:]
        call = wait_for(lambda: Call.objects.filter(called="112", ended_at__isnull=False).first(), timeout=20)
        received = trunk.received()
    assert refused.successful == 0 and "INVITE sip:+48600111222@" not in received
    assert (call.direction, call.caller, call.outcome) == ("outbound", "101", "answered")
    assert OFFICE in invite_from(received, "112")
    assert EmergencyCall.objects.get().number == "112"


def test_112_reaches_the_carrier_when_the_stasis_app_is_not_running(locked_down_phone):
    security = LogFollower(security_log_path())
    messages = LogFollower(messages_log_path())  # from now on: what Asterisk logs during this call
    with carrier() as trunk:  # no running_stasis(): the app is down
        emergency = dial("112", locked_down_phone, 5122)
        received = trunk.received()
    assert (emergency.successful, emergency.failed) == (1, 0), emergency.output[-3000:]
    assert OFFICE in invite_from(received, "112")
    # The office still hears of it: watch_security reads the dialplan's line.
    wait_for(lambda: watch_once(security, [], messages) is not None and EmergencyCall.objects.exists(), timeout=10)
    assert EmergencyCall.objects.values_list("number", "extension", "shown").get() == ("112", "101", OFFICE)
