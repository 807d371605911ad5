"""What the call-flow core asks for. Two kinds:

- Actions on Asterisk (Answer, Play, Record, Hangup): the pump executes them over ARI, in
  order, per call; a failure comes back to the call as a CommandFailed event.
- Facts (CallStarted, CallAnswered, CallStep, CallEnded, RecordingReady): things that
  happened, for the call history and for ingesting recordings. The pump hands them to
  persistence off the event path; they never wait on the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Command:
    channel_id: str


# --- actions on Asterisk ---------------------------------------------------------------


@dataclass(frozen=True)
class Answer(Command):
    pass


@dataclass(frozen=True)
class Play(Command):
    playback_id: str
    media: str


@dataclass(frozen=True)
class Record(Command):
    name: str
    fmt: str
    max_seconds: int


@dataclass(frozen=True)
class Hangup(Command):
    reason: str = "normal"


# --- facts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact(Command):
    call_key: str
    at: datetime


@dataclass(frozen=True)
class CallStarted(Fact):
    direction: str
    caller: str
    called: str
    sip_call_id: str


@dataclass(frozen=True)
class CallAnswered(Fact):
    pass


@dataclass(frozen=True)
class CallStep(Fact):
    """One line of the call's timeline (what the caller heard, what the core decided)."""

    kind: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CallEnded(Fact):
    outcome: str
    cause: int | None
    cause_text: str
    hung_up_by: str = ""  # "caller", "centrala" or "" when unknown


@dataclass(frozen=True)
class RecordingReady(Fact):
    """Asterisk finished a recording; it is to be fetched, stored and deleted there."""

    name: str
    fmt: str
