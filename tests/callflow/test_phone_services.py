"""A staff phone's own services (pbx/callflow/services.py), key by key: the PIN (right, wrong,
none typed, too long, none set), recording a prompt (keep, record again, silence, hang up, too
many takes, no right to), and voicemail (new first, replay, skip, heard once, empty box)."""

from __future__ import annotations

import dataclasses

import pytest

from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow import scenario as s
from pbx.callflow.call import Call
from pbx.callflow.pin import pin_digest, pin_matches
from pbx.callflow.service_steps import PIN_TRIES
from pbx.callflow.services import MAX_TAKES, Service, service_for

from .fixtures import CHANNEL, KEY, T0, Driver, at, directory, phone_channel

PIN = "2468"
PROMPTS = s.ServicePrompts(new_messages=tuple(f"sound:new-{n}" for n in range(3)))


def office(pin: str = PIN, records_prompts: bool = True) -> s.Directory:
    base = directory()
    anna = dataclasses.replace(base.people["101"], pin=pin_digest(pin) if pin else "", records_prompts=records_prompts)
    return dataclasses.replace(base, people={**base.people, "101": anna}, services=PROMPTS)


def dial(code: str, secure: str = "1", **person: object) -> Driver:
    driver = Driver(office(**person))  # type: ignore[arg-type]
    channel = phone_channel("101", exten=code)
    driver.send(e.StasisStart(at=T0, channel_id=CHANNEL, channel=channel, args=("internal", secure, code)))
    return driver


def type_keys(driver: Driver, keys: str, start: float = 1.0) -> None:
    for n, key in enumerate(keys):
        driver.press(key, at(start + n * 0.3))


def media(driver: Driver) -> str:
    return driver.last_play().media


def hung_up(driver: Driver) -> bool:
    return any(isinstance(x, c.Hangup) and x.channel_id == CHANNEL for x in driver.out)


@pytest.mark.parametrize(
    ("dialled", "service"),
    [
        ("*97", Service("mailbox")),
        ("*96", Service("record_prompt")),
        ("*9612", Service("record_prompt", 12)),
        ("*96x", None),
        ("*960", None),
        ("*961234567890", None),
        ("*9", None),
        ("*98", None),
        ("101", None),
    ],
)
def test_feature_codes(dialled, service):
    assert service_for(dialled) == service


def test_a_pin_is_stored_salted_and_checked():
    digest = pin_digest(PIN)
    assert PIN not in digest and digest != pin_digest(PIN)  # a new salt each time
    assert pin_matches(PIN, digest) and not pin_matches("2469", digest) and not pin_matches(PIN, "")
    for bad in ("123", "123456789", "12a4", ""):
        with pytest.raises(ValueError, match="4 to 8 digits"):
            pin_digest(bad)


@pytest.mark.parametrize("code", ["*97", "*96"])
def test_without_a_pin_set_the_phone_hears_why_and_the_call_ends(code):
    driver = dial(code, pin="")
    assert media(driver) == PROMPTS.no_pin
    driver.finish_playback(at(3))
    assert hung_up(driver) and driver.call.outcome == "rejected"


def test_someone_without_the_right_to_change_prompts_cannot_record_one():
    driver = dial("*96", records_prompts=False)
    assert media(driver) == PROMPTS.not_allowed
    driver.finish_playback(at(3))
    assert hung_up(driver)


def test_a_tls_phone_over_plain_sip_gets_no_service():
    driver = dial("*97", secure="0")
    assert "outbound_blocked" in driver.steps() and not driver.facts(c.OpenMailbox)


@pytest.mark.parametrize("code", ["*97", "*96"])
def test_three_wrong_pins_end_the_call_each_on_the_timeline(code):
    driver = dial(code)
    assert media(driver) == PROMPTS.pin
    type_keys(driver, "1111#")
    assert media(driver) == f"{PROMPTS.pin_wrong},{PROMPTS.pin}"
    driver.fire("pin", at(20))  # nothing typed counts as a try
    type_keys(driver, "12345678", start=30)  # the eighth digit needs no #
    wrong = [x.detail for x in driver.facts(c.CallStep) if x.kind == "pin_wrong"]
    assert wrong == [{"extension": "101", "tries": n} for n in range(1, PIN_TRIES + 1)]
    assert media(driver) == f"{PROMPTS.pin_wrong},{PROMPTS.goodbye}"
    driver.press("2", at(33))  # too late: nothing more is asked
    driver.finish_playback(at(35))
    assert hung_up(driver) and not driver.facts(c.OpenMailbox) and not driver.facts(c.Record)


