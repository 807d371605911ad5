"""Do-not-disturb on the real Asterisk: Anna switches it on from her phone (*78, no PIN); a
customer's call for her then goes where the scenario sends unanswered calls (voicemail) without
her phone ringing; *79 switches it off again."""

from __future__ import annotations

import pytest
from django.conf import settings

from pbx.models import Call, Destination, Extension
from pbx.sandbox import copy_scenarios, sipp_call

from .conftest import running_stasis
from .dtmf_pcap import write_key_presses
from .harness import allow_plain_sip, phone_dials
from .test_first_call import CUSTOMER, OFFICE, wait_for
from .test_scenarios import office, steps

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
