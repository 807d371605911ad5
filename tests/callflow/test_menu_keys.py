"""Every menu choice, whenever the caller presses it: during the prompt, after it, twice, and
with a key pressed during what comes next. The choice is taken once, the prompt is stopped
only while it plays, and what the next step starts (a recording above all) starts once."""

from __future__ import annotations

import pytest

from pbx.callflow import commands as c
from pbx.callflow import events as e

from .fixtures import CHANNEL, MENU, Driver, at, directory

CHOICES = sorted(directory().destinations[MENU].options.items())  # type: ignore[union-attr]


def in_the_menu() -> tuple[Driver, str]:
    """A caller in the main menu with its prompt playing; returns the prompt's playback id."""
    driver = Driver()
    driver.start()
    driver.finish_playback(at(2))  # the greeting
    return driver, driver.last_play().playback_id


def finished(playback_id: str, when: float) -> e.PlaybackFinished:
    return e.PlaybackFinished(at=at(when), channel_id=CHANNEL, playback_id=playback_id, failed=False)


def choices_made(driver: Driver) -> list[dict]:
    return [x.detail for x in driver.facts(c.CallStep) if x.kind == "menu_choice"]


@pytest.mark.parametrize(("digit", "target"), CHOICES)
def test_a_key_during_the_prompt_stops_it_and_the_prompts_end_is_not_taken_for_the_next_step(digit, target):
    driver, prompt = in_the_menu()
    out = driver.press(digit, at(3))
    assert c.StopPlayback(CHANNEL, prompt) in out and choices_made(driver) == [{"digit": digit}]
    after = driver.send(finished(prompt, 3.1))  # Asterisk reports the stopped prompt as finished
    assert after == []


@pytest.mark.parametrize(("digit", "target"), CHOICES)
def test_a_key_after_the_prompt_stops_nothing(digit, target):
    driver, prompt = in_the_menu()
    driver.send(finished(prompt, 10))
    out = driver.press(digit, at(11))
    assert not [x for x in out if isinstance(x, c.StopPlayback)]
    assert choices_made(driver) == [{"digit": digit}]


@pytest.mark.parametrize(("digit", "target"), CHOICES)
@pytest.mark.parametrize("second", ["0", "1", "2", "9"])
def test_a_second_key_is_not_a_second_choice(digit, target, second):
    driver, _ = in_the_menu()
    driver.press(digit, at(3))
    before = len(driver.out)
    out = driver.press(second, at(3.5))
    assert choices_made(driver) == [{"digit": digit}]
    assert not [x for x in out if isinstance(x, c.Record | c.Originate | c.Play)], driver.out[before:]


def test_voicemail_chosen_during_the_prompt_records_once_whatever_comes_twice():
    driver, prompt = in_the_menu()
    driver.press("0", at(3))
    driver.send(finished(prompt, 3.1))
    intro = driver.last_play().playback_id
    assert intro != prompt
    driver.press("1", at(5))  # a key during the voicemail's own prompt
    driver.send(finished(intro, 8.7))
    driver.send(finished(intro, 8.7))  # the same event again
    records = driver.facts(c.Record)
    assert [r.name for r in records] == ["call-1-voicemail"]
    ready = driver.send(e.RecordingFinished(at=at(30), channel_id=CHANNEL, name="call-1-voicemail", duration=21))
    assert [x.reason for x in ready if isinstance(x, c.CallbackRequested)] == ["voicemail"]