def test_a_key_during_the_question_stops_it_and_star_is_ignored():
    driver = dial("*97")
    question = driver.last_play().playback_id
    driver.press("2", at(1))
    assert c.StopPlayback(CHANNEL, question) in driver.out
    type_keys(driver, "*468#", start=2)
    assert "pin_accepted" in driver.steps() and driver.facts(c.OpenMailbox) == [c.OpenMailbox(CHANNEL, "101")]


def unlocked(code: str) -> Driver:
    driver = dial(code)
    type_keys(driver, PIN + "#")
    assert "pin_accepted" in driver.steps()
    return driver


def record_a_take(driver: Driver, when: float) -> str:
    assert media(driver) == PROMPTS.record
    driver.finish_playback(at(when))
    record = driver.facts(c.Record)[-1]
    assert (record.beep, record.terminate_on, record.fmt) == (True, "#", "wav")
    driver.press("#", at(when + 4))  # Asterisk ends the recording on #; the key itself does nothing
    driver.send(e.RecordingFinished(at=at(when + 4), channel_id=CHANNEL, name=record.name, duration=4))
    assert media(driver) == f"recording:{record.name},{PROMPTS.review}"
    return record.name


def test_a_prompt_recorded_again_then_kept_leaves_as_a_prompt_recording():
    driver = unlocked("*9612")
    first = record_a_take(driver, 3)
    driver.press("2", at(10))
    assert c.DeleteRecording(CHANNEL, first) in driver.out
    second = record_a_take(driver, 12)
    assert second != first
    driver.press("1", at(20))
    [ready] = driver.facts(c.RecordingReady)
    assert (ready.name, ready.kind, ready.prompt_id, ready.by) == (second, "prompt", 12, "101")
    assert media(driver) == PROMPTS.saved and "prompt_recorded" in driver.steps()
    driver.hang_up_caller(at(21))  # hanging up during "saved" keeps it
    assert c.DeleteRecording(CHANNEL, second) not in driver.out


def test_a_new_prompt_has_no_number_and_ends_after_saved():
    driver = unlocked("*96")
    record_a_take(driver, 3)
    driver.finish_playback(at(12))  # the take and the question heard
    driver.press("1", at(14))
    assert driver.facts(c.RecordingReady)[0].prompt_id is None
    driver.finish_playback(at(16))
    assert hung_up(driver)


def test_a_take_nobody_keeps_is_dropped():
    driver = unlocked("*96")
    take = record_a_take(driver, 3)
    driver.finish_playback(at(12))
    driver.press("7", at(13))  # not a choice
    driver.fire("review", at(30))
    assert c.DeleteRecording(CHANNEL, take) in driver.out and media(driver) == PROMPTS.goodbye
    assert not driver.facts(c.RecordingReady)


def test_hanging_up_before_choosing_drops_the_take():
    driver = unlocked("*96")
    take = record_a_take(driver, 3)
    driver.hang_up_caller(at(8))
    assert c.DeleteRecording(CHANNEL, take) in driver.out and not driver.facts(c.RecordingReady)


def test_after_five_takes_pressing_2_ends_the_call():
    driver = unlocked("*96")
    for n in range(MAX_TAKES):
        record_a_take(driver, 3 + 10 * n)
        driver.press("2", at(10 + 10 * n))
    assert len(driver.facts(c.Record)) == MAX_TAKES and media(driver) == PROMPTS.goodbye


def test_a_failed_recording_is_on_the_timeline_and_ends_the_call():
    driver = unlocked("*96")
    driver.finish_playback(at(3))
    name = driver.facts(c.Record)[-1].name
    driver.send(e.RecordingFailed(at=at(4), channel_id=CHANNEL, name=name, cause="disk full"))
    assert "recording_failed" in driver.steps() and media(driver) == PROMPTS.goodbye


