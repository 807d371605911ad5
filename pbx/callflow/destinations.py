"""From a destination of the scenario to the step that carries it out, and who it rings."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from . import scenario as s
from .steps import (
    AnnouncementStep,
    CallbackOfferStep,
    MenuStep,
    RingStep,
    Step,
    Target,
    VoicemailStep,
)
from .tollfraud import forward_refusal
from .vocabulary import RingKind, StepKind
from .waiting import Waiting

if TYPE_CHECKING:
    from .call import Call

TRUNK = "carrier"  # the PJSIP endpoint of the firm's carrier


def trunk_target(number: str, label: str | None = None) -> Target:
    """An outside number, dialled through the carrier."""
    return Target(f"PJSIP/{number}@{TRUNK}", number if label is None else label)


def people_rung_at(directory: s.Directory, dest: s.Destination | None, at: datetime) -> tuple[str, ...]:
    """The extensions a destination rings (for rules about a person)."""
    match dest:
        case s.RingExtension():
            return (dest.extension,)
        case s.RingQueue(strategy="rota"):  # whoever is on duty now
            return directory.rota.on_duty(at)
        case s.RingQueue():
            return dest.members
    return ()


def step_for(call: Call, dest: s.Destination, at: datetime) -> Step:
    match dest:
        case s.Announcement():
            return AnnouncementStep(dest)
        case s.Menu():
            return MenuStep(dest)
        case s.Voicemail():
            return VoicemailStep(dest)
        case s.CallbackOffer():
            return CallbackOfferStep(dest)
        case s.RingExtension():
            seconds, then = no_answer_rule(call, dest.extension, dest.ring_seconds, dest.no_answer)
            return ring_people(call, RingKind.EXTENSION, (dest.extension,), seconds, then, at)
        case s.RingQueue():
            return _ring_queue(call, dest, at)
        case s.ExternalNumber():
            # A forward rings whenever callers call: it passes the guard for forwards too.
            refused = forward_refusal(call.directory.forward_policy, dest.number)
            targets = () if refused else (trunk_target(dest.number),)
            return RingStep(
                kind=RingKind.EXTERNAL,
                targets=targets,
                round_seconds=dest.ring_seconds,
                max_seconds=dest.ring_seconds,
                then=dest.no_answer,
                caller_number=call.caller,
                refused=refused,
            )
    raise ValueError(f"unknown destination {dest!r}")


def _ring_queue(call: Call, dest: s.RingQueue, at: datetime) -> Step:
    covering_for: tuple[str, ...] = ()
    if dest.strategy == "rota":  # someone on duty in do-not-disturb: the rota says who covers
        members, covering_for = call.directory.rota.covering(at, lambda x: in_dnd(call, x))
    else:
        members = tuple(x for x in people_rung_at(call.directory, dest, at) if not in_dnd(call, x))
    step = ring_people(call, RingKind.QUEUE, members, dest.member_ring_seconds, dest.overflow, at)
    step.covering_for = covering_for
    step.strategy = "linear" if dest.strategy == "linear" else "ring_all"
    step.max_seconds = dest.max_wait_seconds
    step.hold_music = dest.music_on_hold
    step.music_class = dest.music_class
    prompts = call.directory.queue_places
    if dest.music_on_hold and dest.announce_seconds and prompts:
        offer = call.directory.queue_callback_offer
        step.waiting = Waiting(
            dest.name,
            dest.announce_seconds,
            prompts,
            callback_key=dest.callback_key,
            offer=offer,
            music_class=dest.music_class,
        )
    step.queue = dest.name
    return step


def ring_people(
    call: Call, kind: RingKind, extensions: tuple[str, ...], ring_seconds: int, then: s.DestId | None, at: datetime
) -> RingStep:
    """Ring staff phones that are reachable; if none is, plan B: on-duty mobiles."""
    people = call.directory.people
    extensions = tuple(x for x in extensions if x in people)  # deleted or inactive: never rung
    targets = tuple(target for x in extensions for target in person_targets(call, x))
    reachable = tuple(dict.fromkeys(t.label for t in targets))
    if extensions and not reachable:
        targets = _plan_b_targets(call, extensions, at)
        kind = RingKind.PLAN_B
    return RingStep(
        kind=kind,
        targets=targets,
        round_seconds=ring_seconds,
        max_seconds=ring_seconds,
        then=then,
        caller_number=call.caller,
    )


def person_redirect(call: Call, extension: str) -> tuple[StepKind, dict[str, str], s.DestId | None] | None:
    """Where a person's own settings send a call for them instead of ringing their phones:
    (the timeline's line, its detail, the destination; None there: wherever the call would go
    unanswered). None: ring them."""
    person = call.directory.people.get(extension)
    if person is None:
        return None
    if person.dnd:
        return StepKind.DND, {"extension": extension}, person.forward_always
    if person.forward_always is not None:
        return StepKind.FORWARDED, {"extension": extension, "why": "always"}, person.forward_always
    if person.forward_unreachable is not None and not person_targets(call, extension):
        return StepKind.FORWARDED, {"extension": extension, "why": "unreachable"}, person.forward_unreachable
    if person.forward_busy is not None and call.on_a_call(extension):
        return StepKind.FORWARDED, {"extension": extension, "why": "busy"}, person.forward_busy
    return None


def no_answer_rule(call: Call, extension: str, seconds: int, then: s.DestId | None) -> tuple[int, s.DestId | None]:
    """How long a person rings and where the call goes unanswered: their own 'when not
    answered' forward, where they set one, else the scenario's."""
    person = call.directory.people.get(extension)
    if person is None or person.forward_no_answer is None:
        return seconds, then
    return min(seconds, person.forward_after_seconds), person.forward_no_answer


def person_targets(call: Call, extension: str) -> tuple[Target, ...]:
    """The reachable phones of a person (their extension's, then their other devices), each
    joining the ringing when the person set it to; none for someone not in the directory."""
    person = call.directory.people.get(extension)
    if person is None:
        return ()
    return tuple(
        Target(f"PJSIP/{login}", extension, after_seconds=after)
        for login, after in s.phones_of(person)
        if call.presence.get(login, True)
    )


def in_dnd(call: Call, extension: str) -> bool:
    person = call.directory.people.get(extension)
    return person is not None and person.dnd


def _plan_b_targets(call: Call, extensions: tuple[str, ...], at: datetime) -> tuple[Target, ...]:
    """The mobiles of whoever is on duty (and not in do-not-disturb: then whoever covers), else
    of the people the call was for."""
    covering, _ = call.directory.rota.covering(at, lambda x: in_dnd(call, x))
    on_duty = covering or tuple(x for x in extensions if not in_dnd(call, x))
    mobiles = [call.directory.people[x].mobile for x in on_duty if x in call.directory.people]
    policy = call.directory.forward_policy
    return tuple(trunk_target(m) for m in dict.fromkeys(mobiles) if m and not forward_refusal(policy, m))
