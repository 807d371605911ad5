"""A snapshot of what the office manager configured, as plain frozen values.

The pump builds a Directory from the database off the event path and swaps it whole when the
configuration changes; the core only reads it. No ORM object ever reaches the core, and time
is always a value passed in, so every branch is testable and the admin's "simulate a call"
runs the same code.

Destinations form a small closed set and refer to each other by id (`DestId`), so a
configuration with a loop is still a finite value; `validate` finds loops and dead ends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pbx.phone import caller_to_e164

from .tollfraud import CallingPolicy

DEFAULT_POLICY = CallingPolicy()

RECORDING_FORMAT = "wav"
DestId = int

# --- destinations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Announcement:
    """Play a message, then go on (or hang up when `next` is None)."""

    prompt: str
    next: DestId | None = None


@dataclass(frozen=True)
class Menu:
    """IVR: play the prompt, wait for one digit; retry on silence or a wrong key."""

    prompt: str
    options: Mapping[str, DestId]
    timeout_seconds: int = 5
    retries: int = 2
    invalid_prompt: str = "sound:option-is-invalid"
    fallback: DestId | None = None  # after the last retry; None hangs up


@dataclass(frozen=True)
class RingExtension:
    extension: str
    ring_seconds: int = 20
    no_answer: DestId | None = None


@dataclass(frozen=True)
class RingQueue:
    name: str
    strategy: Literal["ring_all", "linear", "rota"]
    members: tuple[str, ...] = ()  # extension numbers, in order (ignored for "rota")
    member_ring_seconds: int = 15
    max_wait_seconds: int = 60
    music_on_hold: bool = True
    music_class: str = ""  # Asterisk's music class of the firm's own hold music ("": the default)
    overflow: DestId | None = None
    announce_seconds: int = 0  # the caller's place in the queue every so often (0: never)
    callback_key: str = ""  # pressed while waiting: a callback instead ("": not offered)


@dataclass(frozen=True)
class Voicemail:
    """Take a message: prompt, beep, record up to `max_seconds`; a callback task follows."""

    prompt: str = "sound:vm-intro"  # "" records straight away
    max_seconds: int = 60
    beep: bool = True
    mailbox: int | None = None  # the box the message goes to (its owners are told)


@dataclass(frozen=True)
class CallbackOffer:
    """'Press 1 to be called back': a key press creates a callback task."""

    prompt: str
    confirmation: str = "sound:auth-thankyou"
    key: str = "1"
    timeout_seconds: int = 6
    otherwise: DestId | None = None


@dataclass(frozen=True)
class ExternalNumber:
    number: str  # E.164, dialled through the trunk
    ring_seconds: int = 30
    no_answer: DestId | None = None


@dataclass(frozen=True)
class HangUp:
    pass


Destination = Announcement | Menu | RingExtension | RingQueue | Voicemail | CallbackOffer | ExternalNumber | HangUp

# --- time ------------------------------------------------------------------------------

OpenState = Literal["open", "closed", "holiday", "closure"]


@dataclass(frozen=True)
class Interval:
    weekday: int  # 0 = Monday
    start: time
    end: time

    def contains(self, moment: datetime) -> bool:
        return moment.weekday() == self.weekday and self.start <= moment.time() < self.end


@dataclass(frozen=True)
class Schedule:
    """Opening hours. Precedence: manual override > one-off closure > public holiday > week."""

    timezone: str = "Europe/Warsaw"
    intervals: tuple[Interval, ...] = ()
    holidays: Mapping[date, str] = field(default_factory=dict)  # date -> name
    closures: Mapping[date, str] = field(default_factory=dict)  # date -> reason
    override: Literal["open", "closed"] | None = None
    override_until: datetime | None = None

    def local(self, when: datetime) -> datetime:
        return when.astimezone(ZoneInfo(self.timezone))

    def state_at(self, when: datetime) -> tuple[OpenState, str]:
        """Whether the firm is open at `when` (aware datetime), with the reason."""
        if self.override is not None and (self.override_until is None or when < self.override_until):
            return ("open" if self.override == "open" else "closed", f"manual override: {self.override}")
        moment = self.local(when)
        if moment.date() in self.closures:
            return "closure", self.closures[moment.date()]
        if moment.date() in self.holidays:
            return "holiday", self.holidays[moment.date()]
        if any(interval.contains(moment) for interval in self.intervals):
            return "open", "within opening hours"
        return "closed", "outside opening hours"


ALWAYS_OPEN = Schedule(intervals=tuple(Interval(day, time(0), time(23, 59, 59, 999999)) for day in range(7)))


@dataclass(frozen=True)
class Shift:
    extension: str
    start: datetime  # aware
    end: datetime


@dataclass(frozen=True)
class WeeklyDuty:
    extension: str
    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class Rota:
    """Who is on duty. Dated shifts covering a moment replace the weekly pattern for it."""

    timezone: str = "Europe/Warsaw"
    weekly: tuple[WeeklyDuty, ...] = ()
    shifts: tuple[Shift, ...] = ()

    def on_duty(self, when: datetime) -> tuple[str, ...]:
        dated = tuple(s.extension for s in self.shifts if s.start <= when < s.end)
        if dated:
            return dated
        moment = when.astimezone(ZoneInfo(self.timezone))
        return tuple(
            d.extension for d in self.weekly if d.weekday == moment.weekday() and d.start <= moment.time() < d.end
        )

    def covering(self, when: datetime, away: Callable[[str], bool]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(who answers for the rota at `when`, for whom they cover). Those on duty who are not
        `away`, covering for nobody; when all of them are away, whoever is on duty next (the
        next dated shift or weekly slot, within a week) and not away, covering for them: the
        rota says who covers."""
        on_duty = self.on_duty(when)
        present = tuple(x for x in on_duty if not away(x))
        if present or not on_duty:
            return present, ()
        for start in self._next_starts(when):
            nxt = tuple(x for x in self.on_duty(start) if not away(x))
            if nxt:
                return nxt, on_duty
        return (), ()

    def _next_starts(self, when: datetime) -> list[datetime]:
        """When the next duties begin after `when`, soonest first (a week ahead at most)."""
        zone = ZoneInfo(self.timezone)
        local = when.astimezone(zone)
        starts = [s.start for s in self.shifts if when < s.start <= when + timedelta(days=7)]
        for duty in self.weekly:
            days = (duty.weekday - local.weekday()) % 7
            day = local.date() + timedelta(days=days)
            start = datetime.combine(day, duty.start, tzinfo=zone)
            if start <= when:
                start += timedelta(days=7)
            starts.append(start)
        return sorted(set(starts))


