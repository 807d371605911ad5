"""The toll-fraud guard: may this extension call this number now? Decided before dialing.

Hijacked SIP accounts are used at night and on holidays to pump minutes to premium and exotic
international numbers, so the default is an allow-list: domestic fixed, mobile and freephone
numbers only; premium rate (70x), international (per country) and satellite ranges need a
policy that allows them; international calls outside working hours need one more yes; and a
cap on concurrent calls and daily minutes limits what a stolen password can cost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time

import phonenumbers

HOME = "PL"
# Ranges known for fraud that numbering plans file under another country (Abkhazia dials as
# Russia): refused whatever a policy allows.
HIGH_RISK_PREFIXES = {"+7840": "Abkhazia", "+7940": "Abkhazia"}
# Number types, as the guard names them, at home and abroad alike.
DOMESTIC_KINDS = {
    phonenumbers.PhoneNumberType.FIXED_LINE: "fixed",
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed",
    phonenumbers.PhoneNumberType.VOIP: "fixed",
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.TOLL_FREE: "freephone",
    phonenumbers.PhoneNumberType.SHARED_COST: "shared_cost",
    phonenumbers.PhoneNumberType.UAN: "shared_cost",
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "premium",
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER: "personal",
}


@dataclass(frozen=True)
class Destination:
    kind: str  # fixed, mobile, freephone, shared_cost, premium, personal, international, high_risk, other
    country: str  # ISO 3166 code, "001" for non-geographic (satellite, international networks)
    premium: bool = False
    abroad_kind: str = ""  # international: the number's own type there (fixed, mobile, shared_cost, ...)


def classify(e164: str) -> Destination:
    """What kind of destination an E.164 number is ('other', blocked, when it is not a number)."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return Destination("other", "")
    country = phonenumbers.region_code_for_number(number) or "001"
    kind_type = phonenumbers.number_type(number)
    premium = kind_type == phonenumbers.PhoneNumberType.PREMIUM_RATE
    if any(e164.startswith(prefix) for prefix in HIGH_RISK_PREFIXES):
        return Destination("high_risk", country, premium)
    kind = DOMESTIC_KINDS.get(kind_type, "other") if phonenumbers.is_valid_number(number) else "other"
    if country != HOME:
        return Destination("international", country, premium, abroad_kind=kind)
    return Destination(kind, country, premium)


@dataclass(frozen=True)
class CallingPolicy:
    """What one extension (or its group) may dial. The defaults are the safe ones."""

    name: str = "default"
    mobile: bool = True
    freephone: bool = True
    shared_cost: bool = False
    premium: bool = False
    countries: frozenset[str] = frozenset()  # ISO codes allowed for international calls
    international_from: time = time(7)  # on working days, local time
    international_until: time = time(20)
    international_any_time: bool = False  # also nights, weekends and holidays
    max_concurrent: int = 2
    max_daily_minutes: int = 240
    blocked_message: str = "sound:cannot-complete-as-dialed"


@dataclass(frozen=True)
class Usage:
    """What the extension is using now, as the pump knows it."""

    live_outbound: int = 0
    minutes_today: float = 0.0
    known_countries: frozenset[str] = field(default_factory=frozenset)  # called before, by anyone


UsageLookup = Callable[[str], Usage]


@dataclass(frozen=True)
class OutboundHistory:
    """From the call history, refreshed by the pump every few seconds (off the event path)."""

    minutes_today: dict[str, float] = field(default_factory=dict)  # extension -> minutes talked outside
    known_countries: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str  # why not, or "" when allowed
    destination: Destination
    alert: str = ""  # for the office manager, even when allowed (first call to a new country)
    alert_kind: str = ""  # new_country, concurrent or daily_minutes
    max_seconds: float = 0.0  # what is left of the daily minutes (when allowed)


def decide(policy: CallingPolicy, e164: str, local: datetime, day_off: bool, usage: Usage) -> Verdict:
    """Allow or refuse a call from an extension under `policy` to `e164` at local time `local`
    (`day_off`: a weekend or public holiday). Refusals name the rule; hitting a cap alerts."""
    dest = classify(e164)
    if reason := _class_refusal(policy, dest, local, day_off):
        return Verdict(False, reason, dest)
    if usage.live_outbound >= policy.max_concurrent:
        reason = f"already {usage.live_outbound} outside call(s) at once (limit {policy.max_concurrent})"
        return Verdict(False, reason, dest, alert=f"concurrent-call limit hit: {reason}", alert_kind="concurrent")
    left = policy.max_daily_minutes - usage.minutes_today
    if left <= 0:
        reason = f"the daily limit of {policy.max_daily_minutes} minutes of outside calls is used up"
        return Verdict(False, reason, dest, alert=f"daily-minutes limit hit: {reason}", alert_kind="daily_minutes")
    if dest.kind == "international" and dest.country not in usage.known_countries:
        return Verdict(
            True, "", dest, alert=f"first call to {dest.country}", alert_kind="new_country", max_seconds=left * 60
        )
    return Verdict(True, "", dest, max_seconds=left * 60)


def _class_refusal(policy: CallingPolicy, dest: Destination, local: datetime | None, day_off: bool) -> str:
    """Why `policy` refuses this kind of number ("" if it does not). Abroad, the country and the
    hours come first, then the same number types as at home: a personal or shared-cost number
    abroad is refused as it would be in Poland. Without `local`, hours are not judged."""
    if dest.kind == "high_risk":
        return "this range is a known fraud destination"
    if dest.premium and not policy.premium:
        return "premium-rate numbers are blocked"
    kind = dest.kind
    if dest.kind == "international":
        if dest.country not in policy.countries:
            return f"calls to {dest.country} are not allowed"
        in_hours = local is None or (
            not day_off and policy.international_from <= local.time() < policy.international_until
        )
        if not (in_hours or policy.international_any_time):
            return "international calls are not allowed at night, at weekends or on holidays"
        kind = dest.abroad_kind
    allowed = {
        "fixed": True,
        "mobile": policy.mobile,
        "freephone": policy.freephone,
        "shared_cost": policy.shared_cost,
        "premium": policy.premium,
    }
    if not allowed.get(kind, False):
        what = "numbers of unknown type" if kind in ("other", "") else f"{kind.replace('_', ' ')} numbers"
        return f"{what} are blocked" + (f" ({dest.country})" if dest.kind == "international" else "")
    return ""


def forward_refusal(policy: CallingPolicy, e164: str) -> str:
    """Why a number may not be a forward target or a plan-B mobile ("" if it may): the policy's
    rules for kinds and countries, at any hour (those calls ring whenever callers call)."""
    return _class_refusal(policy, classify(e164), None, False)
