"""How Centrala names what it creates in Asterisk, all from the call's key (a UUID).

The names are how a restarted app, the sweeps and the recording ingest recognise what is
theirs, so they are made and read here only:

    <key>-bridge          the bridge that joins the caller and the person who answered
    <key>-leg<n>          a channel the call rings (staff phone, mobile, outside number)
    <key>-p<n>            a playback
    <key>-call            the conversation's recording
    <key>-listener        the snoop channel on the caller's channel that records the conversation
    <key>-voicemail       a message left on voicemail
    callback-<task>-<login>  click-to-call's ring of one of the staff member's phones
    <key>-take<n>         a prompt recorded by phone (services.py), until kept or dropped
"""

from __future__ import annotations

import re

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
RECORDING_KINDS = ("call", "voicemail")

_BRIDGE = re.compile(rf"^{UUID}-bridge$")
_LEG = re.compile(rf"^({UUID}-leg\d+|callback-.+)$")
_LISTENER = re.compile(rf"^{UUID}-listener$")
_RECORDING = re.compile(rf"^(?P<call>{UUID})-(?P<kind>call|voicemail)$")


def bridge(call_key: str) -> str:
    return f"{call_key}-bridge"


def leg(call_key: str, number: int) -> str:
    return f"{call_key}-leg{number}"


def playback(call_key: str, number: int) -> str:
    return f"{call_key}-p{number}"


def recording(call_key: str, kind: str) -> str:
    if kind not in RECORDING_KINDS:
        raise ValueError(f"no recording kind {kind!r}")
    return f"{call_key}-{kind}"


def listener(call_key: str) -> str:
    return f"{call_key}-listener"


def callback_phone(task_id: str, login: str) -> str:
    """The channel click-to-call rings on one of the staff member's phones (SIP login)."""
    return f"callback-{task_id}-{login}"


def prompt_take(call_key: str, number: int) -> str:
    return f"{call_key}-take{number}"


def is_our_bridge(name: str) -> bool:
    """A bridge a Call of ours made (its key is a UUID, as the pump gives every call)."""
    return _BRIDGE.match(name) is not None


def is_our_leg(channel_id: str) -> bool:
    """A channel a call of ours rang (a phone, a mobile, an outside number), or click-to-call's
    ring of a phone: never a caller."""
    return _LEG.match(channel_id) is not None


def is_our_listener(channel_id: str) -> bool:
    """The snoop channel a call of ours records its conversation through: never a caller."""
    return _LISTENER.match(channel_id) is not None


def call_of_bridge(bridge_id: str) -> str:
    """The key of the call that made bridge `bridge_id` (one of ours)."""
    return bridge_id.removesuffix("-bridge")


def parse_recording(name: str) -> tuple[str, str] | None:
    """(call key, kind) of a recording a call of ours made, or None for anyone else's."""
    found = _RECORDING.match(name)
    return (found["call"], found["kind"]) if found else None