# --- people and numbers ------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A staff extension as the call flow needs it."""

    extension: str
    name: str
    mobile: str = ""  # E.164, for plan B
    caller_id: str = ""  # company number shown on this person's outbound calls (E.164)
    policy: CallingPolicy = DEFAULT_POLICY  # what they may dial outside (toll-fraud guard)
    plain_sip: bool = False  # a loopback test phone allowed without TLS
    pin: str = ""  # digest of the PIN for the phone's own services (pin.py); "" none set
    # The person's other phones: (SIP login, seconds after the first ring they join in).
    # The extension's own login rings first; the person is reachable when any of them is.
    devices: tuple[tuple[str, int], ...] = ()
    dnd: bool = False  # do not disturb: phones never rung, queues skip them
    forward_always: DestId | None = None  # direct calls go here instead
    forward_no_answer: DestId | None = None  # after forward_after_seconds of ringing
    forward_after_seconds: int = 20
    forward_unreachable: DestId | None = None  # no phone on: here instead of plan B
    forward_busy: DestId | None = None  # already on a call: here instead of ringing
    records_prompts: bool = False  # may record the office's prompts by phone (*96)


def phones_of(person: Person) -> tuple[tuple[str, int], ...]:
    """Every SIP login of a person, with when it joins the ringing: its own first."""
    return ((person.extension, 0), *person.devices)


