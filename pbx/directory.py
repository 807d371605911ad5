"""Build the call-flow core's snapshot of the configuration from the database."""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

import holidays
from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from company_numbers.models import CompanyNumber
from pbx.audio import library
from pbx.audio.system_prompts import (
    FALLBACK,
    INTERRUPTED,
    NEW_MESSAGES,
    QUEUE_CALLBACK,
    QUEUE_PLACES,
    SERVICES,
    STOCK_INSTEAD,
)
from pbx.callflow import scenario as s
from pbx.callflow.tollfraud import CallingPolicy as CallingRules
from pbx.callflow.tollfraud import OutboundHistory
from pbx.models import (
    Call,
    CallingPolicy,
    Destination,
    DutyShift,
    Extension,
    Menu,
    Prompt,
    Queue,
    Scenario,
    Schedule,
    WeeklyDuty,
)
from pbx.models.policies import forward_policy, parse_countries
from recordings.models import RecordingRule
from security.models import TollFraudAlert

log = logging.getLogger(__name__)


def load_directory(today: date | None = None) -> s.Directory:
    """Everything the call flow needs, as frozen values. Runs a fixed number of queries."""
    today = today or date.today()
    numbers = [n for n in CompanyNumber.objects.select_related("scenario") if n.routable]
    main = next((n.e164 for n in numbers if n.is_main), numbers[0].e164 if numbers else "")
    schedules = {
        sc.pk: schedule_snapshot(sc, today) for sc in Schedule.objects.prefetch_related("intervals", "closures")
    }
    directory = s.Directory(
        numbers={n.e164: _plan(n, schedules) for n in numbers},
        destinations=_destinations(),
        people=_people(main),
        rota=_rota(),
        main_number=main,
        recording_rules=_recording_rules(),
        forward_policy=forward_policy(),
        days_off=_days_off(today.year),
        queue_places=tuple(f"sound:{name}" for name in QUEUE_PLACES),
        queue_callback_offer=f"sound:{QUEUE_CALLBACK}",
        interrupted=f"sound:{INTERRUPTED}",
        services=s.ServicePrompts(
            **{field: f"sound:{name}" for field, name in SERVICES.items()},
            new_messages=tuple(f"sound:{name}" for name in NEW_MESSAGES),
        ),
    )
    return localised(directory, SystemSounds(settings.PROMPT_LANGUAGE))


_reported_missing: set[tuple[int, str]] = set()  # (prompt, file) said once, not at every reload


def played(prompt: Prompt) -> str:
    """What Asterisk plays for a prompt: its own file, or, when that file is missing (a lost
    volume, a restore without the sounds), the general greeting instead of silence. Logged
    once per missing file (the configuration is read every few seconds)."""
    if prompt.file_missing:
        if (prompt.pk, prompt.file_stem) not in _reported_missing:
            _reported_missing.add((prompt.pk, prompt.file_stem))
            log.error("the sound file of prompt %r is missing; callers hear the general greeting instead", prompt.name)
        return f"sound:{FALLBACK}"
    _reported_missing.discard((prompt.pk, prompt.file_stem))
    return prompt.media_uri


class SystemSounds:
    """Stock sound names -> Centrala's built-in version in the callers' language, where
    `manage.py build_sounds` made one (pbx/audio/system_prompts.py)."""

    def __init__(self, language: str) -> None:
        self.language = language
        folder = Path(settings.CENTRALA_SOUNDS_DIR, library.SYSTEM, language)
        self.built = {p.stem for p in folder.glob("*.wav")} if folder.is_dir() else set()

    def __call__(self, media: str) -> str:
        name = media.removeprefix("sound:")
        if media.startswith("sound:") and name in self.built:
            return library.uri(library.SYSTEM, self.language, name)
        if name in STOCK_INSTEAD:  # Centrala's own message, not built here: Asterisk's nearest
            return f"sound:{STOCK_INSTEAD[name]}"
        return media


T = TypeVar("T")


def localised(value: T, sounds: Callable[[str], str]) -> T:
    """The configuration with every stock sound it names replaced as `sounds` says."""
    if isinstance(value, str):
        return sounds(value) if value.startswith("sound:") else value  # type: ignore[return-value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: localised(getattr(value, f.name), sounds) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)  # type: ignore[return-value]
    if isinstance(value, dict):
        return {k: localised(v, sounds) for k, v in value.items()}  # type: ignore[return-value]
    if isinstance(value, tuple):
        return tuple(localised(v, sounds) for v in value)  # type: ignore[return-value]
    return value


