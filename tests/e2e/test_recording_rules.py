"""Issue 4 on live calls: announcement, then recording; objection honoured; no rule, no recording."""

from __future__ import annotations

import io
import time
import wave
from array import array

import pytest
from django.conf import settings

from compliance.models import AuditEntry
from pbx.models import Call, Destination, Extension
from pbx.sandbox import copy_scenarios, sipp_call
from recordings.models import Recording

from .conftest import running_stasis
from .dtmf_pcap import write_dtmf_pcap
from .harness import caller_talking_long, phone, sipp_agent
from .test_first_call import CUSTOMER, OFFICE, rms, wait_for
from .test_scenarios import office, queue, registered, steps, the_call

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_announced_call_is_recorded_once_connected_and_decrypts_to_audio(staff, rule):
    office(queue("ring_all"))
    with phone("102", staff["102"][1], answers=True, registered=registered), running_stasis():
        result = sipp_call("caller_talks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5091)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        recording = wait_for(lambda: Recording.objects.select_related("call", "purpose").first(), timeout=30)
    call = recording.call
    kinds = [kind for kind, _ in steps(call)]
    assert kinds.index("recording_notice") < kinds.index("ring_queue") < kinds.index("recording")
    assert (recording.kind, recording.purpose.name) == ("call", "Jakość obsługi")
    assert round((recording.expires_at - recording.created_at).total_seconds() / 86400) == 30
    with wave.open(io.BytesIO(recording.audio())) as audio:
        seconds = audio.getnframes() / audio.getframerate()
        samples = array("h", audio.readframes(audio.getnframes()))
    # Connected about 5 s in (announcement and objection window), the caller hangs up at 12 s.
    assert 3.0 <= seconds <= 9.0, seconds
    assert rms(samples) > 300, "the recording is silence"


def test_the_recording_holds_the_staff_side_too(staff, rule):
    """The caller sends no sound at all; the person who answers (a phone playing a 440 Hz tone)
    must be in the file: the recording holds what the caller hears, not only what they say."""
    office(queue("ring_all"))
    with phone("102", staff["102"][1], answers=True, registered=registered), running_stasis():
        result = sipp_call("caller_listens.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5091)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        recording = wait_for(lambda: Recording.objects.first(), timeout=30)
    with wave.open(io.BytesIO(recording.audio())) as audio:
        samples = array("h", audio.readframes(audio.getnframes()))
    assert len(samples) > 3 * 8000 and rms(samples) > 300, "the staff side is not in the recording"


def test_a_caller_who_presses_the_objection_key_is_not_recorded(staff, rule):
    office(queue("ring_all"))
    with phone("102", staff["102"][1], answers=True, registered=registered), running_stasis():
        result = sipp_call(
            "caller_presses_1.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5092
        )
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        call = the_call()
    assert ("recording_objection", {"rule": "Przychodzące", "key": "1"}) in steps(call)
    assert ("connected", {"target": "102"}) in steps(call)
    assert not Recording.objects.exists()


def test_a_call_matching_no_rule_leaves_no_recording(staff):
    office(queue("ring_all"))
    with phone("102", staff["102"][1], answers=True, registered=registered), running_stasis():
        result = sipp_call("caller_talks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5093)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        call = the_call()
    assert ("connected", {"target": "102"}) in steps(call)
    assert "recording_notice" not in [kind for kind, _ in steps(call)]
    assert not Recording.objects.exists() and Call.objects.count() == 1


def test_a_paused_span_holds_no_audio(staff, rule):
    office(queue("ring_all"))
    folder = copy_scenarios()
    write_dtmf_pcap(folder / "keys_star1.pcap", "*1")
    write_dtmf_pcap(folder / "keys_star2.pcap", "*2", first=10)
    with sipp_agent("agent_pauses_recording.xml", "102", staff["102"][1], registered) as agent, running_stasis():
        result = sipp_call(
            "caller_talks_long.xml",
            OFFICE,
            CUSTOMER,
            sip_port=settings.ASTERISK_SIP_PORT,
            local_port=5094,
            timeout_s=60,
        )
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        recording = wait_for(lambda: Recording.objects.select_related("call").first(), timeout=30)
        agent.wait(20)
    events = {e.kind: e for e in recording.call.events.all()}
    assert events["recording_paused"].detail == {"by": "102"} and events["recording_resumed"].detail == {"by": "102"}
    talked = (recording.call.ended_at - events["connected"].at).total_seconds()
    paused = (events["recording_resumed"].at - events["recording_paused"].at).total_seconds()
    assert 3.5 <= paused <= 6.0, paused
    # The file lacks the paused span: it is as long as the talk minus the pause, not the whole talk.
    assert abs(recording.duration_seconds - (talked - paused)) <= 1.5, (recording.duration_seconds, talked, paused)


def test_a_transfer_keeps_one_recording_running_across_both_people(staff, rule):
    piotr = Destination.objects.create(name="Piotr", kind="extension", extension=staff["102"][0], seconds=20)
    office(piotr)
    with (
        phone("101", staff["101"][1], answers=True, registered=registered),
        sipp_agent("agent_transfers.xml", "102", staff["102"][1], registered) as agent,
        running_stasis(),
    ):
        result = sipp_call(
            "caller_talks_long.xml",
            OFFICE,
            CUSTOMER,
            sip_port=settings.ASTERISK_SIP_PORT,
            local_port=5095,
            timeout_s=60,
        )
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        recording = wait_for(lambda: Recording.objects.select_related("call").first(), timeout=30)
        agent.wait(20)
        assert agent.returncode == 0, agent.stdout.read()[-3000:] if agent.stdout else ""
    call = recording.call
    kinds = [kind for kind, _ in steps(call)]
    assert ("transferred", {"by": "102", "to": "101"}) in steps(call)
    assert [detail for kind, detail in steps(call) if kind == "connected"] == [{"target": "102"}, {"target": "101"}]
    assert kinds.count("recording") == 1 and Recording.objects.count() == 1
    at = {event.kind: event.at for event in reversed(call.events.all())}  # each kind's first time
    transferred_at = (at["transferred"] - at["connected"]).total_seconds()
    talked = (call.ended_at - at["connected"]).total_seconds()
    # One file from Piotr's answer to the caller's hang-up, through the transfer (about 4 s in):
    # far longer than the part before the transfer.
    assert 3.0 <= transferred_at <= 6.0, transferred_at
    assert abs(recording.duration_seconds - talked) <= 2.0, (recording.duration_seconds, talked)
    assert recording.duration_seconds > transferred_at + 8


def test_the_api_pauses_and_resumes_a_live_recording(staff, rule):
    from django.contrib.auth.models import User
    from rest_framework.test import APIClient

    piotr = User.objects.create_user("piotr", password="Piotr-Long-Password-1")
    Extension.objects.filter(number="102").update(user=piotr)
    office(queue("ring_all"))
    api = APIClient()
    api.force_authenticate(piotr)
    with phone("102", staff["102"][1], answers=True, registered=registered), running_stasis():
        caller = caller_talking_long(OFFICE, CUSTOMER, 5097)
        live = wait_for(lambda: Call.objects.filter(events__kind="recording", staff__number="102").first(), timeout=30)
        time.sleep(2)
        paused = api.post(f"/api/calls/{live.pk}/recording/pause")
        time.sleep(5)
        resumed = api.post(f"/api/calls/{live.pk}/recording/resume")
        result = caller.result(timeout=60)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        recording = wait_for(lambda: Recording.objects.select_related("call").first(), timeout=30)
    assert (paused.status_code, resumed.status_code) == (202, 202), (paused.content, resumed.content)
    events = {event.kind: event for event in recording.call.events.all()}
    assert events["recording_paused"].detail == {"by": "piotr"} == events["recording_resumed"].detail
    talked = (recording.call.ended_at - events["connected"].at).total_seconds()
    gap = (events["recording_resumed"].at - events["recording_paused"].at).total_seconds()
    assert 4.0 <= gap <= 7.0, gap
    assert abs(recording.duration_seconds - (talked - gap)) <= 1.5, (recording.duration_seconds, talked, gap)
    actions = list(AuditEntry.objects.filter(actor="piotr").order_by("seq").values_list("action", flat=True))
    assert actions == ["recording.pause", "recording.resume"]
    # After the call, asking again is refused with the reason, and nothing is logged.
    late = api.post(f"/api/calls/{recording.call.pk}/recording/pause")
    assert (late.status_code, late.json()) == (409, {"error": "The call has ended."})
    assert AuditEntry.objects.filter(actor="piotr").count() == 2
