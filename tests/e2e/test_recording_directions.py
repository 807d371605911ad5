"""Recording rules on the real Asterisk in the directions beyond inbound: an outgoing call to
the carrier (the called party hears the notice first), an internal call, and a rule for one
person on an inbound queue call."""

from __future__ import annotations

import pytest
from django.conf import settings

from compliance.models import ProcessingPurpose
from pbx.models import Extension, Prompt
from pbx.sandbox import sipp_call
from recordings.models import Recording, RecordingRule

from .conftest import running_stasis
from .harness import allow_plain_sip, carrier, phone, phone_dials
from .test_first_call import CUSTOMER, OFFICE, wait_for
from .test_scenarios import office, queue, registered, steps

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def purpose() -> ProcessingPurpose:
    announcement = Prompt.objects.create(name="Nagrywamy", sound="conf-now-recording")  # 2.3 s
    return ProcessingPurpose.objects.create(
        name="Umowy",
        legal_basis="6.1.b",
        retention_days=60,
        announcement=announcement,
        notice_text="Nagrywamy zawarcie umowy.",
    )


def recorded() -> Recording:
    return wait_for(lambda: Recording.objects.select_related("call", "purpose").first(), timeout=30)


def test_an_outgoing_call_is_recorded_after_the_called_party_heard_the_notice(staff, purpose):
    office(queue("ring_all"))
    RecordingRule.objects.create(name="Wychodzące", direction="outbound", mode="always", purpose=purpose)
    allow_plain_sip("101")
    with carrier() as trunk, running_stasis():
        result = phone_dials("0600111222", "101", staff["101"][1], 5130)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        recording = recorded()
        assert "INVITE sip:+48600111222@" in trunk.received()
    call = recording.call
    kinds = [kind for kind, _ in steps(call)]
    assert ("recording_notice", {"rule": "Wychodzące", "to": "+48600111222"}) in steps(call)
    assert kinds.index("connected") < kinds.index("recording_notice") < kinds.index("recording")
    notice_at = call.events.get(kind="recording_notice").at
    recording_at = call.events.get(kind="recording").at
    assert (recording_at - notice_at).total_seconds() >= 2.0  # the whole notice, before the two were connected
    assert recording.purpose is not None
    assert (call.direction, recording.kind, recording.purpose.name) == ("outbound", "call", "Umowy")


def test_an_internal_call_is_recorded_by_an_internal_rule(staff, purpose):
    office(queue("ring_all"))
    RecordingRule.objects.create(name="Wewnętrzne", direction="internal", mode="always", purpose=purpose)
    allow_plain_sip("101")
    with phone("102", staff["102"][1], answers=True, registered=registered), running_stasis():
        result = phone_dials("102", "101", staff["101"][1], 5131)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        recording = recorded()
    assert ("recording_notice", {"rule": "Wewnętrzne", "to": "102"}) in steps(recording.call)
    assert recording.purpose is not None
    assert (recording.call.direction, recording.purpose.name) == ("internal", "Umowy")


def test_a_rule_for_one_person_records_their_queue_calls_after_telling_the_caller(staff, purpose):
    office(queue("ring_all"))
    RecordingRule.objects.create(
        name="Piotr", extension=Extension.objects.get(number="102"), mode="always", purpose=purpose
    )
    with phone("102", staff["102"][1], answers=True, registered=registered), running_stasis():
        result = sipp_call("caller_talks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5132)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        recording = recorded()
    kinds = [kind for kind, _ in steps(recording.call)]
    assert kinds.index("recording_notice") < kinds.index("ring_queue") < kinds.index("recording")
    assert ("connected", {"target": "102"}) in steps(recording.call)
    assert recording.purpose is not None
    assert recording.purpose.name == "Umowy" and recording.duration_seconds > 1
