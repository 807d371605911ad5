"""A staff phone's own services on the real Asterisk, typed on a SIPp phone: the office manager
records the greeting on her phone (*96<prompt>, PIN, speak, #, 1) and the next caller is greeted
with it; a box's owner hears her new message on her phone (*97, a wrong PIN, then the right one)
and it is marked heard."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.utils import timezone

from company_numbers.models import CompanyNumber
from compliance.models import AuditEntry
from compliance.roles import sync_roles
from pbx.extensions import do_set_pin
from pbx.models import Call, Destination, Extension, Prompt, Scenario
from pbx.prompts import audio_from_text, do_save_prompt
from pbx.sandbox import copy_scenarios, sipp_call
from tests.django.test_recordings import make_wav
from voicemail.actions import do_file_message
from voicemail.models import Mailbox, Message
from voicemail.phone import PLAYING

from .conftest import running_stasis
from .dtmf_pcap import write_key_presses
from .harness import allow_plain_sip, phone_dials
from .test_first_call import CUSTOMER, OFFICE, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PIN = "2468"


def person_with_pin(name: str, number: str, role: str) -> User:
    sync_roles(Group, Permission)  # a transactional test starts from an empty database
    user = User.objects.create_user(name, email=f"{name}@biuro.example", password=f"{name}-Long-Password-1")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name=role))
    extension = Extension.objects.get(number=number)
    extension.user = user
    extension.save()
    do_set_pin(extension, PIN, actor="admin")
    allow_plain_sip(number)  # SIPp speaks plain SIP
    return user


def keys(*presses: tuple[int, str], speech_ms: int = 0) -> None:
    write_key_presses(copy_scenarios() / "keys.pcap", list(presses), audio_ms=speech_ms)


def typed(start_ms: int, digits: str) -> list[tuple[int, str]]:
    return [(start_ms + 250 * n, digit) for n, digit in enumerate(digits)]


def test_a_greeting_recorded_on_the_phone_greets_the_next_caller(staff, settings):
    settings.PROMPT_LANGUAGE = "pl"
    call_command("build_sounds", stdout=io.StringIO())
    person_with_pin("anna", "101", "Office manager")
    greeting = do_save_prompt(
        Prompt(name="Powitanie", text="Dzień dobry."), audio_from_text("Dzień dobry."), "speech", actor="admin"
    )
    old_stem = greeting.file_stem
    hello = Destination.objects.create(name="Powitanie", kind="announcement", prompt=greeting)
    CompanyNumber.objects.create(
        e164=OFFICE, label="Biuro", scenario=Scenario.objects.create(name="Biuro", when_open=hello), is_main=True
    )
    # PIN and #; the instructions and the tone; 4 s of speech ended with #; then 1 keeps it.
    keys(*typed(1000, PIN + "#"), (11000, "#"), (16000, "1"), speech_ms=12000)
    with running_stasis() as pump:
        result = phone_dials(f"*96{greeting.pk}", "101", staff["101"][1], port=5099, scenario="phone_presses_keys.xml")
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        wait_for(lambda: Prompt.objects.get(pk=greeting.pk).file_stem != old_stem, timeout=20)
        greeting.refresh_from_db()
        # the next call hears it, once the app has read the configuration again
        wait_for(lambda: greeting.file_stem in str(pump.app.directory.destinations), timeout=20)  # type: ignore[union-attr]
        caller = sipp_call("caller_speaks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5092)
        assert caller.successful == 1, caller.output[-2000:]
        inbound = wait_for(lambda: Call.objects.filter(direction="inbound", ended_at__isnull=False).first(), 20)
    assert greeting.source == Prompt.Source.PHONE and greeting.seconds is not None and greeting.seconds > 2
    assert not greeting.file_missing
    service = Call.objects.get(direction="internal")
    kinds = list(service.events.values_list("kind", flat=True))
    assert "pin_accepted" in kinds and "prompt_recorded" in kinds, kinds
    [announced] = inbound.events.filter(kind="announcement").values_list("detail__prompt", flat=True)
    assert greeting.file_stem in announced
    assert AuditEntry.objects.filter(actor="anna", action="config.change", target=f"pbx.prompt:{greeting.pk}").exists()


def test_the_owner_hears_a_new_message_on_her_phone_after_a_wrong_pin_and_it_is_then_heard(staff, settings, tmp_path):
    settings.PROMPT_LANGUAGE = "pl"
    call_command("build_sounds", stdout=io.StringIO())
    person_with_pin("piotr", "102", "Agent")
    box = Mailbox.objects.create(name="Biuro")
    box.owners.add(Extension.objects.get(number="102"))
    left = Call.objects.create(channel_id="vm", direction="inbound", caller=CUSTOMER, started_at=timezone.now())
    recording = do_file_message(
        str(left.pk), f"{left.pk}-voicemail", "wav", make_wav(tmp_path / "message.wav", 2.0), box.pk
    )
    # a wrong PIN, then the right one (keys during a prompt cut it short)
    keys(*typed(1000, "1111#"), *typed(3500, PIN + "#"))
    with running_stasis():
        result = phone_dials("*97", "102", staff["102"][1], port=5099, scenario="phone_presses_keys.xml")
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        service = wait_for(lambda: Call.objects.filter(direction="internal", ended_at__isnull=False).first(), 20)
        message = wait_for(lambda: Message.objects.filter(recording=recording, heard_at__isnull=False).first(), 10)
    assert message.heard_by == "piotr"
    events = list(service.events.values_list("kind", "detail"))
    assert ("pin_wrong", {"extension": "102", "tries": 1}) in events, events
    assert ("message_played", {"message": message.pk, "new": True}) in events, events
    assert AuditEntry.objects.filter(actor="piotr", action="recording.play", source="phone 102").exists()
    assert AuditEntry.objects.filter(actor="piotr", action="voicemail.heard").exists()
    # the decrypted copy Asterisk played is gone with the call
    assert not Path(settings.CENTRALA_SOUNDS_DIR, PLAYING, str(service.pk)).exists()
