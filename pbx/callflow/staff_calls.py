"""Calls a staff phone starts: to a colleague, to an outside number (past the toll-fraud
guard), to an emergency number (before every guard), and click-to-call's second half."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pbx.phone import InvalidPhoneNumber, caller_to_e164, to_e164

from . import commands as c
from . import destinations, names
from . import events as e
from . import scenario as s
from .destinations import trunk_target
from .emergency import EMERGENCY_RING_SECONDS, emergency_number
from .services import service_for, start_service
from .state import State
from .steps import RingStep
from .tollfraud import CallingPolicy, Verdict, classify, decide
from .vocabulary import Direction, RingKind, StepKind

if TYPE_CHECKING:
    from .call import Call


def start_from_phone(call: Call, event: e.StasisStart, dialled: str, insecure: bool) -> list[c.Command]:
    extension = event.channel.caller_number
    person = call.directory.people.get(extension)
    call.set_state(State.ROUTING)
    if (short := emergency_number(dialled)) is not None:
        return _start_emergency(call, event, extension, short, insecure)
    if insecure and person is not None and not person.plain_sip:
        # A TLS phone's password used over plain SIP: someone else has it, or the phone is
        # misconfigured. Either way no call, internal or outside.
        started = call.started(event, Direction.INTERNAL, extension, dialled)
        return [started, *_block(call, event, dialled, "the phone did not connect over TLS", person.policy)]
    if (service := service_for(dialled)) is not None:
        return start_service(call, event, dialled, service)
    if dialled in call.directory.people:
        started = call.started(event, Direction.INTERNAL, extension, dialled)
        if redirect := destinations.person_redirect(call, dialled):
            kind, detail, target = redirect  # do-not-disturb or the colleague's own forward
            fact = call.fact(event.at, kind, **detail)
            gone = call.goto(target, event.at) if target is not None else call.hang_up(event.at, reason="busy")
            return [started, fact, *gone]
        decided = call.recorder.decide_from_phone(event.at, (dialled, extension), number="")
        seconds, then = destinations.no_answer_rule(call, dialled, 30, None)
        ring = destinations.ring_people(
            call, RingKind.EXTENSION, (dialled,), ring_seconds=seconds, then=then, at=event.at
        )
        return [started, *decided, *call.enter(ring, event.at)]
    try:
        number = to_e164(dialled)
    except InvalidPhoneNumber:
        started = call.started(event, Direction.OUTBOUND, extension, dialled)
        return [started, *call.refuse(event, dialled)]
    started = call.started(event, Direction.OUTBOUND, extension, number)
    guard, allowed = toll_guard(call, event, extension, number)
    if not allowed:
        return [started, *guard]
    shown = (person.caller_id if person else "") or call.directory.main_number
    decided = call.recorder.decide_from_phone(event.at, (extension,), number=shown)
    outward = RingStep(
        kind=RingKind.OUTBOUND,
        targets=(trunk_target(number),),
        round_seconds=60,
        max_seconds=60,
        caller_number=shown,
        caller_name="",
    )
    shown_fact = call.fact(event.at, StepKind.CALLER_ID, shown=shown)
    return [started, *guard, shown_fact, *decided, *call.enter(outward, event.at)]


def _start_emergency(call: Call, event: e.StasisStart, extension: str, number: str, insecure: bool) -> list[c.Command]:
    """112 and the other emergency numbers (emergency.py): straight to the trunk, before
    every guard (policy, hours, caps, TLS), with the firm's number shown so that the
    dispatcher can call back. Not recorded, no notice: nothing may delay the dispatcher."""
    person = call.directory.people.get(extension)
    shown = (person.caller_id if person else "") or call.directory.main_number
    call.recorder.noticed = True  # no recording rule applies to an emergency call
    started = call.started(event, Direction.OUTBOUND, extension, number)
    alert = call.fact(
        event.at, StepKind.EMERGENCY_CALL, extension=extension, number=number, shown=shown, over_tls=not insecure
    )
    outward = RingStep(
        kind=RingKind.EMERGENCY,
        targets=(trunk_target(number),),
        round_seconds=EMERGENCY_RING_SECONDS,
        max_seconds=EMERGENCY_RING_SECONDS,
        caller_number=shown,
    )
    return [started, alert, call.fact(event.at, StepKind.CALLER_ID, shown=shown), *call.enter(outward, event.at)]


def start_callback(call: Call, event: e.StasisStart, task_id: str, number: str, staff: str) -> list[c.Command]:
    """Click-to-call: one of the staff member's phones (extension `staff`) has answered; the
    others stop ringing (one answering a moment later is let go: they are this call's legs);
    now ring the customer."""
    call.callback_task = task_id
    person = call.directory.people.get(staff)
    others = [names.callback_phone(task_id, login) for login, _ in s.phones_of(person)] if person else []
    release = [c.Hangup(call.legs.adopt(ch, staff), reason="normal") for ch in others if ch != call.channel_id]
    e164 = caller_to_e164(number)
    started = call.started(event, Direction.OUTBOUND, staff, e164)
    call.set_state(State.ROUTING)
    guard, allowed = toll_guard(call, event, staff, e164)
    if not allowed:
        return [started, *release, *guard]
    main = call.directory.main_number
    decided = call.recorder.decide_from_phone(event.at, (staff,), number=main)
    outward = RingStep(
        kind=RingKind.EXTERNAL,
        targets=(trunk_target(e164, number),),
        round_seconds=45,
        max_seconds=45,
        caller_number=main,
    )
    return [started, *release, *guard, *decided, *call.enter(outward, event.at)]


def toll_guard(call: Call, event: e.StasisStart, extension: str, number: str) -> tuple[list[c.Command], bool]:
    """The toll-fraud guard before any outside call from staff: (commands, allowed). Allowed
    calls get a timer for what is left of the day's minutes; refused ones hear why (early
    media) and end 'rejected'. An alert for the office manager goes into the history."""
    person = call.directory.people.get(extension)
    policy = person.policy if person else s.DEFAULT_POLICY
    local = event.at.astimezone(ZoneInfo(call.directory.timezone))
    if person is None:  # a device that is no extension of ours has no business dialing out
        verdict = Verdict(False, "not a staff extension", classify(number))
    else:
        verdict = decide(policy, number, local, call.directory.is_day_off(local), call.usage(extension))
    alerts: list[c.Command] = []
    if verdict.alert:
        alerts.append(
            call.fact(
                event.at,
                StepKind.TOLL_ALERT,
                alert_kind=verdict.alert_kind,
                alert=verdict.alert,
                extension=extension,
                number=number,
                country=verdict.destination.country,
            )
        )
    if not verdict.allowed:
        return [*alerts, *_block(call, event, number, verdict.reason, policy)], False
    call.dialling_out = True
    call.alerted_country = verdict.destination.country if verdict.alert_kind == "new_country" else ""
    cap, _ = call.timer("daily-cap", verdict.max_seconds)
    return [*alerts, cap], True


def _block(call: Call, event: e.StasisStart, number: str, reason: str, policy: CallingPolicy) -> list[c.Command]:
    """Refuse a staff call: the phone hears why (as early media), then the call ends 'rejected'."""
    call.set_state(State.REFUSING)
    call.refusal = "rejected"
    play, _ = call.play(policy.blocked_message)
    return [call.fact(event.at, StepKind.OUTBOUND_BLOCKED, number=number, reason=reason), play]
