"""Transfers from a staff phone (SIP REFER, handed to Stasis as ChannelTransfer).

Blind: the person on the call presses transfer and dials a colleague. The caller stays in the
call's bridge with music (and the recording running) while the colleague's phones ring; the
phone that asked leaves at once. Only the firm's own extensions are accepted (a transfer is
not a way through the trunk unchecked), and *70 parks instead (parking.py).

Attended (consultative): the person puts the caller on hold, calls a colleague (or any number
their phone may call) and talks first, then completes. Their phone has two channels, one on
each call:

    kept call:         caller ==== bridge 1 ==== agent leg        (the person answered it)
    consultation call: agent channel ==== bridge 2 ==== colleague (the person dialled it)

and sends REFER on either one, naming the other. The pump (pbx/stasis/app.py) finds both calls
with `roles`, moves the colleague's channel to the kept call and feeds each call its half:

    kept call          ConsultJoins: the colleague's channel leaves bridge 2 for bridge 1 and
                       becomes the connected leg; the agent leg is hung up. The recording of
                       the kept call runs on (one file per call, as with blind transfer).
    consultation call  ConsultHandedOver: lets the colleague go without hanging them up, and
                       ends, hanging up the person's own channel.

Whichever call owns the channel the REFER came on answers it (TransferProgress), before that
channel is hung up. Any other shape (the person is the caller in both, the other call is not
connected, Asterisk did not name the other channel) is declined: both calls go on, and the
phone hears that the transfer failed. Going back to the caller without transferring needs
nothing from Centrala: the phone hangs up the consultation call and takes the caller off hold.
Pure: no I/O."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import commands as c
from . import destinations, parking
from . import events as e
from .state import State
from .steps import RingStep, Target
from .vocabulary import RingKind, StepKind

if TYPE_CHECKING:
    from .call import Call

__all__ = ["blind", "decline", "decline_attended", "handed_over", "joins", "roles"]


def blind(call: Call, leg_id: str, event: e.TransferRequested) -> list[c.Command]:
    """The person on `leg_id` transferred the caller to `event.destination` without asking."""
    who, to = call.legs[leg_id], event.destination
    if to == parking.PARK_CODE:
        return parking.park(call, leg_id, event)
    if to not in call.directory.people or to == who:
        return decline(call, leg_id, who, event)
    call.legs.connected = None
    call.set_state(State.ROUTING)
    ring = RingStep(
        kind=RingKind.TRANSFER,
        targets=destinations.person_targets(call, to) or (Target(f"PJSIP/{to}", to),),
        round_seconds=30,
        max_seconds=30,
        caller_number=call.caller,
        music_in_bridge=call.legs.bridge_id,
    )
    done = [c.TransferProgress(leg_id, state="channel_answered"), c.Hangup(leg_id, reason="normal")]
    return [call.fact(event.at, StepKind.TRANSFERRED, by=who, to=to), *done, *call.enter(ring, event.at)]


def decline(call: Call, channel_id: str, who: str, event: e.TransferRequested) -> list[c.Command]:
    refused = call.fact(event.at, StepKind.TRANSFER_REFUSED, by=who, to=event.destination)
    return [refused, c.TransferProgress(channel_id, state="channel_declined")]


def decline_attended(call: Call, event: e.AttendedTransferRequested) -> list[c.Command]:
    """Not two calls Centrala can join: said on the timeline and to the phone; both go on."""
    who = call.legs.get(event.channel_id) or call.caller
    refused = call.fact(event.at, StepKind.TRANSFER_REFUSED, by=who, attended=True)
    return [refused, c.TransferProgress(event.channel_id, state="channel_declined")]


def _agent_leg(call: Call, channel_id: str) -> bool:
    """`channel_id` is the staff phone talking to `call`'s caller (it answered the call)."""
    return (
        call.state is State.CONNECTED
        and call.legs.connected == channel_id
        and call.legs.get(channel_id) in call.directory.people
    )


def _consulting(call: Call, channel_id: str) -> bool:
    """`channel_id` is the staff phone that made `call`, and someone answered it."""
    return call.state is State.CONNECTED and call.channel_id == channel_id and call.legs.connected is not None


def roles(first: Call, first_channel: str, second: Call, second_channel: str) -> tuple[Call, Call] | None:
    """(kept call, consultation call) for a REFER joining `first` (the phone's channel
    `first_channel` on it) with `second`, whichever call the REFER came on; None when they are
    not a call the person answered and a call the person made to consult."""
    if first is second:
        return None
    for kept, kept_channel, consult, consult_channel in (
        (first, first_channel, second, second_channel),
        (second, second_channel, first, first_channel),
    ):
        if (
            _agent_leg(kept, kept_channel)
            and _consulting(consult, consult_channel)
            and kept.legs[kept_channel] == consult.caller  # one person's two calls
        ):
            return kept, consult
    return None


def joins(call: Call, event: e.ConsultJoins) -> list[c.Command]:
    """The kept call's half: the colleague takes the agent's place next to the caller."""
    if call.state is not State.CONNECTED or call.legs.connected != event.agent_leg:
        # The caller or the agent left meanwhile: the colleague's channel has nowhere to go.
        return [c.Hangup(event.leg, reason="normal")]
    who = call.legs[event.agent_leg]
    leg_id = call.legs.adopt(event.leg, event.label)
    call.legs.connected = leg_id
    answered = [c.TransferProgress(event.source, state="channel_answered")] if event.source == event.agent_leg else []
    return [
        call.fact(event.at, StepKind.TRANSFERRED, by=who, to=event.label, attended=True),
        *answered,
        c.Hangup(event.agent_leg, reason="normal"),
        c.RemoveFromBridge(call.channel_id, bridge_id=event.from_bridge, leg=leg_id),
        c.AddToBridge(call.channel_id, bridge_id=call.legs.bridge_id, channels=(leg_id,)),
        call.fact(event.at, StepKind.CONNECTED, target=event.label),
        *call.recorder.on_connected(event.label, event.at, transfer=True),
    ]


def handed_over(call: Call, event: e.ConsultHandedOver) -> list[c.Command]:
    """The consultation call's half: it lets the colleague go (to the kept call) and ends."""
    if call.legs.connected != event.leg:
        return []
    colleague = call.legs.release(event.leg)
    answered = [c.TransferProgress(event.source, state="channel_answered")] if event.source == call.channel_id else []
    fact = call.fact(event.at, StepKind.HANDED_OVER, to=colleague, caller=event.to_caller)
    return [fact, *answered, *call.hang_up(event.at)]
