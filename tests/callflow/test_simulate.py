"""The simulator runs the live call flow on a virtual clock."""

from __future__ import annotations

from pbx.callflow.simulate import Situation, simulate

from .fixtures import HOLIDAY, NIGHT, OFFICE, T0, directory


def kinds(lines) -> list[str]:
    return [line.kind for line in lines]


def test_in_hours_pressing_1_and_piotr_answering_connects_to_piotr():
    lines = simulate(directory(), Situation(OFFICE, T0, keys="1", answering=frozenset({"102"})))
    assert [(line.kind, dict(line.detail)) for line in lines if line.kind in ("hours", "menu_choice", "connected")] == [
        ("hours", {"state": "open", "why": "within opening hours"}),
        ("menu_choice", {"digit": "1"}),
        ("connected", {"target": "102"}),
    ]
    assert lines[-1].kind == "ended" and lines[-1].detail == {"outcome": "answered"}
    rings = [line.detail["endpoint"] for line in lines if line.kind == "rings"]
    assert rings == ["PJSIP/101", "PJSIP/102"]


def test_nobody_answering_the_queue_ends_in_voicemail_and_a_callback_task():
    lines = simulate(directory(), Situation(OFFICE, T0, keys="1"))
    assert "not_answered" in kinds(lines) and "voicemail" in kinds(lines)
    assert [line.detail for line in lines if line.kind == "callback_task"] == [
        {"reason": "voicemail", "assigned_to": "102"}
    ]
    assert lines[-1].detail == {"outcome": "voicemail"}


def test_a_holiday_plays_the_holiday_message_and_hangs_up():
    lines = simulate(directory(), Situation(OFFICE, HOLIDAY))
    assert kinds(lines)[:3] == ["hours", "announcement", "plays"]
    assert lines[1].detail == {"prompt": "sound:holiday-closed"}
    assert lines[-1].detail == {"outcome": "missed"}


def test_after_hours_without_a_key_the_offer_is_declined_to_voicemail():
    lines = simulate(directory(), Situation(OFFICE, NIGHT))
    assert [k for k in kinds(lines) if k in ("callback_offer", "callback_declined", "voicemail")] == [
        "callback_offer",
        "callback_declined",
        "voicemail",
    ]


def test_offline_phones_show_plan_b():
    lines = simulate(directory(), Situation(OFFICE, T0, keys="1", offline=frozenset({"101", "102", "103"})))
    assert "ring_plan_b" in kinds(lines)
    assert next(line.detail["endpoint"] for line in lines if line.kind == "rings") == "PJSIP/+48601000102@carrier"


def test_a_number_that_is_not_ours():
    lines = simulate(directory(), Situation("+48229999999", T0))
    assert kinds(lines)[0] == "not_in_service"
    assert lines[-1].detail == {"outcome": "rejected"}
