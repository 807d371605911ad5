"""Plain ARI-shaped events for call-flow scenarios: no Asterisk, no loop, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pbx.callflow import events as e
from pbx.callflow.call import Call
from pbx.callflow.scenario import Directory, NumberPlan

CHANNEL = "1700000000.1"
KEY = "call-1"
OFFICE = "+48221234567"
CUSTOMER = "+48601234567"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def directory(record_seconds: int = 3) -> Directory:
    plan = NumberPlan(number=OFFICE, greeting="sound:hello-world", record_seconds=record_seconds)
    return Directory(numbers={OFFICE: plan})


def new_call(record_seconds: int = 3) -> Call:
    return Call(KEY, CHANNEL, directory(record_seconds))


def start(dialled: str = OFFICE, t: float = 0, caller: str = "601234567") -> e.StasisStart:
    channel = e.Channel(
        id=CHANNEL, name="PJSIP/carrier-1", state="Ring", caller_number=caller, caller_name="",
        exten=dialled, sip_call_id="abc@127.0.0.2",
    )  # fmt: skip
    return e.StasisStart(at=at(t), channel_id=CHANNEL, channel=channel, args=("inbound", dialled))


def up(t: float = 0.01) -> e.ChannelStateChange:
    return e.ChannelStateChange(at=at(t), channel_id=CHANNEL, state="Up")


def playback_done(which: str = "greeting", t: float = 1.5) -> e.PlaybackFinished:
    return e.PlaybackFinished(at=at(t), channel_id=CHANNEL, playback_id=f"{KEY}-{which}", failed=False)


def recording_done(t: float = 5.0) -> e.RecordingFinished:
    return e.RecordingFinished(at=at(t), channel_id=CHANNEL, name=f"{KEY}-caller", duration=3)


def hangup_request(t: float, cause: int = 16, soft: bool = False) -> e.ChannelHangupRequest:
    return e.ChannelHangupRequest(at=at(t), channel_id=CHANNEL, cause=cause, soft=soft)


def stasis_end(t: float) -> e.StasisEnd:
    return e.StasisEnd(at=at(t), channel_id=CHANNEL)
