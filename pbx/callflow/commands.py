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

from .vocabulary import StepKind


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
    beep: bool = False
    terminate_on: str = "none"  # a key that ends the recording ("#"), or "none"


@dataclass(frozen=True)
class DeleteRecording(Command):
    """Drop a finished recording Asterisk keeps (a take the staff member did not keep)."""

    name: str


@dataclass(frozen=True)
class OpenMailbox(Command):
    """Fetch the messages `extension` may hear, playable by Asterisk for this call; they come
    back as a MailboxOpened event (or CommandFailed)."""

    extension: str


@dataclass(frozen=True)
class CloseMailbox(Command):
    """The call is done with the messages OpenMailbox made playable: remove them."""


@dataclass(frozen=True)
class PlayBridge(Command):
    """Play to everyone in the bridge (a recording notice when a transfer starts a recording)."""

    bridge_id: str
    playback_id: str
    media: str


@dataclass(frozen=True)
class Listen(Command):
    """Create `channel_id`, a snoop channel that hears both directions of `target` (the call's
    own channel, in the call from its start to its end, through transfers and parking), in
    this app; it enters Stasis as its own channel, and is recorded then (Record). Recording
    the bridge instead adds a third channel to it, and Asterisk then mixes the bridge's audio
    every 20 ms: twice the CPU of the snoop (docs/benchmark.md)."""

    target: str


@dataclass(frozen=True)
class PauseRecording(Command):
    """Stop writing audio (card payments, PCI DSS): the paused span is not in the file at all."""

    name: str


@dataclass(frozen=True)
class ResumeRecording(Command):
    name: str


@dataclass(frozen=True)
class TransferProgress(Command):
    """Tell the staff phone that asked for a transfer how it went (a SIP NOTIFY):
    "channel_answered" (done: the phone hangs up) or "channel_declined"."""

    state: str


@dataclass(frozen=True)
class StartBridgeMoh(Command):
    bridge_id: str


@dataclass(frozen=True)
class StopBridgeMoh(Command):
    bridge_id: str


@dataclass(frozen=True)
class Hangup(Command):
    reason: str = "normal"


@dataclass(frozen=True)
class Ring(Command):
    """Tell the caller it is ringing (SIP 180) while staff phones ring."""


@dataclass(frozen=True)
class StartMoh(Command):
    moh_class: str = ""  # "": the default music (an unknown class plays the default too)


@dataclass(frozen=True)
class StopMoh(Command):
    pass


@dataclass(frozen=True)
class StopPlayback(Command):
    playback_id: str


@dataclass(frozen=True)
class Originate(Command):
    """Ring `endpoint` as a new leg whose id is `channel_id`; it enters Stasis when answered."""

    endpoint: str  # e.g. "PJSIP/101" or "PJSIP/+48600111222@carrier"
    caller_number: str
    caller_name: str
    timeout_seconds: int
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class CreateBridge(Command):
    """`channel_id` is unused for bridges (the call's caller channel, for routing)."""

    bridge_id: str


@dataclass(frozen=True)
class AddToBridge(Command):
    bridge_id: str
    channels: tuple[str, ...]


@dataclass(frozen=True)
class RemoveFromBridge(Command):
    """Take `leg` out of another call's bridge (an attended transfer moves it to this call's);
    nothing to do if it has left it already."""

    bridge_id: str
    leg: str


@dataclass(frozen=True)
class DestroyBridge(Command):
    bridge_id: str


@dataclass(frozen=True)
class StartTimer(Command):
    """The pump feeds TimerFired(name) back after `seconds`, unless cancelled first."""

    name: str
    seconds: float


@dataclass(frozen=True)
class CancelTimer(Command):
    name: str


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
    # A caller the restarted app took back without finding its history row (the database was
    # away): an older row on the same channel is closed, and this one goes on.
    adopted: bool = False
    worker: int = 1  # the Stasis process serving it (STASIS_WORKERS): its sweep closes the call


@dataclass(frozen=True)
class CallPassed(Fact):
    """A caller a worker other than the first took back after it restarted, passed to the first
    worker (its scenario now rings someone): the call's row is that worker's from now on, to
    close and store (pbx/stasis/to_first.py). Made by the pump, not by the call flow."""

    worker: int


@dataclass(frozen=True)
class CallAnswered(Fact):
    pass


@dataclass(frozen=True)
class CallStep(Fact):
    """One line of the call's timeline (what the caller heard, what the core decided)."""

    kind: StepKind
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CallEnded(Fact):
    outcome: str
    cause: int | None
    cause_text: str
    hung_up_by: str = ""  # "caller", "centrala" or "" when unknown
    abandoned: bool = False  # the caller hung up while the firm's phones rang (or in a queue)


@dataclass(frozen=True)
class PhoneEncryption(Fact):
    """What Asterisk says of a staff phone's call: signalling over TLS, audio over SRTP.
    Made by the pump (it asks Asterisk), not by the call flow."""

    extension: str
    tls: bool
    srtp: bool


@dataclass(frozen=True)
class RecordingReady(Fact):
    """Asterisk finished a recording; it is to be fetched, stored and deleted there."""

    name: str
    fmt: str
    kind: str = "call"  # "call", "voicemail", or "prompt" (recorded by phone, kept)
    purpose_id: int | None = None
    mailbox_id: int | None = None  # a voicemail message's box
    prompt_id: int | None = None  # a prompt recorded by phone: the one it replaces (None: a new one)
    by: str = ""  # a prompt recorded by phone: the extension that recorded it


@dataclass(frozen=True)
class DndChanged(Fact):
    """A staff phone switched its person's do-not-disturb on or off (*78 / *79)."""

    extension: str
    on: bool


@dataclass(frozen=True)
class ForwardChanged(Fact):
    """A staff phone set its person's 'forward always' (*72) to a colleague or an outside
    number, or switched it off (*73: both empty)."""

    extension: str
    to_extension: str = ""
    to_number: str = ""


@dataclass(frozen=True)
class MessageHeard(Fact):
    """A voicemail message was played to the end on a staff phone."""

    message_id: int
    extension: str


@dataclass(frozen=True)
class CallbackRequested(Fact):
    """The caller should be called back: they asked, left a message, or gave up waiting."""

    number: str  # E.164 of the caller
    reason: str  # "requested", "voicemail", "abandoned", "no_answer"
    assign_to: str  # extension on duty, or "" when nobody is


@dataclass(frozen=True)
class CallbackConnected(Fact):
    """A click-to-call callback reached the customer."""

    task_id: str
