"""What a caller hears, recorded by Asterisk itself: a snoop channel on the caller's channel
(spy=out: the audio Asterisk sends to the caller) in a separate ARI application of the
tests, recorded to a WAV file and fetched over ARI."""

from __future__ import annotations

import base64
import contextlib
import io
import math
import threading
import time
import wave
from array import array
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from websockets.sync.client import connect

from pbx.ari.stream import events_url

from .test_first_call import ari, wait_for

SPY_APP = "centrala-test-spy"


def ari_login() -> str:
    """The value of the Authorization header for ARI, from the settings."""
    return "Basic " + base64.b64encode(f"{settings.ARI_USER}:{settings.ARI_PASSWORD}".encode()).decode()


@contextlib.contextmanager
def spy_application() -> Iterator[str]:
    """Register the spy application (ARI needs its websocket open) for the block."""
    url = events_url(settings.ARI_URL, SPY_APP)
    with connect(url, additional_headers={"Authorization": ari_login()}) as ws:
        reader = threading.Thread(target=lambda: [None for _ in ws], daemon=True)  # drain its events
        reader.start()
        yield SPY_APP


def caller_channel(number: str, timeout: float = 10.0) -> str:
    """The id of the live channel of the caller `number`, as it came in from the carrier (the
    legs rung for it show the same number to staff phones, so the number alone is not enough)."""

    def find() -> str | None:
        channels: list[dict[str, Any]] = ari(lambda client: client._request("GET", "channels")).json()
        return next(
            (
                ch["id"]
                for ch in channels
                if ch.get("name", "").startswith("PJSIP/carrier-")
                and ch.get("caller", {}).get("number", "").endswith(number[-9:])
            ),
            None,
        )

    return str(wait_for(find, timeout))


def record_heard(channel_id: str, seconds: int, name: str) -> array[int]:
    """Record `seconds` of what the channel's caller hears; the 16-bit samples at 8 kHz."""
    spy = f"spy-{name}"
    ari(
        lambda c: c._request(
            "POST", f"channels/{channel_id}/snoop", params={"spy": "out", "app": SPY_APP, "snoopId": spy}
        )
    )
    recording = {"name": name, "format": "wav", "maxDurationSeconds": seconds, "ifExists": "overwrite"}
    ari(lambda c: c._request("POST", f"channels/{spy}/record", params=recording))
    time.sleep(seconds + 1)
    with contextlib.suppress(Exception):
        ari(lambda c: c._request("DELETE", f"channels/{spy}"))
    data: bytes = wait_for(lambda: _stored(name), timeout=10)
    ari(lambda c: c._request("DELETE", f"recordings/stored/{name}"))
    with wave.open(io.BytesIO(data)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth()) == (1, 2)
        return array("h", audio.readframes(audio.getnframes()))


def _stored(name: str) -> bytes | None:
    try:
        response = ari(lambda c: c._request("GET", f"recordings/stored/{name}/file"))
    except Exception:
        return None
    return bytes(response.content)


def strength(samples: array[int], frequency: float, rate: int = 8000) -> float:
    """How much of `frequency` is in the audio (Goertzel), normalised by the length."""
    coefficient = 2 * math.cos(2 * math.pi * frequency / rate)
    before = before_that = 0.0
    for sample in samples:
        before, before_that = sample + coefficient * before - before_that, before
    power = before_that**2 + before**2 - coefficient * before * before_that
    return math.sqrt(max(power, 0.0)) / max(len(samples), 1)


def loudness(samples: array[int]) -> float:
    return math.sqrt(sum(s * s for s in samples) / max(len(samples), 1))
