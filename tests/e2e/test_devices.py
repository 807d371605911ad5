"""A person with two phones on the real Asterisk: a desk phone (baresip, TLS and SRTP) on the
extension's own login and a softphone (SIPp) on a login of its own that joins the ringing 3 s
later. The desk phone answers the first call (the softphone never rings); the second time the
desk phone only rings, the softphone joins and answers. Both calls are the person's. Click-to-call
rings both phones; the softphone answers, the desk phone stops, the customer is called once."""

from __future__ import annotations

import pytest
from django.conf import settings

from pbx.asterisk_config import apply_config
from pbx.callbacks import do_click_to_call
from pbx.extensions import do_add_device
from pbx.models import Call, CallbackTask, Extension
from pbx.sandbox import sipp_call

from .conftest import running_stasis
from .harness import carrier, phone, sip_register, sipp_agent
from .test_first_call import CUSTOMER, OFFICE, ari, wait_for
from .test_scenarios import office, queue, registered, steps

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def talk(port: int, nth: int) -> Call:
    """A caller rings the office and talks; the `nth` call in the history, once it ended."""
    result = sipp_call("caller_talks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=port)
    assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
    ended = Call.objects.filter(direction="inbound", ended_at__isnull=False).order_by("started_at")
    return wait_for(lambda: ended[nth - 1] if ended.count() >= nth else None, timeout=20)


def test_a_persons_desk_phone_and_softphone_each_answer_in_turn(staff, asterisk):
    anna = Extension.objects.get(number="101")
    softphone, password = do_add_device(anna, "Softphone", actor="test", ring_after_seconds=3, plain_sip=True)
    apply_config(asterisk.etc, reload=True)
    office(queue("ring_all"))
    with sipp_agent("agent_answers.xml", softphone.sip_username, password, registered) as agent, running_stasis():
        with phone("101", staff["101"][1], answers=True, registered=registered):
            first = talk(5181, 1)  # the desk phone answers at once: the softphone's turn never comes
        assert agent.poll() is None, "the softphone was rung although the desk phone had answered"
        with phone("101", staff["101"][1], answers=False, registered=registered):
            second = talk(5182, 2)  # the desk phone only rings; 3 s later the softphone joins and answers
        assert agent.wait(30) == 0, "the softphone did not answer the second call"
    sip_register(softphone.sip_username, password, port=5096)  # its registration goes with the test
    for call in (first, second):
        assert call.outcome == Call.Outcome.ANSWERED and ("connected", {"target": "101"}) in steps(call)
    rung = [detail["targets"] for kind, detail in steps(second) if kind == "ring_queue"]
    assert rung == [["101"]]  # one person, whichever phone answers


def test_click_to_call_rings_every_phone_of_the_person_and_the_first_to_answer_calls_the_customer(staff, asterisk):
    anna = Extension.objects.get(number="101")
    softphone, password = do_add_device(anna, "Softphone", actor="test", plain_sip=True)
    apply_config(asterisk.etc, reload=True)
    with (
        sipp_agent("agent_answers.xml", softphone.sip_username, password, registered) as agent,
        phone("101", staff["101"][1], answers=False, registered=registered),
        carrier() as trunk,
        running_stasis(),
    ):
        task = do_click_to_call(CUSTOMER, anna, "anna")
        wait_for(lambda: CallbackTask.objects.get(pk=task.pk).status == CallbackTask.Status.DONE, timeout=20)
        desk = f"callback-{task.pk}-101"
        wait_for(lambda: desk not in channels(), timeout=10)  # the desk phone stopped ringing
        ari(lambda client: client.hangup(f"callback-{task.pk}-{softphone.sip_username}"))
        call = wait_for(lambda: Call.objects.filter(direction="outbound", ended_at__isnull=False).first(), timeout=20)
        assert agent.wait(20) == 0, agent.stdout.read()[-3000:] if agent.stdout else ""
        received = trunk.received()
    assert (call.caller, call.called, call.outcome) == ("101", CUSTOMER, "answered")
    assert received.count(f"INVITE sip:{CUSTOMER}@") == 1  # the customer is called once


def channels() -> list[str]:
    return [channel["id"] for channel in ari(lambda client: client._request("GET", "channels")).json()]


def test_presence_follows_the_staff_phones_devices_only_and_a_phone_added_while_the_app_runs(staff, asterisk):
    """The app follows the staff phones' device states and no endpoint (an endpoint
    subscription doubles the events of every channel on it: the carrier's, or a phone's);
    registrations reach it as they happen, and a phone added in the admin is followed as soon
    as it is saved (the save tells the app)."""
    office(queue("ring_all"))

    def subscribed() -> tuple[set[str], set[str]]:
        app = ari(lambda client: client.application(settings.ARI_APP))
        return set(app["device_names"]), set(app["endpoint_ids"])

    with running_stasis() as pump:
        app = pump.app
        assert app is not None
        assert subscribed() == ({"PJSIP/101", "PJSIP/102"}, set())
        assert app.presence == {"101": False, "102": False}
        with phone("101", staff["101"][1], answers=False, registered=registered):
            wait_for(lambda: app.presence.get("101") is True, timeout=10)
        wait_for(lambda: app.presence.get("101") is False, timeout=10)
        anna = Extension.objects.get(number="101")
        softphone, password = do_add_device(anna, "Softphone", actor="test", plain_sip=True)
        login = softphone.sip_username
        wait_for(lambda: f"PJSIP/{login}" in subscribed()[0], timeout=5)  # well before the 10 s refresh
        assert subscribed() == ({"PJSIP/101", "PJSIP/102", f"PJSIP/{login}"}, set())
        wait_for(lambda: app.presence.get(login) is False, timeout=15)  # at the latest at the next refresh
        with sipp_agent("agent_answers.xml", login, password, registered):
            wait_for(lambda: app.presence.get(login) is True, timeout=10)
    sip_register(login, password, port=5096)  # its registration goes with the test
