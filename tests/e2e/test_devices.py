"""A person with two phones on the real Asterisk: a desk phone (baresip, TLS and SRTP) on the
extension's own login and a softphone (SIPp) on a login of its own that joins the ringing 3 s
later. The desk phone answers the first call (the softphone never rings); the second time the
desk phone only rings, the softphone joins and answers. Both calls are the person's."""

from __future__ import annotations

import pytest
from django.conf import settings

from pbx.asterisk_config import apply_config
from pbx.extensions import do_add_device
from pbx.models import Call, Extension
from pbx.sandbox import sipp_call

from .conftest import running_stasis
from .harness import phone, sip_register, sipp_agent
from .test_first_call import CUSTOMER, OFFICE, wait_for
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
