"""Wrong PINs counted across calls (pbx/stasis/pins.py): ten within an hour shut an extension's
phone services until the oldest ages out; other extensions and other facts do not count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pbx.callflow import commands as c
from pbx.callflow.service_steps import PIN_LOCK_AFTER
from pbx.callflow.vocabulary import StepKind
from pbx.stasis.pins import WrongPins

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def wrong(extension: str, minutes: float) -> c.CallStep:
    at = T0 + timedelta(minutes=minutes)
    return c.CallStep("ch", call_key="k", at=at, kind=StepKind.PIN_WRONG, detail={"extension": extension, "tries": 1})


def test_ten_wrong_pins_in_an_hour_lock_the_extension_until_they_age_out():
    pins = WrongPins()
    for n in range(PIN_LOCK_AFTER - 1):
        pins.note(wrong("101", n))
    pins.note(c.CallStep("ch", call_key="k", at=T0, kind=StepKind.PIN_ACCEPTED, detail={"extension": "101"}))
    pins.note(wrong("102", 1))
    assert not pins.locked("101", T0 + timedelta(minutes=10))
    pins.note(wrong("101", 10))
    assert pins.locked("101", T0 + timedelta(minutes=11)) and not pins.locked("102", T0 + timedelta(minutes=11))
    assert not pins.locked("101", T0 + timedelta(minutes=61))  # the first wrong one is over an hour old
