"""Do-not-disturb and forwarding from the phone on the real Asterisk: Anna switches
do-not-disturb on (*78, no PIN); a customer's call for her then goes where the scenario sends
unanswered calls (voicemail) without her phone ringing; *79 switches it off again. She forwards
her calls to Piotr (*72102 and her PIN): the next customer for her talks to Piotr; *73 ends it."""

from __future__ import annotations

import pytest
from django.conf import settings

from pbx.extensions import do_set_pin
from pbx.models import Call, Destination, Extension
from pbx.sandbox import copy_scenarios, sipp_call

from .conftest import running_stasis
from .dtmf_pcap import write_key_presses
from .harness import allow_plain_sip, phone, phone_dials
from .test_first_call import CUSTOMER, OFFICE, wait_for
from .test_phone_services import PIN, keys, typed
from .test_scenarios import office, registered, steps

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def switch(code: str, password: str) -> None:
    write_key_presses(copy_scenarios() / "keys.pcap", [], audio_ms=500)  # nothing to press
    result = phone_dials(code, "101", password, port=5099, scenario="phone_presses_keys.xml")
    assert (result.successful, result.failed) == (1, 0), result.output[-3000:]


def test_anna_switches_do_not_disturb_on_from_her_phone_and_her_calls_go_to_voicemail(staff):
    allow_plain_sip("101")
    message = Destination.objects.create(name="Poczta", kind="voicemail", seconds=3)
    office(Destination.objects.create(name="Anna", kind="extension", extension_id=staff["101"][0].pk, then=message))
    with running_stasis() as pump:
        switch("*78", staff["101"][1])
        wait_for(lambda: Extension.objects.get(number="101").dnd, timeout=10)
        wait_for(lambda: pump.app.directory.people["101"].dnd, timeout=20)  # type: ignore[union-attr]
        result = sipp_call("caller_speaks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5089)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        call = wait_for(lambda: Call.objects.filter(direction="inbound", ended_at__isnull=False).first(), 20)
        switch("*79", staff["101"][1])
        wait_for(lambda: not Extension.objects.get(number="101").dnd, timeout=10)
    kinds = [kind for kind, _ in steps(call)]
    assert "dnd" in kinds and "voicemail" in kinds and "ring_extension" not in kinds, kinds
    assert call.outcome == Call.Outcome.VOICEMAIL


def test_anna_forwards_her_calls_to_piotr_from_her_phone_and_switches_it_off_again(staff):
    allow_plain_sip("101")
    do_set_pin(staff["101"][0], PIN, actor="admin")
    office(Destination.objects.create(name="Anna", kind="extension", extension_id=staff["101"][0].pk, seconds=20))
    with running_stasis() as pump, phone("102", staff["102"][1], answers=True, registered=registered):
        keys(*typed(1000, PIN + "#"))  # the PIN, then Centrala confirms and hangs up
        result = phone_dials("*72102", "101", staff["101"][1], port=5099, scenario="phone_presses_keys.xml")
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        forward = wait_for(lambda: Extension.objects.get(number="101").forward_always, timeout=10)
        wait_for(lambda: pump.app.directory.people["101"].forward_always == forward.pk, timeout=20)  # type: ignore[union-attr]
        result = sipp_call("caller_talks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5088)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        call = wait_for(lambda: Call.objects.filter(direction="inbound", ended_at__isnull=False).first(), 20)
        switch("*73", staff["101"][1])  # off: no PIN
        wait_for(lambda: Extension.objects.get(number="101").forward_always is None, timeout=10)
    timeline = steps(call)
    assert ("forwarded", {"extension": "101", "why": "always"}) in timeline, timeline
    assert ("connected", {"target": "102"}) in timeline
    assert forward.kind == "extension" and forward.extension.number == "102"
