"""Parking a call: the person talking transfers the caller to *70; the caller waits with music
in one of nine slots, and anyone takes the call back from any phone:

    *70 (as a transfer target)   park the call in the lowest free slot (1 to 9)
    *70<slot>                    take the call parked in that slot, e.g. *701
    *70 (dialled)                take the call parked longest

Nobody forgets a caller: after PARK_SECONDS the parker's phones ring again for
COMEBACK_SECONDS; unanswered, the call ends and a callback is owed. The slot is on the call's
timeline. Taking a parked call works as pickup does (pickup.py): the pump picks the call and
hands it the phone's channel. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from . import commands as c
from . import destinations
from . import events as e
from .state import State
from .steps import RingStep, Target
from .vocabulary import RingKind, StepKind

if TYPE_CHECKING:
    from .call import Call

PARK_CODE = "*70"
SLOTS = range(1, 10)
PARK_SECONDS = 60
COMEBACK_SECONDS = 30


def wanted_slot(dialled: str) -> int | None:
    """0 for *70 (the call parked longest), the slot for *70<slot>, None for anything else."""
    if not dialled.startswith(PARK_CODE):
        return None
    rest = dialled.removeprefix(PARK_CODE)
    if rest == "":
        return 0
    return int(rest) if rest.isdigit() and int(rest) in SLOTS and len(rest) == 1 else None


def parked_in(call: Call) -> int:
    """The slot `call` waits in, 0 when it is not parked."""
    step = call.step
    if call.state is State.ROUTING and isinstance(step, RingStep) and step.kind is RingKind.PARKED:
        return step.slot
    return 0


def free_slot(calls: Iterable[Call]) -> int | None:
    taken = {parked_in(call) for call in calls}
    return next((slot for slot in SLOTS if slot not in taken), None)


def choose(calls: Iterable[Call], slot: int) -> Call | None:
    parked = [call for call in calls if (n := parked_in(call)) and (n == slot or slot == 0)]
    return min(parked, key=lambda call: call.ring_started_at(), default=None)


def park(call: Call, leg_id: str, event: e.TransferRequested) -> list[c.Command]:
    """The person on `leg_id` transferred the caller to *70: the caller waits in the bridge
    with music; the phone that asked leaves. No free slot: the transfer is declined."""
    who = call.legs[leg_id]
    slot = call.free_parking_slot()
    if slot is None:
        refused = call.fact(event.at, StepKind.TRANSFER_REFUSED, by=who, to=event.destination)
        return [refused, c.TransferProgress(leg_id, state="channel_declined")]
    call.legs.connected = None
    call.set_state(State.ROUTING)
    phones = destinations.person_targets(call, who) or (Target(f"PJSIP/{who}", who),)
    comeback = tuple(replace(t, after_seconds=PARK_SECONDS + t.after_seconds) for t in phones)
    wait = RingStep(
        kind=RingKind.PARKED,
        targets=comeback,
        round_seconds=PARK_SECONDS + COMEBACK_SECONDS,
        max_seconds=PARK_SECONDS + COMEBACK_SECONDS,
        caller_number=call.caller,
        music_in_bridge=call.legs.bridge_id,
        slot=slot,
    )
    done = [c.TransferProgress(leg_id, state="channel_answered"), c.Hangup(leg_id, reason="normal")]
    return [*done, *call.enter(wait, event.at)]


__all__ = ["PARK_CODE", "choose", "free_slot", "park", "parked_in", "wanted_slot"]
