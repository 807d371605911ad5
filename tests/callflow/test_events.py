"""ARI JSON -> typed events, in the one place it happens."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from pbx.callflow import events as e

TS = "2026-11-23T09:00:01.250+0000"


def channel(state: str = "Ring") -> dict:
    return {
        "id": "1700000000.7",
        "name": "PJSIP/carrier-00000007",
        "state": state,
        "protocol_id": "abc@127.0.0.2",
        "caller": {"name": "Jan", "number": "+48601234567"},
        "connected": {"name": "", "number": ""},
        "dialplan": {"context": "from-trunk", "exten": "+48221234567", "priority": 1},
    }


def test_stasis_start_carries_the_channel_and_args():
    event = e.parse_event(
        {"type": "StasisStart", "timestamp": TS, "args": ["inbound", "+48221234567"], "channel": channel()}
    )
    assert event == e.StasisStart(
        at=datetime(2026, 11, 23, 9, 0, 1, 250000, tzinfo=UTC),
        channel_id="1700000000.7",
        channel=e.Channel(
            id="1700000000.7",
            name="PJSIP/carrier-00000007",
            state="Ring",
            caller_number="+48601234567",
            caller_name="Jan",
            exten="+48221234567",
            sip_call_id="abc@127.0.0.2",
        ),
        args=("inbound", "+48221234567"),
    )


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"type": "ChannelStateChange", "channel": channel("Up")}, e.ChannelStateChange),
        ({"type": "ChannelHangupRequest", "cause": 16, "channel": channel()}, e.ChannelHangupRequest),
        ({"type": "StasisEnd", "channel": channel()}, e.StasisEnd),
        (
            {"type": "ChannelDestroyed", "cause": 16, "cause_txt": "Normal Clearing", "channel": channel()},
            e.ChannelDestroyed,
        ),
        (
            {"type": "ChannelDtmfReceived", "digit": "5", "duration_ms": 120, "channel": channel()},
            e.ChannelDtmfReceived,
        ),
    ],
)
def test_channel_events_are_routed_by_their_channel(message: dict, expected: type):
    event = e.parse_event({**message, "timestamp": TS})
    assert type(event) is expected
    assert event.channel_id == "1700000000.7"


def test_playback_and_recording_events_are_routed_by_their_target_channel():
    finished = e.parse_event(
        {
            "type": "PlaybackFinished",
            "timestamp": TS,
            "playback": {
                "id": "k-greeting",
                "media_uri": "sound:hello-world",
                "target_uri": "channel:1700000000.7",
                "state": "done",
            },
        }
    )
    assert finished == e.PlaybackFinished(
        at=finished.at, channel_id="1700000000.7", playback_id="k-greeting", failed=False
    )
    failed = e.parse_event(
        {
            "type": "RecordingFailed",
            "timestamp": TS,
            "recording": {
                "name": "k-caller",
                "format": "wav",
                "target_uri": "channel:1700000000.7",
                "state": "failed",
                "cause": "Cannot record channel while in bridge",
            },
        }
    )
    assert failed == e.RecordingFailed(
        at=failed.at, channel_id="1700000000.7", name="k-caller", cause="Cannot record channel while in bridge"
    )
    done = e.parse_event(
        {
            "type": "RecordingFinished",
            "timestamp": TS,
            "recording": {
                "name": "k-caller",
                "format": "wav",
                "target_uri": "channel:1700000000.7",
                "state": "done",
                "duration": 3,
            },
        }
    )
    assert done == e.RecordingFinished(at=done.at, channel_id="1700000000.7", name="k-caller", duration=3)


def test_a_soft_hangup_request_is_marked_soft():
    event = e.parse_event(
        {"type": "ChannelHangupRequest", "timestamp": TS, "cause": 32, "soft": True, "channel": channel()}
    )
    assert isinstance(event, e.ChannelHangupRequest) and event.soft and event.cause == 32


def test_events_we_do_not_act_on_become_unhandled_not_errors():
    event = e.parse_event({"type": "BridgeCreated", "timestamp": TS, "bridge": {"id": "b1"}})
    assert event == e.Unhandled(at=event.at, channel_id="", type="BridgeCreated")


@pytest.mark.parametrize(
    "message",
    [
        {"timestamp": TS},
        {"type": "StasisStart", "timestamp": TS},
        {"type": "ChannelDtmfReceived", "timestamp": TS, "channel": channel()},
        {"type": "StasisEnd", "timestamp": "yesterday", "channel": channel()},
        # a time with no offset cannot be placed: naive datetimes never enter the call flow
        {"type": "StasisEnd", "timestamp": "2026-11-23T09:00:01.250", "channel": channel()},
        {"type": "StasisEnd", "timestamp": "2026-11-23", "channel": channel()},
    ],
)
def test_malformed_events_raise_malformed_event(message: dict):
    with pytest.raises(e.MalformedEvent):
        e.parse_event(message)


def test_our_user_event_becomes_a_recording_control_and_others_stay_unhandled():
    message = {
        "type": "ChannelUserevent",
        "timestamp": TS,
        "eventname": e.RECORDING_CONTROL,
        "channel": channel(),
        "userevent": {"action": "pause", "by": "anna"},
    }
    event = e.parse_event(message)
    assert event == e.RecordingControl(at=event.at, channel_id="1700000000.7", action="pause", by="anna")
    other = e.parse_event({**message, "eventname": "SomethingElse"})
    assert other == e.Unhandled(at=other.at, channel_id="1700000000.7", type="ChannelUserevent:SomethingElse")


@pytest.mark.parametrize(
    ("name", "state", "online"),
    [
        ("PJSIP/101", "NOT_INUSE", True),
        ("PJSIP/101-2", "RINGING", True),
        ("PJSIP/101", "INUSE", True),
        ("PJSIP/101", "UNKNOWN", True),
        ("PJSIP/101", "UNAVAILABLE", False),
        ("PJSIP/101", "INVALID", False),
    ],
)
def test_a_phone_s_device_state_says_whether_it_is_reachable(name: str, state: str, online: bool):
    message = {"type": "DeviceStateChanged", "timestamp": TS, "device_state": {"name": name, "state": state}}
    event = e.parse_event(message)
    resource = name.removeprefix("PJSIP/")
    assert event == e.EndpointStateChange(at=event.at, channel_id="", resource=resource, online=online)


def test_a_device_state_that_is_no_pjsip_phone_is_left_unhandled():
    message = {"type": "DeviceStateChanged", "timestamp": TS, "device_state": {"name": "Stasis:x", "state": "INUSE"}}
    assert isinstance(e.parse_event(message), e.Unhandled)


def test_the_admin_s_user_event_says_the_configuration_changed():
    """As Asterisk sends an application's user event with no source (no channel in it)."""
    message = {"type": "ChannelUserevent", "timestamp": TS, "eventname": e.CONFIGURATION_CHANGED, "userevent": {}}
    event = e.parse_event(message)
    assert event == e.ConfigurationChanged(at=event.at, channel_id="")


