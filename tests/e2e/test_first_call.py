"""A real call end to end: SIPp (the carrier, with real RTP) -> Asterisk -> Stasis -> history."""

from __future__ import annotations

import hashlib
import io
import logging
import re
import time
import wave
from array import array
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from company_numbers.models import CompanyNumber
from pbx.ari.client import AriClient, AriNotFound
from pbx.asterisk import run_with_ari
from pbx.asterisk_config import apply_config
from pbx.extensions import do_create_extension
from pbx.models import Call
from pbx.sandbox import sandbox, sipp_call
from recordings.models import Recording

from .conftest import Asterisk, running_stasis
from .stasis_process import StasisProcess

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OFFICE = "+48221234567"
CUSTOMER = "+48601234567"


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"condition not met within {timeout} s")


def ari(coro_factory: Callable[[AriClient], Any]) -> Any:
    return run_with_ari(coro_factory)


def rms(samples: array) -> float:
    return (sum(s * s for s in samples) / len(samples)) ** 0.5


@pytest.fixture
def office_number(message_line: CompanyNumber) -> CompanyNumber:
    return message_line


@pytest.mark.parametrize("over_socket", [True, False], ids=["requests-over-websocket", "requests-over-http"])
def test_inbound_call_is_answered_greeted_recorded_and_stored(
    asterisk: Asterisk, office_number: CompanyNumber, over_socket: bool, settings
):
    settings.ARI_REQUESTS_OVER_WEBSOCKET = over_socket
    with running_stasis() as pump:
        result = sipp_call("caller_speaks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5071)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        recording = wait_for(lambda: Recording.objects.select_related("call").first())
    assert pump.app is not None
    socket = pump.app.ari.sockets.events
    if over_socket:
        # The answer, the announcement, the recording and the hang-up went over the socket.
        assert socket is not None and socket.sent >= 4
    else:
        assert socket is None

    call = recording.call
    assert (call.direction, call.caller, call.called) == ("inbound", CUSTOMER, OFFICE)
    assert call.outcome == Call.Outcome.VOICEMAIL
    assert call.answered_at is not None and call.ended_at is not None
    assert call.started_at <= call.answered_at < call.ended_at
    assert (call.hangup_cause, call.hung_up_by) == (16, "centrala")
    assert [e.kind for e in call.events.all()] == [
        "started",
        "hours",
        "announcement",
        "answered",
        "voicemail",
        "callback_task",
        "hangup",
        "ended",
    ]
    assert recording.kind == "voicemail"
    assert call.callbacktask_set.get().reason == "voicemail"

    # The stored file is encrypted; decrypted, it is real audio of the length asked for.
    with recording.file.open("rb") as stored:
        assert b"RIFF" not in stored.read()
    data = recording.audio()
    assert len(data) == recording.size_bytes
    assert hashlib.sha256(data).hexdigest() == recording.sha256
    with wave.open(io.BytesIO(data)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 8000)
        seconds = audio.getnframes() / audio.getframerate()
        samples = array("h", audio.readframes(audio.getnframes()))
    # Asterisk checks maxDurationSeconds against whole-second clock readings, so a 3 s
    # limit stops after 3 to 4 s of audio (main/app.c, __ast_play_and_record).
    assert 3.0 <= seconds <= 4.1
    assert recording.duration_seconds == pytest.approx(seconds)
    assert rms(samples) > 300, "the recording is silence: the caller's RTP did not reach it"

    # Fetched over ARI and then deleted from Asterisk.
    with pytest.raises(AriNotFound):
        ari(lambda client: client._request("GET", f"recordings/stored/{recording.asterisk_name}"))
    assert not list((asterisk.spool / "recording").glob(f"{recording.asterisk_name}*"))


def test_with_asterisks_recording_directory_shared_the_file_is_read_there_not_downloaded(
    asterisk: Asterisk, office_number: CompanyNumber, settings, caplog
):
    settings.ASTERISK_RECORDING_DIR = asterisk.spool / "recording"
    caplog.set_level(logging.INFO, logger="pbx.stasis.ingest")
    with running_stasis():
        result = sipp_call("caller_speaks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5072)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        recording = wait_for(lambda: Recording.objects.first())
    assert f"stored recording {recording.asterisk_name} from the shared directory" in caplog.text
    data = recording.audio()
    assert hashlib.sha256(data).hexdigest() == recording.sha256 and 3.0 <= recording.duration_seconds <= 4.1
    assert not list((asterisk.spool / "recording").glob(f"{recording.asterisk_name}*"))  # and deleted there


def test_a_number_that_is_not_ours_hears_not_in_service_and_is_refused(asterisk: Asterisk, office_number):
    with running_stasis():
        result = sipp_call(
            "caller_unallocated.xml", "+48229999999", CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5072
        )
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        call = wait_for(lambda: Call.objects.filter(ended_at__isnull=False).first())
    assert (call.called, call.outcome, call.answered_at) == ("+48229999999", Call.Outcome.REJECTED, None)
    assert call.hangup_cause == 1
    assert not Recording.objects.exists()


def test_when_the_app_is_down_callers_hear_a_polite_message_and_get_503(asterisk: Asterisk, office_number):
    # No Stasis app connected: the dialplan fallback plays "all circuits busy" as early
    # media and refuses with 503 (SIPp fails the call on any other answer).
    result = sipp_call("caller_refused.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5073)
    assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
    assert not Call.objects.exists()


def test_asterisk_turns_callers_away_only_when_its_own_sip_queues_are_overloaded(asterisk: Asterisk):
    # Not when the Stasis app's event queue is long for a moment (docs/benchmark.md).
    shown = sandbox("cli", "test", "pjsip show settings")
    assert re.search(r"taskprocessor_overload_trigger\s*:\s*pjsip_only", shown), shown[-3000:]


def test_a_new_extension_reaches_asterisk_by_reload_without_restart(asterisk: Asterisk):
    pid_file = asterisk.etc.parent / "run" / "asterisk.pid"
    pid_before = pid_file.read_text()
    with pytest.raises(AriNotFound):
        ari(lambda client: client._request("GET", "endpoints/PJSIP/104"))

    do_create_extension("104", "Nowa osoba")  # pushes the config itself, once committed

    assert apply_config(asterisk.etc, reload=True).changed == []  # nothing left to write: it is there already
    endpoint = ari(lambda client: client._request("GET", "endpoints/PJSIP/104")).json()
    assert endpoint["resource"] == "104"
    assert pid_file.read_text() == pid_before


def test_on_connect_the_app_closes_calls_whose_end_it_missed(asterisk: Asterisk):
    from django.utils import timezone

    stale = Call.objects.create(
        channel_id="1700000000.42", direction="inbound", caller=CUSTOMER, called=OFFICE, started_at=timezone.now()
    )
    with running_stasis():
        stale.refresh_from_db()
    assert stale.outcome == Call.Outcome.LOST and stale.ended_at is not None
    assert stale.events.get().kind == "lost"


def test_manage_py_stasis_serves_a_call_and_stops_cleanly_on_sigterm(asterisk: Asterisk, office_number):
    app = StasisProcess()
    try:
        app.wait_connected(timeout=15)
        call_command("healthcheck", "stasis")  # the container's health check agrees
        result = sipp_call("caller_speaks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5074)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        wait_for(lambda: Recording.objects.exists())
    finally:
        output = app.stop()
    assert app.returncode == 0, output
    assert "stopped" in output.splitlines()[-1]
    assert Call.objects.get().outcome == Call.Outcome.VOICEMAIL
    # Stopped: the check says so at once, though Asterisk still lists the app (it subscribed
    # to the phones' presence, and Asterisk keeps such an app after its websocket is gone).
    with pytest.raises(CommandError, match="not connected"):
        call_command("healthcheck", "stasis")


def test_configuration_check_finds_a_prompt_asterisk_does_not_have(asterisk: Asterisk, office_number):
    from pbx.configuration import configuration_problems
    from pbx.models import Prompt

    assert configuration_problems() == []
    Prompt.objects.filter(sound="hello-world").update(sound="no-such-greeting")
    problems = configuration_problems()
    assert [(p.where, p.message) for p in problems] == [("sound:no-such-greeting", "does not exist in Asterisk")]
