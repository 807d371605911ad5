"""The production path for real: the images built by make images, docker/compose.yaml booted,
and a call from the carrier (SIPp, with real RTP) answered, recorded, stored encrypted and
played back through the API, as an installation would do it."""

from __future__ import annotations

import inspect
import io
import time
import wave
from array import array
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pbx.sandbox import sipp_call
from pbx.stasis.app import StasisApp

from .stack import PORTS, SERVICES, ComposedStack

pytestmark = pytest.mark.images

MESSAGE_LINE = "+48221234568"  # load_demo's: a greeting, then 3 s of the caller recorded
CUSTOMER = "+48601234567"
APP_REFRESH_SECONDS = inspect.signature(StasisApp).parameters["refresh_seconds"].default


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposedStack]:
    with ComposedStack(tmp_path_factory.mktemp("stack")).running() as running:
        running.wait_healthy("postgres", "web", "asterisk", "stasis", timeout=300)
        yield running


def api_token(stack: ComposedStack) -> str:
    password = "Ci-Admin-Password-1"
    stack.manage("ensure_admin", "--username", "ci", "--password-env", "CI_PASSWORD", env={"CI_PASSWORD": password})
    scopes = ("--scope", "recordings:read", "--scope", "calls:read")
    output = stack.manage("api_token", "create", "ci", "--user", "ci", *scopes)
    return output.splitlines()[1].strip()


def wait_for_recording(client: httpx.Client, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = client.get("/api/recordings/").raise_for_status().json()
        rows = page["results"] if isinstance(page, dict) else page
        if rows:
            return rows[0]
        time.sleep(1)
    raise AssertionError(f"no recording listed by the API within {timeout} s")


def test_every_service_starts_once_and_stays_up(stack: ComposedStack):
    containers = stack.containers()
    assert sorted(containers) == sorted(SERVICES)
    for service, cid in containers.items():
        state = stack.podman("inspect", "--format", "{{.State.Status}} {{.RestartCount}}", cid).stdout.split()
        assert state == ["running", "0"], f"{service}: {state}\n{stack.status()}"


def test_a_call_through_the_composed_stack_is_answered_recorded_and_playable(stack: ComposedStack):
    stack.manage("load_demo")  # its numbers reach Asterisk through ARI, as the admin's changes do
    token = api_token(stack)
    # The Stasis app reads the office's configuration every 10 s (StasisApp.refresh_seconds):
    # until then the new numbers are not in service (404, as a number that is not ours).
    time.sleep(APP_REFRESH_SECONDS + 2)

    result = sipp_call(
        "caller_speaks.xml", MESSAGE_LINE, CUSTOMER, sip_port=PORTS["ASTERISK_SIP_PORT"], local_port=5270
    )
    assert (result.successful, result.failed) == (1, 0), f"{result.output[-3000:]}\n{stack.status()}"

    # as the TLS proxy in front of web forwards a request (production redirects plain HTTP)
    headers = {"Authorization": f"Bearer {token}", "X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=stack.web, headers=headers, timeout=30) as client:
        recording = wait_for_recording(client)
        audio = client.get(recording["audio"])
        assert audio.status_code == 200, audio.text[:500]
        assert audio.headers["content-type"].startswith("audio/")
        calls = client.get("/api/calls/").raise_for_status().json()
    with wave.open(io.BytesIO(audio.content)) as played:
        assert (played.getnchannels(), played.getsampwidth(), played.getframerate()) == (1, 2, 8000)
        seconds = played.getnframes() / played.getframerate()
        samples = array("h", played.readframes(played.getnframes()))
    assert 3.0 <= seconds <= 4.1
    assert (sum(s * s for s in samples) / len(samples)) ** 0.5 > 300, "silence: the caller's RTP never arrived"
    rows = calls["results"] if isinstance(calls, dict) else calls
    assert [(row["caller"], row["called"], row["outcome"]) for row in rows] == [(CUSTOMER, MESSAGE_LINE, "voicemail")]

    # At rest in the recordings volume the file is encrypted, not a WAV.
    folder = "/var/lib/centrala/media/recordings"
    stored = stack.compose("exec", "-T", "web", "find", folder, "-type", "f").stdout.split()
    assert len(stored) == 1, stored
    first_bytes = "import sys; print(open(sys.argv[1], 'rb').read(4).hex())"
    head = stack.compose("exec", "-T", "web", "python", "-c", first_bytes, stored[0]).stdout.strip()
    assert len(head) == 8 and head != b"RIFF".hex(), f"{Path(stored[0]).name} is stored unencrypted"

    # and nothing in Centrala's services failed on the way
    for service in ("web", "stasis", "worker", "security"):
        log = stack.compose("logs", "--no-color", service).stdout
        assert "Traceback" not in log, f"{service}:\n{log[-3000:]}"
