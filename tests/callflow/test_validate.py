"""Configuration checks: automatic loops, caller-chosen cycles, dead ends."""

from __future__ import annotations

from collections.abc import Mapping

from pbx.callflow import scenario as s
from pbx.callflow.validate import Problem, check, prompts_used

from .fixtures import OFFICE, directory

NAMES = {1: "Powitanie", 2: "Kolejka", 3: "Menu", 4: "Poczta"}


def config(destinations: Mapping[int, s.Destination], entry: int = 1) -> s.Directory:
    people = {"101": s.Person("101", "Anna")}
    return s.Directory(numbers={OFFICE: s.NumberPlan(OFFICE, open=entry)}, destinations=destinations, people=people)


def test_the_demo_office_has_no_problems():
    assert check(directory()) == []


def test_an_automatic_loop_is_reported_once_with_its_route():
    looping: dict[int, s.Destination] = {
        1: s.Announcement("sound:a", next=2),
        2: s.RingQueue("Q", "ring_all", members=("101",), overflow=1),
    }
    assert check(config(looping), NAMES) == [
        Problem("Powitanie", "loops without the caller choosing: Powitanie → Kolejka → Powitanie")
    ]


def test_a_menu_key_leading_back_is_not_a_loop():
    menu: dict[int, s.Destination] = {3: s.Menu("sound:m", options={"9": 3, "1": 4}, fallback=4), 4: s.Voicemail()}
    assert check(config(menu, entry=3), NAMES) == []


def test_references_to_missing_destinations_are_dead_ends():
    broken = {1: s.Announcement("sound:a", next=7)}
    plan = s.NumberPlan(OFFICE, open=1, closed=8)
    d = s.Directory(numbers={OFFICE: plan}, destinations=broken)
    assert check(d, NAMES) == [
        Problem("Powitanie", "leads to destination #7, which does not exist"),
        Problem(OFFICE, "starts at destination #8, which does not exist"),
    ]


def test_empty_menus_queues_rotas_and_unknown_extensions_are_reported():
    empty: dict[int, s.Destination] = {
        1: s.Menu("sound:m", options={}),
        2: s.RingQueue("Pusta", "ring_all"),
        3: s.RingQueue("Dyżur", "rota"),
        4: s.RingExtension("999"),
    }
    assert [p.message for p in check(config(empty), NAMES)] == [
        "is a menu with no keys to press",
        "rings queue Pusta, which has no members",
        "rings whoever is on duty for Dyżur, but the rota is empty",
        "rings extension 999, which does not exist",
    ]


def test_a_number_without_a_scenario_is_reported():
    d = s.Directory(numbers={OFFICE: s.NumberPlan(OFFICE)})
    assert check(d) == [Problem(OFFICE, "has no scenario: callers hear 'not in service'")]


def test_prompts_used_lists_every_sound_played():
    assert prompts_used(directory()) == {
        "sound:ss-noservice",
        "sound:hello-world",
        "sound:demo-moreinfo",
        "sound:option-is-invalid",
        "sound:vm-intro",
        "sound:please-try-call-later",
        "sound:to-call-this-number",
        "sound:auth-thankyou",
        "sound:holiday-closed",
    }
