"""Issue 8 on the real Asterisk: what a crash or a restart costs (nothing, is the aim).

- kill -9 of `manage.py stasis` during a connected, recorded call: the call stays connected
  to its end, a new call meanwhile gets the dialplan's fallback (503, nothing answered), and
  the restarted app closes the call in the history and stores its recording;
- Asterisk restarted under a running app: the app reconnects by itself and serves calls.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings

from pbx.models import Call
from pbx.sandbox import sandbox, sipp_call
from recordings.models import Recording

from .conftest import running_stasis
from .harness import phone
from .test_first_call import CUSTOMER, OFFICE, app_registered, wait_for
from .test_recording_rules import rule  # noqa: F401
from .test_scenarios import office, queue, registered, staff, steps  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def start_stasis() -> subprocess.Popen[str]:
    """`manage.py stasis` as deployed, on the test database, sweeping every second."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{settings.DATABASES['default']['NAME']}",
        "ASTERISK_CONFIG_DIR": str(settings.ASTERISK_CONFIG_DIR),
        "STASIS_SWEEP_SECONDS": "1",
        "CENTRALA_MEDIA_ROOT": str(settings.MEDIA_ROOT),  # recordings land where this test reads them
        "LOG_LEVEL": "INFO",
    }
    proc = subprocess.Popen([sys.executable, "manage.py", "stasis"], cwd=settings.BASE_DIR, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    wait_for(lambda: app_registered(settings.ARI_APP), timeout=20)
    return proc


def test_kill_9_during_a_recorded_call_loses_neither_the_call_nor_its_recording(staff, rule):  # noqa: F811
    office(queue("ring_all"))
    with phone("102", staff["102"][1], answers=True, registered=registered):
        first = start_stasis()
        caller = ThreadPoolExecutor(1).submit(
            sipp_call, "caller_talks_long.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT,
            local_port=5191, timeout_s=60,
        )  # fmt: skip
        live = wait_for(lambda: Call.objects.filter(events__kind="recording").first(), timeout=30)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=10)
        # While no app listens, a new call hears the fallback and is refused with 503.
        refused = sipp_call("caller_refused.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT,
                            local_port=5192)  # fmt: skip
        assert (refused.successful, refused.failed) == (1, 0), refused.output[-3000:]
        second = start_stasis()
        try:
            # The first call stayed connected: the caller talked its 25 s and hung up itself.
            talked = caller.result(timeout=60)
            assert (talked.successful, talked.failed) == (1, 0), talked.output[-3000:]
            closed = wait_for(lambda: Call.objects.filter(pk=live.pk, ended_at__isnull=False).first(), timeout=30)
            recording = Recording.objects.filter(call=live).first
            found = wait_for(recording, timeout=30) if _within(recording, 30) else None
        finally:
            second.send_signal(signal.SIGTERM)
            output, _ = second.communicate(timeout=30)
    assert found is not None, f"no recording stored; the restarted app said:\n{output[-4000:]}"
    recording = found
    assert second.returncode == 0, output
    assert closed.outcome == Call.Outcome.LOST and ("connected", {"target": "102"}) in steps(closed)
    assert recording.kind == "call" and recording.purpose_id == rule.purpose_id
    assert recording.duration_seconds > 15, recording.duration_seconds  # the whole conversation, not a stub
    assert len(recording.audio()) > 15 * 8000  # decrypts to the audio itself
    assert Call.objects.count() == 1  # the refused call never reached the app


def _within(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    try:
        wait_for(predicate, timeout=timeout)
    except AssertionError:
        return False
    return True


def test_the_app_reconnects_by_itself_after_asterisk_restarts(staff, asterisk):  # noqa: F811
    office(queue("ring_all"))
    env = {**os.environ, "ARI_URL": settings.ARI_URL, "ARI_USER": settings.ARI_USER,
           "ARI_PASSWORD": settings.ARI_PASSWORD}  # fmt: skip
    with running_stasis() as pump:
        sandbox("restart", "test", env=env)
        wait_for(lambda: app_registered(settings.ARI_APP), timeout=30)
        assert pump.app is not None
        with phone("102", staff["102"][1], answers=True, registered=registered):
            result = sipp_call("caller_talks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT,
                               local_port=5193)  # fmt: skip
            assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
            call = wait_for(lambda: Call.objects.filter(ended_at__isnull=False).first(), timeout=20)
    assert call.outcome == Call.Outcome.ANSWERED and ("connected", {"target": "102"}) in steps(call)