def test_a_failed_move_to_another_stasis_app_names_the_channel_and_the_app():
    message = {
        "type": "ApplicationMoveFailed",
        "timestamp": TS,
        "channel": {"id": "1.1"},
        "destination": "centrala",
        "args": ["inbound", "+48221234567"],
    }
    event = e.parse_event(message)
    assert event == e.MoveFailed(at=event.at, channel_id="1.1", destination="centrala")


def test_a_blind_transfer_names_the_phone_that_asked_and_what_it_dialled():
    message = {
        "type": "ChannelTransfer",
        "timestamp": TS,
        "state": "",
        "refer_to": {"requested_destination": {"destination": "101"}},
        "referred_by": {"source_channel": channel(), "bridge": {"id": "b1"}},
    }
    event = e.parse_event(message)
    assert event == e.TransferRequested(at=event.at, channel_id="1700000000.7", destination="101")


def test_an_attended_transfer_names_the_phones_channel_on_the_other_call():
    message: dict[str, Any] = {
        "type": "ChannelTransfer",
        "timestamp": TS,
        "state": "",
        "refer_to": {
            "requested_destination": {"destination": "101", "protocol_id": "consult-1@127.0.0.1"},
            "destination_channel": {**channel(), "id": "1700000000.9"},
            "connected_channel": {**channel(), "id": "1700000000.10"},
            "bridge": {"id": "b2"},
        },
        "referred_by": {"source_channel": channel(), "bridge": {"id": "b1"}},
    }
    event = e.parse_event(message)
    assert event == e.AttendedTransferRequested(at=event.at, channel_id="1700000000.7", replaces="1700000000.9")
    # Asterisk could not find the other call (another server's): nothing to replace
    del message["refer_to"]["destination_channel"]
    event = e.parse_event(message)
    assert event == e.AttendedTransferRequested(at=event.at, channel_id="1700000000.7", replaces="")
    # Asterisk's echo once the app reported how it went is not a second request
    event = e.parse_event({**message, "state": "channel_answered"})
    assert event == e.Unhandled(at=event.at, channel_id="1700000000.7", type="ChannelTransfer:channel_answered")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-23T09:00:01.250+0000", datetime(2026, 11, 23, 9, 0, 1, 250000, tzinfo=UTC)),
        ("2026-11-23T10:00:01.250+0100", datetime(2026, 11, 23, 9, 0, 1, 250000, tzinfo=UTC)),
        ("2026-11-23T04:30:01.000-0430", datetime(2026, 11, 23, 9, 0, 1, tzinfo=UTC)),
        ("2026-11-23T09:00:01.999999+0000", datetime(2026, 11, 23, 9, 0, 1, 999999, tzinfo=UTC)),
    ],
)
def test_asterisks_timestamps_are_read_with_their_offset(raw: str, expected: datetime):
    assert e.parse_timestamp(raw) == expected


def test_the_events_asterisk_is_asked_not_to_send_are_none_the_call_flow_reads():
    from pbx.stasis.reconciler import UNWANTED_EVENTS

    assert not set(UNWANTED_EVENTS) & set(e._PARSERS)
    for kind in UNWANTED_EVENTS:  # and each would be ignored anyway
        assert isinstance(e.parse_event({"type": kind, "timestamp": TS, "channel": channel()}), e.Unhandled)
