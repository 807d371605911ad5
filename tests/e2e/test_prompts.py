"""The office's own voice on the real Asterisk: an MP3 the office uploaded is what the caller
hears (a tone, recognised by its pitch in what Asterisk sends to the caller), and an office
whose callers' language is Polish hears Centrala's Polish built-in messages."""

from __future__ import annotations

import io
import subprocess
import threading
from array import array
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from company_numbers.models import CompanyNumber
from pbx.audio import library
from pbx.models import Call, Destination, Prompt, Scenario
from pbx.prompts import audio_from_upload, do_save_prompt
from pbx.sandbox import SippResult, sipp_call

from .conftest import running_stasis
from .listening import caller_channel, loudness, record_heard, spy_application, strength
from .test_first_call import CUSTOMER, OFFICE, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def office_greeting(prompt: Prompt) -> None:
    greeting = Destination.objects.create(name="Powitanie", kind="announcement", prompt=prompt)
    scenario = Scenario.objects.create(name="Biuro", when_open=greeting)
    CompanyNumber.objects.create(e164=OFFICE, label="Biuro", scenario=scenario, is_main=True)


def call_and_listen(seconds: int, name: str) -> array[int]:
    """A SIPp caller dials the office and stays until Centrala hangs up; `seconds` of what it
    hears, from its answer on."""
    outcome: list[SippResult] = []
    with spy_application(), running_stasis():
        dialler = threading.Thread(
            target=lambda: outcome.append(
                sipp_call("caller_speaks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5091)
            )
        )
        dialler.start()
        heard = record_heard(caller_channel(CUSTOMER), seconds, name)
        dialler.join(60)
    timeline = [(e.kind, e.detail) for call in Call.objects.all() for e in call.events.all()]
    assert outcome, f"SIPp did not finish; {timeline}"
    assert outcome[0].successful == 1, f"{timeline}\n{outcome[0].output[-1500:]}"
    return heard


def test_an_uploaded_mp3_greeting_is_what_the_caller_hears(asterisk, tmp_path: Path):
    mp3 = tmp_path / "powitanie.mp3"
    tone = ["-f", "lavfi", "-i", "sine=frequency=880:duration=8", "-ac", "2"]
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", *tone, str(mp3)], check=True)
    with mp3.open("rb") as upload:
        prompt = do_save_prompt(Prompt(name="Powitanie"), audio_from_upload(upload), "upload", actor="test")
    assert library.present(library.PROMPTS, prompt.file_stem)
    office_greeting(prompt)
    heard = call_and_listen(4, "heard-upload")
    assert loudness(heard) > 500, "the caller heard silence"
    # The greeting is an 880 Hz tone: that pitch dominates what the caller hears.
    assert strength(heard, 880) > 5 * max(strength(heard, 440), strength(heard, 1320), strength(heard, 1000))
    call = wait_for(lambda: Call.objects.filter(ended_at__isnull=False).first(), timeout=30)
    assert ("announcement", {"prompt": prompt.media_uri}) in [(e.kind, e.detail) for e in call.events.all()]


def test_an_office_whose_callers_speak_polish_hears_the_polish_built_in_messages(asterisk, settings):
    settings.PROMPT_LANGUAGE = "pl"
    call_command("build_sounds", stdout=io.StringIO())
    stock = Prompt.objects.create(name="Powitanie", sound="hello-world")
    office_greeting(stock)
    heard = call_and_listen(3, "heard-polish")
    windows = [round(loudness(heard[i : i + 4000])) for i in range(0, len(heard), 4000)]
    assert loudness(heard) > 300, f"the caller heard silence: Asterisk did not find the Polish file {windows}"
    call = wait_for(lambda: Call.objects.filter(ended_at__isnull=False).first(), timeout=30)
    polish = library.uri(library.SYSTEM, "pl", "hello-world")
    assert ("announcement", {"prompt": polish}) in [(e.kind, e.detail) for e in call.events.all()]
