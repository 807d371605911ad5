"""The toll-fraud guard: destination classes, the allow-list, hours, caps and alerts, and what
a staff phone hears when a call is refused. No Asterisk, no database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from pbx.callflow import commands as c
from pbx.callflow import scenario as s
from pbx.callflow.call import Call, State
from pbx.callflow.tollfraud import CallingPolicy, Destination, Usage, classify, decide, forward_refusal
from tests.callflow.fixtures import CHANNEL, KEY, MOBILE_FWD, OFFICE, Driver, at, directory, phone_channel

MONDAY_NOON = datetime(2026, 11, 23, 12, 0)  # local (Warsaw) times for decide()
MONDAY_NIGHT = datetime(2026, 11, 23, 22, 30)
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Warsaw
GERMANY = "+4930901820"
TRAVEL = CallingPolicy(name="travel", countries=frozenset({"DE"}))


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("+48221234567", Destination("fixed", "PL")),
        ("+48601234567", Destination("mobile", "PL")),
        ("+48800123456", Destination("freephone", "PL")),
        ("+48801123456", Destination("shared_cost", "PL")),
        ("+48701234567", Destination("premium", "PL", premium=True)),
        ("+48708123456", Destination("premium", "PL", premium=True)),
        (GERMANY, Destination("international", "DE", abroad_kind="fixed")),
        ("+5352345678", Destination("international", "CU", abroad_kind="mobile")),
        ("+881631234567", Destination("international", "001", abroad_kind="mobile")),  # Iridium satellite
        ("+447012345678", Destination("international", "GB", abroad_kind="personal")),
        ("+4918012345678", Destination("international", "DE", abroad_kind="shared_cost")),
        ("+4913712345", Destination("international", "DE", abroad_kind="other")),  # 0137 mass calling
        ("+78401234567", Destination("high_risk", "RU")),  # Abkhazia, numbered as Russia
        ("12", Destination("other", "")),
    ],
)
def test_destinations_are_classified(number, expected):
    assert classify(number) == expected


ABROAD = CallingPolicy(name="abroad", countries=frozenset({"DE", "GB", "RU"}), mobile=True)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("+4930901820", ""),
        ("+4915112345678", ""),
        ("+447012345678", "personal numbers are blocked (GB)"),
        ("+4918012345678", "shared cost numbers are blocked (DE)"),
        ("+4913712345", "numbers of unknown type are blocked (DE)"),
        ("+499001234567", "premium-rate numbers are blocked"),
        ("+78401234567", "this range is a known fraud destination"),
        ("+79401234567", "this range is a known fraud destination"),
    ],
)
def test_abroad_the_same_number_types_are_refused_as_at_home(number, reason):
    verdict = decide(ABROAD, number, MONDAY_NOON, False, Usage(known_countries=frozenset({"DE", "GB", "RU"})))
    assert (verdict.allowed, verdict.reason) == (reason == "", reason)
    assert forward_refusal(ABROAD, number) == reason


@pytest.mark.parametrize(
    ("policy", "number", "when", "day_off", "reason"),
    [
        (CallingPolicy(), "+48221234567", MONDAY_NIGHT, True, ""),
        (CallingPolicy(), "+48601234567", MONDAY_NIGHT, False, ""),
        (CallingPolicy(), "+48701234567", MONDAY_NOON, False, "premium-rate numbers are blocked"),
        (CallingPolicy(premium=True), "+48701234567", MONDAY_NOON, False, ""),
        (CallingPolicy(), "+48801123456", MONDAY_NOON, False, "shared cost numbers are blocked"),
        (CallingPolicy(mobile=False), "+48601234567", MONDAY_NOON, False, "mobile numbers are blocked"),
        (CallingPolicy(), GERMANY, MONDAY_NOON, False, "calls to DE are not allowed"),
        (TRAVEL, GERMANY, MONDAY_NOON, False, ""),
        (TRAVEL, "+5352345678", MONDAY_NOON, False, "calls to CU are not allowed"),
        (
            TRAVEL,
            GERMANY,
            MONDAY_NIGHT,
            False,
            "international calls are not allowed at night, at weekends or on holidays",
        ),
        (
            TRAVEL,
            GERMANY,
            MONDAY_NOON,
            True,
            "international calls are not allowed at night, at weekends or on holidays",
        ),
        (dataclasses.replace(TRAVEL, international_any_time=True), GERMANY, MONDAY_NIGHT, True, ""),
        (TRAVEL, "+881631234567", MONDAY_NOON, False, "calls to 001 are not allowed"),
    ],
)
def test_the_allow_list_and_hours(policy, number, when, day_off, reason):
    verdict = decide(policy, number, when, day_off, Usage(known_countries=frozenset({"DE"})))
    assert (verdict.allowed, verdict.reason) == (not reason, reason)


def test_a_premium_number_abroad_is_blocked_even_in_an_allowed_country():
    verdict = decide(CallingPolicy(countries=frozenset({"GB"})), "+449098790000", MONDAY_NOON, False, Usage())
    assert (verdict.allowed, verdict.reason) == (False, "premium-rate numbers are blocked")


def test_caps_refuse_and_alert():
    policy = CallingPolicy(max_concurrent=2, max_daily_minutes=60)
    busy = decide(policy, "+48221234567", MONDAY_NOON, False, Usage(live_outbound=2))
    assert (busy.allowed, busy.reason, busy.alert_kind) == (
        False,
        "already 2 outside call(s) at once (limit 2)",
        "concurrent",
    )
    spent = decide(policy, "+48221234567", MONDAY_NOON, False, Usage(minutes_today=60.0))
    assert (spent.allowed, spent.alert_kind) == (False, "daily_minutes")
    left = decide(policy, "+48221234567", MONDAY_NOON, False, Usage(minutes_today=45.5))
    assert (left.allowed, left.max_seconds, left.alert) == (True, 14.5 * 60, "")


def test_the_first_call_to_a_country_alerts_and_later_ones_do_not():
    first = decide(TRAVEL, GERMANY, MONDAY_NOON, False, Usage())
    assert (first.allowed, first.alert, first.alert_kind) == (True, "first call to DE", "new_country")
    again = decide(TRAVEL, GERMANY, MONDAY_NOON, False, Usage(known_countries=frozenset({"DE"})))
    assert (again.allowed, again.alert) == (True, "")


# --- in a call ------------------------------------------------------------------------------------


def office(policy: CallingPolicy = s.DEFAULT_POLICY, **overrides: Any) -> s.Directory:
    people = {"101": s.Person("101", "Anna", caller_id="+48221234567", policy=policy)}
    return directory(people=people, **overrides)


def test_a_blocked_call_hears_the_message_never_reaches_the_carrier_and_ends_rejected():
    d = Driver(office())
    d.start(T0, dialled="0701 234 567", kind="internal", caller="101")
    assert d.originated() == []
    assert d.last_play().media == "sound:cannot-complete-as-dialed"
    assert c.Answer(CHANNEL) not in d.out  # early media: nothing is billed
    [blocked] = [f for f in d.facts(c.CallStep) if f.kind == "outbound_blocked"]
    assert blocked.detail == {"number": "+48701234567", "reason": "premium-rate numbers are blocked"}
    d.finish_playback(at(4))
    assert d.out[-1] == c.Hangup(CHANNEL, reason="rejected")
    assert d.call.outcome == "rejected"


def test_the_policy_s_own_message_is_played():
    d = Driver(office(CallingPolicy(blocked_message="sound:custom/zablokowane")))
    d.start(T0, dialled="+4930901820", kind="internal", caller="101")
    assert d.last_play().media == "sound:custom/zablokowane"


def test_international_on_a_holiday_is_refused():
    d = Driver(office(TRAVEL, days_off=frozenset({date(2026, 11, 23)})))
    d.start(T0, dialled=GERMANY, kind="internal", caller="101")
    assert d.steps() == ["outbound_blocked"] and d.originated() == []
    assert d.facts(c.CallStep)[0].detail["reason"] == (
        "international calls are not allowed at night, at weekends or on holidays"
    )


def test_a_third_call_at_once_is_refused_with_an_alert():
    call = Call(KEY, CHANNEL, office(), usage=lambda ext: Usage(live_outbound=2))
    out = call.receive(_start_event("0 22 123 45 68"))
    assert [x.kind for x in out if isinstance(x, c.CallStep)] == ["toll_alert", "outbound_blocked"]
    alert = out[1]
    assert isinstance(alert, c.CallStep) and alert.detail["alert_kind"] == "concurrent"
    assert call.state is State.REFUSING
    assert not call.dialling_out


def test_an_allowed_call_to_a_new_country_alerts_and_is_cut_when_the_day_s_minutes_run_out():
    call = Call(KEY, CHANNEL, office(TRAVEL), usage=lambda ext: Usage(minutes_today=239.0))
    out = call.receive(_start_event(GERMANY))
    [alert] = [x for x in out if isinstance(x, c.CallStep) and x.kind == "toll_alert"]
    assert alert.detail == {
        "alert_kind": "new_country",
        "alert": "first call to DE",
        "extension": "101",
        "number": GERMANY,
        "country": "DE",
    }
    [cap] = [x for x in out if isinstance(x, c.StartTimer) and x.name.startswith("daily-cap")]
    assert cap.seconds == 60.0
    assert call.dialling_out and call.alerted_country == "DE"
    from pbx.callflow import events as e

    cut = call.receive(e.TimerFired(at=at(60), channel_id=CHANNEL, name=cap.name))
    assert c.Hangup(CHANNEL, reason="normal") in cut
    assert next(x.kind for x in cut if isinstance(x, c.CallStep)) == "outbound_cut"


def test_click_to_call_is_guarded_too():
    from pbx.callflow import events as e

    call = Call(KEY, CHANNEL, office())
    out = call.receive(
        e.StasisStart(
            at=T0,
            channel_id=CHANNEL,
            args=("callback", "task-1", "+48701234567", "101"),
            channel=phone_channel("101", "Up"),
        )
    )
    assert not [x for x in out if isinstance(x, c.Originate)]
    assert [x.detail["reason"] for x in out if isinstance(x, c.CallStep) and x.kind == "outbound_blocked"] == [
        "premium-rate numbers are blocked"
    ]


def test_a_device_that_is_no_extension_cannot_dial_out():
    call = Call(KEY, CHANNEL, office())
    out = call.receive(_start_event("+48221234568", caller="999"))
    assert [x.detail["reason"] for x in out if isinstance(x, c.CallStep) and x.kind == "outbound_blocked"] == [
        "not a staff extension"
    ]


def test_a_tls_phone_that_came_over_plain_sip_cannot_call_at_all():
    from pbx.callflow import events as e
    from tests.callflow.fixtures import channel

    call = Call(KEY, CHANNEL, office())
    out = call.receive(
        e.StasisStart(at=T0, channel_id=CHANNEL, channel=channel("101", "Ring", "102"), args=("internal", "0", "102"))
    )
    assert not [x for x in out if isinstance(x, c.Originate)]
    assert [x.detail["reason"] for x in out if isinstance(x, c.CallStep)] == ["the phone did not connect over TLS"]
    plain = dataclasses.replace(office(), people={"101": s.Person("101", "Test", plain_sip=True)})
    start = e.StasisStart(
        at=T0, channel_id=CHANNEL, channel=channel("101", "Ring", "0221234568"), args=("internal", "0", "0221234568")
    )
    ok = Call(KEY, CHANNEL, plain).receive(start)
    assert [x.endpoint for x in ok if isinstance(x, c.Originate)] == ["PJSIP/+48221234568@carrier"]


def _start_event(dialled: str, caller: str = "101"):  # type: ignore[no-untyped-def]
    from pbx.callflow import events as e
    from tests.callflow.fixtures import channel

    return e.StasisStart(
        at=T0, channel_id=CHANNEL, channel=channel(caller, "Ring", dialled), args=("internal", "1", dialled)
    )


def test_the_day_off_calendar_counts_weekends_and_holidays():
    d = s.Directory(days_off=frozenset({date(2026, 12, 24)}))
    assert d.is_day_off(datetime(2026, 12, 24, 10, 0)) and d.is_day_off(datetime(2026, 11, 28, 10, 0))
    assert not d.is_day_off(datetime(2026, 11, 23, 10, 0))
    assert CallingPolicy().international_from == time(7)


def test_a_forward_to_a_number_the_guard_refuses_rings_nobody_and_goes_on():
    office = directory()
    destinations = {**office.destinations, MOBILE_FWD: s.ExternalNumber("+48701234567", ring_seconds=25)}
    entry = dataclasses.replace(office.numbers[OFFICE], open=MOBILE_FWD)
    d = Driver(dataclasses.replace(office, destinations=destinations, numbers={OFFICE: entry}))
    d.start(T0)
    assert not d.originated()
    ring = next(x for x in d.facts(c.CallStep) if x.kind == "ring_external")
    assert ring.detail == {"targets": [], "strategy": "ring_all", "refused": "premium-rate numbers are blocked"}
    assert "not_answered" in d.steps()


def test_plan_b_never_rings_a_mobile_the_guard_for_forwards_refuses():
    office = directory()
    people = {**office.people, "102": dataclasses.replace(office.people["102"], mobile="+447012345678")}  # UK personal
    d = Driver(dataclasses.replace(office, people=people), presence={"101": False, "102": False})
    d.start(T0)
    d.finish_playback(at(2))
    d.press("1", at(3))  # sales: nobody reachable, plan B: 102 is on duty, with that mobile
    assert d.originated() == []
    plan_b = next(x for x in d.facts(c.CallStep) if x.kind == "ring_plan_b")
    assert plan_b.detail["targets"] == []