def messages(*new: bool) -> tuple[e.VoiceMessage, ...]:
    return tuple(e.VoiceMessage(id=n + 1, media=f"sound:m{n + 1}", new=fresh) for n, fresh in enumerate(new))


def opened(driver: Driver, box: tuple[e.VoiceMessage, ...], when: float = 3) -> None:
    driver.send(e.MailboxOpened(at=at(when), channel_id=CHANNEL, messages=box))


def test_new_messages_first_each_heard_once_then_the_heard_ones():
    driver = unlocked("*97")
    opened(driver, messages(True, True, False))
    assert media(driver) == f"{PROMPTS.new_messages[2]},{PROMPTS.listen_keys}"
    driver.press("1", at(4))  # no message yet: nothing to replay
    driver.finish_playback(at(8))
    assert media(driver) == "sound:m1"
    driver.press("1", at(9))  # again from the start
    assert media(driver) == "sound:m1"
    driver.finish_playback(at(12))
    assert media(driver) == "sound:m2"
    driver.press("2", at(13))  # skipped: not heard
    assert media(driver) == f"{PROMPTS.heard_ones},sound:m3"
    driver.finish_playback(at(16))
    assert media(driver) == f"{PROMPTS.no_more},{PROMPTS.goodbye}"
    assert [x.message_id for x in driver.facts(c.MessageHeard)] == [1]
    played = [x.detail for x in driver.facts(c.CallStep) if x.kind == "message_played"]
    assert played == [{"message": 1, "new": True}, {"message": 3, "new": False}]
    driver.finish_playback(at(19))
    assert hung_up(driver) and driver.facts(c.CloseMailbox) == [c.CloseMailbox(CHANNEL)]


def test_a_message_heard_twice_is_reported_once_and_a_failed_playback_not_at_all():
    driver = unlocked("*97")
    opened(driver, messages(True, True))
    driver.finish_playback(at(8))
    driver.finish_playback(at(10))
    driver.press("1", at(11))  # the second one again, from the start
    replay = driver.last_play().playback_id
    driver.send(e.PlaybackFinished(at=at(12), channel_id=CHANNEL, playback_id=replay, failed=True))
    assert [x.message_id for x in driver.facts(c.MessageHeard)] == [1]


def test_an_empty_box_says_so_and_ends():
    driver = unlocked("*97")
    opened(driver, ())
    assert media(driver) == f"{PROMPTS.new_messages[0]},{PROMPTS.goodbye}"
    driver.finish_playback(at(6))
    assert hung_up(driver) and driver.facts(c.CloseMailbox)


def test_more_new_messages_than_counts_say_the_last_count():
    driver = unlocked("*97")
    opened(driver, messages(*[True] * 7))
    assert media(driver).startswith(PROMPTS.new_messages[-1])


def test_hanging_up_while_listening_closes_the_box_and_reports_nothing_unheard():
    driver = unlocked("*97")
    opened(driver, messages(True))
    driver.finish_playback(at(8))
    driver.hang_up_caller(at(9))
    assert driver.facts(c.CloseMailbox) and not driver.facts(c.MessageHeard)


def test_the_box_failing_to_open_ends_the_call_as_failed():
    driver = unlocked("*97")
    driver.send(e.CommandFailed(at=at(3), channel_id=CHANNEL, command="OpenMailbox", error="db away", gone=False))
    assert hung_up(driver) and driver.call.outcome == "failed"


def test_an_extension_with_too_many_wrong_pins_lately_gets_no_service():
    call = Call(KEY, CHANNEL, office(), pin_locked=lambda extension: extension == "101")
    channel = phone_channel("101", exten="*97")
    out = call.receive(e.StasisStart(at=T0, channel_id=CHANNEL, channel=channel, args=("internal", "1", "*97")))
    assert [x.detail for x in out if isinstance(x, c.CallStep) and x.kind == "pin_locked"] == [{"extension": "101"}]
    [play] = [x for x in out if isinstance(x, c.Play)]
    assert play.media == f"{PROMPTS.pin_wrong},{PROMPTS.goodbye}"  # not even asked for the PIN
