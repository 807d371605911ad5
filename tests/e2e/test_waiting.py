"""A caller waiting in a queue on the real Asterisk hears real hold music (Debian's
asterisk-moh-opsound-wav, or the firm's own upload), and every so often, over it, their place
in the queue in Polish; pressing 1 instead ends the wait with a callback task."""

from __future__ import annotations

import io
import subprocess
import threading
from array import array

import pytest
from django.core.management import call_command

from company_numbers.models import CompanyNumber
from pbx.asterisk_config import apply_config
from pbx.models import Call, CallbackTask, Destination, Extension, Prompt, Queue, QueueMember, QueueMusic, Scenario
from pbx.prompts import audio_from_upload, do_save_prompt
from pbx.sandbox import SippResult, copy_scenarios, sipp_call

from .conftest import running_stasis
from .dtmf_pcap import write_key_presses
from .harness import phone
from .listening import caller_channel, loudness, record_heard, spy_application, strength
from .test_first_call import CUSTOMER, OFFICE, ari, wait_for
from .test_scenarios import registered

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def waiting_caller_hears(staff, settings, sales: Queue, name: str) -> tuple[array[int], Call]:  # type: ignore[no-untyped-def]
    """A SIPp caller waits in `sales` while 101 rings unanswered: 3 s of what they hear, and
    the call once it ended."""
    QueueMember.objects.create(queue=sales, extension=Extension.objects.get(number="101"), position=0)
    waiting = Destination.objects.create(name="Kolejka", kind="queue", queue=sales)
    scenario = Scenario.objects.create(name="Biuro", when_open=waiting)
    CompanyNumber.objects.create(e164=OFFICE, label="Biuro", scenario=scenario, is_main=True)
    outcome: list[SippResult] = []
    with phone("101", staff["101"][1], answers=False, registered=registered), spy_application(), running_stasis():
        dialler = threading.Thread(
            target=lambda: outcome.append(
                sipp_call("caller_talks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5094)
            )
        )
        dialler.start()
        heard = record_heard(caller_channel(CUSTOMER), 3, name)
        dialler.join(60)
        call = wait_for(lambda: Call.objects.filter(ended_at__isnull=False).first(), timeout=30)
    assert outcome and outcome[0].successful == 1, outcome[0].output[-2000:] if outcome else "SIPp did not finish"
    assert loudness(heard) > 300, "the waiting caller heard silence, not music"
    return heard, call


def test_a_waiting_caller_hears_hold_music_and_their_place_in_polish(staff, settings):
    settings.PROMPT_LANGUAGE = "pl"
    call_command("build_sounds", stdout=io.StringIO())
    sales = Queue.objects.create(name="Sprzedaż", max_wait_seconds=20, announce_place_seconds=4)
    _, call = waiting_caller_hears(staff, settings, sales, "heard-music")
    places = [event.detail for event in call.events.filter(kind="queue_place")]
    assert places and places[0] == {"place": 1}, [(e.kind, e.detail) for e in call.events.all()]


def test_a_waiting_caller_who_presses_1_is_called_back_instead_and_the_phones_stop_ringing(staff, settings):
    sales = Queue.objects.create(name="Sprzedaż", max_wait_seconds=20, announce_place_seconds=30)
    QueueMember.objects.create(queue=sales, extension=Extension.objects.get(number="101"), position=0)
    waiting = Destination.objects.create(name="Kolejka", kind="queue", queue=sales)
    scenario = Scenario.objects.create(name="Biuro", when_open=waiting)
    CompanyNumber.objects.create(e164=OFFICE, label="Biuro", scenario=scenario, is_main=True)
    write_key_presses(copy_scenarios() / "keys.pcap", [(3000, "1")], audio_ms=6000)
    with phone("101", staff["101"][1], answers=False, registered=registered), running_stasis():
        sipp_call("caller_presses_keys.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5095)
        call = wait_for(lambda: Call.objects.filter(ended_at__isnull=False).first(), timeout=40)
    kinds = [event.kind for event in call.events.all()]
    assert "callback_instead" in kinds and kinds.index("ring_queue") < kinds.index("callback_instead"), kinds
    assert (call.outcome, call.hung_up_by) == (Call.Outcome.MISSED, "centrala")
    assert [task.reason for task in CallbackTask.objects.filter(call=call)] == ["requested"]
    assert not ari(lambda client: client._request("GET", "channels")).json()  # 101 stopped ringing


def test_a_queue_with_music_of_its_own_plays_it_to_waiting_callers(staff, settings, asterisk, tmp_path):
    music = tmp_path / "muzyka.mp3"
    tone = ["-f", "lavfi", "-i", "sine=frequency=880:duration=20", "-ac", "2"]
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", *tone, str(music)], check=True)
    with music.open("rb") as upload:
        jazz = do_save_prompt(Prompt(name="Nasza muzyka"), audio_from_upload(upload), "upload", actor="test")
    sales = Queue.objects.create(name="Sprzedaż", max_wait_seconds=15, announce_place_seconds=0)
    QueueMusic.objects.create(queue=sales, prompt=jazz)
    apply_config(asterisk.etc, reload=True)  # as the admin's save does: the queue's class in Asterisk
    heard, _ = waiting_caller_hears(staff, settings, sales, "heard-own-music")
    # the firm's music is an 880 Hz tone: that pitch dominates, not Centrala's default music
    assert strength(heard, 880) > 5 * max(strength(heard, 440), strength(heard, 1320), strength(heard, 1000))