def _recording_rules() -> tuple[s.RecordingRule, ...]:
    rules = RecordingRule.objects.select_related("company_number", "extension", "purpose__announcement")
    return tuple(
        s.RecordingRule(
            name=r.name,
            mode=r.mode,  # type: ignore[arg-type]
            direction=r.direction,
            number=r.company_number.e164 if r.company_number else "",
            destination=r.destination_id,
            extension=r.extension.number if r.extension else "",
            purpose_id=r.purpose_id,
            announcement=played(r.purpose.announcement) if r.purpose else "",
            objection_key=r.objection_key,
            announce_to_called=r.purpose.announce_to_called if r.purpose else True,
        )
        for r in rules
    )


def _plan(number: CompanyNumber, schedules: dict[int, s.Schedule]) -> s.NumberPlan:
    scenario: Scenario | None = number.scenario
    if scenario is None:
        return s.NumberPlan(number=number.e164)
    return s.NumberPlan(
        number=number.e164,
        schedule=schedules.get(scenario.schedule_id or -1, s.ALWAYS_OPEN),
        open=scenario.when_open_id,
        closed=scenario.when_closed_id,
        holiday=scenario.on_holiday_id,
    )


def schedule_snapshot(schedule: Schedule, today: date | None = None) -> s.Schedule:
    year = (today or date.today()).year
    public = holidays.Poland(years=range(year - 1, year + 2), language="pl") if schedule.public_holidays else {}
    return s.Schedule(
        timezone=schedule.timezone,
        intervals=tuple(s.Interval(i.weekday, i.opens, i.closes) for i in schedule.intervals.all()),
        holidays=dict(public.items()),
        closures={c.date: c.reason for c in schedule.closures.all()},
        override=schedule.override or None,  # type: ignore[arg-type]
        override_until=schedule.override_until,
    )


def _destinations() -> dict[int, s.Destination]:
    menus = {m.pk: m for m in Menu.objects.select_related("prompt", "invalid_prompt").prefetch_related("options")}
    queues = {q.pk: q for q in Queue.objects.prefetch_related("members__extension", "music__prompt")}
    result: dict[int, s.Destination] = {}
    for dest in Destination.objects.select_related("prompt", "extension", "mailbox__greeting"):
        result[dest.pk] = _destination(dest, menus, queues)
    return result


def _destination(dest: Destination, menus: dict[int, Menu], queues: dict[int, Queue]) -> s.Destination:
    prompt = played(dest.prompt) if dest.prompt else ""
    kind = Destination.Kind
    if dest.kind == kind.ANNOUNCEMENT:
        return s.Announcement(prompt=prompt, next=dest.then_id)
    if dest.kind == kind.MENU and dest.menu_id in menus:
        return _menu(menus[dest.menu_id], fallback=dest.then_id)
    if dest.kind == kind.EXTENSION and dest.extension:
        return s.RingExtension(dest.extension.number, ring_seconds=dest.seconds, no_answer=dest.then_id)
    if dest.kind == kind.QUEUE and dest.queue_id in queues:
        return _queue(queues[dest.queue_id], overflow=dest.then_id)
    if dest.kind == kind.VOICEMAIL:
        greeting = dest.mailbox.greeting if dest.mailbox else None  # the box's own, unless the destination names one
        prompt = prompt or (played(greeting) if greeting else "")
        return s.Voicemail(prompt=prompt, max_seconds=dest.seconds, beep=bool(prompt), mailbox=dest.mailbox_id)
    if dest.kind == kind.CALLBACK_OFFER:
        return s.CallbackOffer(prompt=prompt, otherwise=dest.then_id)
    if dest.kind == kind.EXTERNAL and dest.external_number:
        return s.ExternalNumber(dest.external_number, ring_seconds=dest.seconds, no_answer=dest.then_id)
    return s.HangUp()


def _menu(menu: Menu, fallback: int | None) -> s.Menu:
    return s.Menu(
        prompt=played(menu.prompt),
        options={o.digit: o.destination_id for o in menu.options.all()},
        timeout_seconds=menu.timeout_seconds,
        retries=menu.retries,
        invalid_prompt=played(menu.invalid_prompt) if menu.invalid_prompt else "sound:option-is-invalid",
        fallback=fallback,
    )