@dataclass(frozen=True)
class ServicePrompts:
    """What a staff phone's own services (services.py) say; Centrala's built-in messages,
    localised with the rest of the configuration. `new_messages[n]`: "you have n new
    messages", the last for every count after."""

    pin: str = "sound:vm-password"
    pin_wrong: str = "sound:vm-incorrect"
    no_pin: str = "sound:cannot-complete-as-dialed"
    not_allowed: str = "sound:cannot-complete-as-dialed"
    record: str = "sound:vm-rec-temp"
    review: str = "sound:vm-review"
    saved: str = "sound:vm-msgsaved"
    new_messages: tuple[str, ...] = ("sound:vm-youhave",)
    listen_keys: str = "sound:vm-instructions"
    heard_ones: str = "sound:vm-Old"
    no_more: str = "sound:vm-nomore"
    goodbye: str = "sound:vm-goodbye"
    dnd_on: str = "sound:do-not-disturb"
    dnd_off: str = "sound:de-activated"
    nothing_to_pick_up: str = "sound:cannot-complete-as-dialed"
    forward_on: str = "sound:call-fwd-unconditional"
    forward_off: str = "sound:de-activated"
    forward_refused: str = "sound:cannot-complete-as-dialed"


@dataclass(frozen=True)
class RecordingRule:
    """When to record. Empty conditions (None / "") match anything; first match decides."""

    name: str
    mode: Literal["always", "never"]
    direction: str = ""
    number: str = ""  # company number, E.164
    destination: DestId | None = None
    extension: str = ""
    purpose_id: int | None = None
    announcement: str = ""
    objection_key: str = "9"
    announce_to_called: bool = True  # outgoing and internal calls: the called party hears the notice

    def matches(self, direction: str, number: str, destination: DestId | None, extension: str) -> bool:
        return (
            self.direction in ("", direction)
            and self.number in ("", number)
            and self.destination == destination
            and self.extension in ("", extension)
        )


def recording_rule_for(
    rules: tuple[RecordingRule, ...],
    direction: str,
    number: str,
    destination: DestId | None = None,
    extension: str = "",
) -> RecordingRule | None:
    """The rule that decides, or None (no rule matches: the call is not recorded)."""
    return next((r for r in rules if r.matches(direction, number, destination, extension)), None)


@dataclass(frozen=True)
class NumberPlan:
    """What a call to one company number gets."""

    number: str  # E.164
    schedule: Schedule = ALWAYS_OPEN
    open: DestId | None = None
    closed: DestId | None = None
    holiday: DestId | None = None  # a holiday message; falls back to `closed`


@dataclass(frozen=True)
class Directory:
    numbers: Mapping[str, NumberPlan] = field(default_factory=dict)
    destinations: Mapping[DestId, Destination] = field(default_factory=dict)
    people: Mapping[str, Person] = field(default_factory=dict)
    rota: Rota = field(default_factory=Rota)
    main_number: str = ""  # presented on outbound calls when a person has no own choice
    recording_rules: tuple[RecordingRule, ...] = ()  # in priority order
    # Played (as early media, unanswered) when the dialled number is not ours.
    not_in_service: str = "sound:ss-noservice"
    timezone: str = "Europe/Warsaw"  # the firm's: for the toll-fraud guard's hours
    forward_policy: CallingPolicy = DEFAULT_POLICY  # what forwards and plan-B mobiles may ring
    days_off: frozenset[date] = frozenset()  # public holidays (weekends count anyway)
    # What a caller waiting in a queue hears about their place: "first", "second", ...; the
    # last for every place after. Empty: no such announcements.
    queue_places: tuple[str, ...] = ()
    queue_callback_offer: str = ""  # "press 1 to be called back", after the place
    services: ServicePrompts = ServicePrompts()
    # "The line was interrupted for a moment": a caller the app took back after a restart.
    interrupted: str = "sound:pls-hold-while-try"

    def is_day_off(self, local: datetime) -> bool:
        return local.weekday() >= 5 or local.date() in self.days_off

    def plan_for(self, dialled: str) -> NumberPlan | None:
        return self.numbers.get(caller_to_e164(dialled))

    def entry_for(self, plan: NumberPlan, when: datetime) -> tuple[DestId | None, OpenState, str]:
        """The destination a call to `plan` starts at, at `when`, with the open state and why."""
        state, why = plan.schedule.state_at(when)
        if state == "open":
            return plan.open, state, why
        if state == "holiday" and plan.holiday is not None:
            return plan.holiday, state, why
        return plan.closed, state, why
