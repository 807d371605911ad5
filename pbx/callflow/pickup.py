"""Call pickup: a colleague's phone rings, and anyone answers it from their own (and a parked
call is taken back the same way, parking.py).

    *8          the call ringing longest for anyone in the office (the firm is one group)
    *8<number>  the call ringing for that extension

The Stasis pump sees every call: it picks the call with `choose` and hands it the picker's
channel (PickupRequested). That channel then takes the call exactly as if it were one of the
phones ringing: the others stop, the caller is bridged to it, recording rules for the picker
apply, and the timeline says who picked it up. When nothing rings, the picker hears so
(services.py). Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from . import commands as c
from . import events as e
from .parking import parked_in
from .state import State
from .steps import RingStep
from .vocabulary import RingKind, StepKind

if TYPE_CHECKING:
    from .call import Call

PICKUP_CODE = "*8"
# What may be picked up: the firm's people being rung. Not plan B (mobiles), not outside calls.
PICKABLE = frozenset({RingKind.EXTENSION, RingKind.QUEUE, RingKind.TRANSFER})


def wanted(dialled: str) -> str | None:
    """ "" for *8 (any ringing call), the extension for *8<number>, None for anything else."""
    if not dialled.startswith(PICKUP_CODE):
        return None
    rest = dialled.removeprefix(PICKUP_CODE)
    return rest if rest == "" or (rest.isdigit() and len(rest) <= 5) else None


def ringing_for(call: Call) -> set[str]:
    """The people whose phones ring for `call` right now."""
    step = call.step
    if call.state is not State.ROUTING or not isinstance(step, RingStep) or step.kind not in PICKABLE:
        return set()
    return {label for leg in step.ringing if (label := call.legs.get(leg)) in call.directory.people}


def choose(calls: Iterable[Call], picker: str, want: str) -> Call | None:
    """The call `picker` picks up: ringing for `want` (or for anyone), not their own, the one
    ringing longest first."""
    candidates = [
        call
        for call in calls
        if (rung := ringing_for(call)) and (want in rung if want else True) and call.caller != picker
    ]
    return min(candidates, key=lambda call: call.ring_started_at(), default=None)


def pick_up(call: Call, event: e.PickupRequested) -> list[c.Command]:
    """`event.picker_channel` takes `call`. Too late (answered or given up meanwhile): the
    picker's channel is hung up."""
    step, slot, rung = call.step, parked_in(call), ringing_for(call)
    if not (rung or slot) or not isinstance(step, RingStep):
        return [c.Hangup(event.picker_channel, reason="normal")]
    where: dict[str, object] = {"slot": slot} if slot else {"rung": sorted(rung)}
    picked = call.fact(event.at, StepKind.PICKED_UP, by=event.extension, **where)
    leg_id = call.legs.adopt(event.picker_channel, event.extension)
    step.ringing.add(leg_id)  # it answers as one of the phones ringing would
    return [picked, c.Answer(leg_id), *call.leg_answered(leg_id, event.at)]


__all__ = ["PICKUP_CODE", "choose", "pick_up", "wanted"]
