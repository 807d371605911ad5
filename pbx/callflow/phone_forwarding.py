"""Forwarding set from the phone:

    *72<number>   forward all my calls there: a colleague's extension or an outside number
                  (which passes the guard for forwards: no premium, no countries not allowed)
    *72           forward all my calls to my own mobile
    *73           forwarding off

Setting a forward asks for the PIN (a stolen phone login must not send the firm's callers to
a number of the thief's choosing); switching it off does not. A forward that would come
straight back (to oneself, or to a colleague who forwards everything back) is refused. The
change leaves as a ForwardChanged fact; the history writes it. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pbx.phone import InvalidPhoneNumber, to_e164

from . import commands as c
from . import events as e
from . import scenario as s
from .service_steps import GuardedService, LastWords, PinEntry, ServiceStep
from .tollfraud import forward_refusal
from .vocabulary import Outcome, StepKind

if TYPE_CHECKING:
    from .call import Call

FORWARD_ON_CODE = "*72"
FORWARD_OFF_CODE = "*73"


@dataclass(frozen=True)
class Forward:
    """Where *72 sends the calls: a colleague (`extension`) or an outside number (`number`)."""

    extension: str = ""
    number: str = ""


def target_of(call: Call, person: s.Person, dialled: str) -> tuple[Forward | None, str]:
    """(the forward, "") or (None, why not) for what followed *72."""
    if dialled == "":
        if not person.mobile:
            return None, "no mobile number"
        dialled = person.mobile
    if dialled == person.extension:
        return None, "to oneself"
    if (colleague := call.directory.people.get(dialled)) is not None:
        back = call.directory.destinations.get(colleague.forward_always) if colleague.forward_always else None
        if isinstance(back, s.RingExtension) and back.extension == person.extension:
            return None, "the colleague forwards back"
        return Forward(extension=dialled), ""
    try:
        number = to_e164(dialled)
    except InvalidPhoneNumber:
        return None, "not a phone number"
    if why := forward_refusal(call.directory.forward_policy, number):
        return None, why
    return Forward(number=number), ""


def start(call: Call, at: datetime, person: s.Person, dialled: str, off: bool) -> tuple[list[c.Command], ServiceStep]:
    """The facts and the step for *72... / *73 from `person`'s phone."""
    prompts = call.directory.services
    if off:
        changed = c.ForwardChanged(call.channel_id, call_key=call.key, at=at, extension=person.extension)
        return [changed], LastWords(prompts, media=prompts.forward_off, refused=False)
    forward, why = target_of(call, person, dialled)
    if forward is None:
        refused = call.fact(at, StepKind.FORWARD_REFUSED, extension=person.extension, to=dialled, why=why)
        return [refused], LastWords(prompts, media=prompts.forward_refused)
    if not person.pin:
        return [], LastWords(prompts, media=prompts.no_pin)
    return [], ForwardStep(prompts, pin=PinEntry(person, prompts), extension=person.extension, forward=forward)


@dataclass
class ForwardStep(GuardedService):
    extension: str = ""
    forward: Forward = Forward()

    def unlocked(self, call: Call, at: datetime) -> list[c.Command]:
        self.phase = "done"
        call.ending.outcome = Outcome.ANSWERED  # the service did what was asked
        changed = c.ForwardChanged(
            call.channel_id,
            call_key=call.key,
            at=at,
            extension=self.extension,
            to_extension=self.forward.extension,
            to_number=self.forward.number,
        )
        return [changed, *self.farewell(call, self.prompts.forward_on)]

    def on_unlocked_event(self, call: Call, event: e.Event) -> list[c.Command]:
        return []


__all__ = ["FORWARD_OFF_CODE", "FORWARD_ON_CODE", "Forward", "ForwardStep", "start", "target_of"]