def _queue(queue: Queue, overflow: int | None) -> s.RingQueue:
    return s.RingQueue(
        name=queue.name,
        strategy=queue.strategy,  # type: ignore[arg-type]
        members=tuple(m.extension.number for m in queue.members.all()),
        member_ring_seconds=queue.member_ring_seconds,
        max_wait_seconds=queue.max_wait_seconds,
        music_on_hold=queue.music_on_hold,
        music_class=queue.music_class,
        overflow=overflow,
        announce_seconds=queue.announce_place_seconds,
        callback_key="1" if queue.offer_callback else "",
    )


def _people(main: str) -> dict[str, s.Person]:
    extensions = (
        Extension.objects.filter(active=True)
        .select_related("caller_id", "calling_policy__blocked_prompt")
        .prefetch_related("devices")
    )
    recorders = _prompt_recorders()
    return {
        x.number: s.Person(
            extension=x.number,
            name=x.display_name,
            mobile=x.mobile,
            caller_id=x.caller_id.e164 if x.caller_id else main,
            policy=_policy(x.calling_policy) if x.calling_policy else s.DEFAULT_POLICY,
            plain_sip=x.plain_sip,
            pin=x.pin_digest,
            records_prompts=x.user_id in recorders,
            devices=tuple((d.sip_username, d.ring_after_seconds) for d in x.active_devices()),
            dnd=x.dnd,
            forward_always=x.forward_always_id,
            forward_no_answer=x.forward_no_answer_id,
            forward_after_seconds=x.forward_after_seconds,
            forward_unreachable=x.forward_unreachable_id,
            forward_busy=x.forward_busy_id,
        )
        for x in extensions
    }


def _prompt_recorders() -> set[int]:
    """The active users allowed to change the office's prompts (who may record them by phone)."""
    users = User.objects.with_perm("pbx.change_prompt", backend="django.contrib.auth.backends.ModelBackend")
    return set(users.values_list("pk", flat=True))


def _policy(p: CallingPolicy) -> CallingRules:
    return CallingRules(
        name=p.name,
        mobile=p.allow_mobile,
        freephone=p.allow_freephone,
        shared_cost=p.allow_shared_cost,
        premium=p.allow_premium,
        countries=frozenset(parse_countries(p.countries)),
        international_from=p.international_from,
        international_until=p.international_until,
        international_any_time=p.international_any_time,
        max_concurrent=p.max_concurrent,
        max_daily_minutes=p.max_daily_minutes,
        blocked_message=played(p.blocked_prompt) if p.blocked_prompt else s.DEFAULT_POLICY.blocked_message,
    )


@functools.lru_cache(maxsize=2)
def _days_off(year: int) -> frozenset[date]:
    """Public holidays this year and next, built once (the configuration is read every 10 s)."""
    return frozenset(holidays.country_holidays("PL", years=[year, year + 1]))


def _rota() -> s.Rota:
    weekly = tuple(
        s.WeeklyDuty(d.extension.number, d.weekday, d.starts, d.ends)
        for d in WeeklyDuty.objects.select_related("extension")
    )
    shifts = tuple(
        s.Shift(d.extension.number, d.starts_at, d.ends_at) for d in DutyShift.objects.select_related("extension")
    )
    return s.Rota(weekly=weekly, shifts=shifts)


def load_outbound_history(now: datetime | None = None) -> OutboundHistory:
    """Today's outside minutes per extension and the countries called before: what the
    toll-fraud guard needs from the history. Two queries; run off the event path."""
    now = now or timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    minutes: dict[str, float] = defaultdict(float)
    talked = Call.objects.filter(direction="outbound", answered_at__isnull=False, started_at__gte=midnight)
    for caller, answered, ended in talked.values_list("caller", "answered_at", "ended_at"):
        if answered is not None:
            minutes[caller] += max(((ended or now) - answered).total_seconds(), 0) / 60
    countries = TollFraudAlert.objects.filter(kind=TollFraudAlert.Kind.NEW_COUNTRY).values_list("country", flat=True)
    return OutboundHistory(minutes_today=dict(minutes), known_countries=frozenset(countries))
