"""Every branch of the call flow, fed as plain events with time as a value: hours, holidays,
closures, the manual switch, IVR, queues, the rota, plan B, callbacks, outbound calls."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from datetime import time
from typing import Literal

import pytest

from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow import scenario as s
from pbx.callflow.call import State

from .fixtures import (
    CHANNEL,
    CLOSED,
    CUSTOMER,
    HOLIDAY,
    KEY,
    NIGHT,
    OFFICE,
    RECEPTION,
    SALES,
    T0,
    VOICEMAIL,
    Driver,
    at,
    directory,
    office_hours,
    phone_channel,
)

# --- opening hours --------------------------------------------------------------------------


def test_in_hours_the_caller_is_answered_and_greeted():
    d = Driver()
    out = d.start(T0)
    [started] = d.facts(c.CallStarted)
    assert (started.direction, started.caller, started.called) == ("inbound", CUSTOMER, OFFICE)
    assert [x for x in out if not isinstance(x, c.Fact)] == [c.Answer(CHANNEL), d.last_play()]
    assert d.last_play().media == "sound:hello-world"
    assert d.facts(c.CallStep)[0].detail == {"state": "open", "why": "within opening hours"}


def test_after_hours_the_caller_hears_the_closed_message():
    d = Driver()
    d.start(NIGHT)
    assert d.last_play().media == "sound:please-try-call-later"
    assert d.facts(c.CallStep)[0].detail == {"state": "closed", "why": "outside opening hours"}


def test_on_a_polish_public_holiday_the_holiday_message_plays_even_in_office_hours():
    d = Driver()
    d.start(HOLIDAY)
    assert d.last_play().media == "sound:holiday-closed"
    assert d.facts(c.CallStep)[0].detail == {"state": "holiday", "why": "Narodowe Święto Niepodległości"}
    d.finish_playback(at(5, HOLIDAY))
    assert isinstance(d.out[-1], c.Hangup)


def test_on_a_one_off_closure_callers_get_the_closed_path():
    d = Driver()
    d.start(at(4 * 86400))  # Friday 27 November, the team outing
    assert d.last_play().media == "sound:please-try-call-later"
    assert d.facts(c.CallStep)[0].detail == {"state": "closure", "why": "Wyjazd integracyjny"}


@pytest.mark.parametrize(
    ("override", "when", "media"),
    [
        ("closed", T0, "sound:please-try-call-later"),  # night mode during the day
        ("open", NIGHT, "sound:hello-world"),  # day mode at night
        ("open", HOLIDAY, "sound:hello-world"),  # open on a holiday, by hand
    ],
)
def test_the_manual_switch_beats_hours_and_holidays(override: Literal["open", "closed"], when, media: str):
    d = Driver(directory(replace(office_hours(), override=override)))
    d.start(when)
    assert d.last_play().media == media


def test_a_manual_switch_with_an_end_time_expires():
    d = Driver(directory(replace(office_hours(), override="closed", override_until=at(-60))))
    d.start(T0)
    assert d.last_play().media == "sound:hello-world"


def test_hours_are_read_in_the_schedules_time_zone():
    # 15:30 UTC in winter is 16:30 in Warsaw: closed, though 15:30 would be within 8-16.
    d = Driver()
    d.start(T0.replace(hour=15, minute=30))
    assert d.last_play().media == "sound:please-try-call-later"


# --- IVR --------------------------------------------------------------------------------------


def in_menu() -> Driver:
    d = Driver()
    d.start(T0)
    d.finish_playback(at(2))  # greeting
    assert d.last_play().media == "sound:demo-moreinfo"
    return d


def test_a_key_in_the_menu_takes_the_caller_there():
    d = in_menu()
    d.press("2", at(3))
    assert d.steps()[-2:] == ["menu_choice", "ring_extension"]
    assert [o.endpoint for o in d.originated()] == ["PJSIP/103"]


def test_a_wrong_key_plays_the_invalid_message_then_the_menu_again():
    d = in_menu()
    d.press("7", at(3))
    assert d.last_play().media == "sound:option-is-invalid,sound:demo-moreinfo"
    assert d.steps()[-1] == "menu_invalid"


def test_silence_repeats_the_menu_then_falls_back():
    d = in_menu()
    d.finish_playback(at(4))
    d.fire("menu", at(9))
    assert d.last_play().media == "sound:demo-moreinfo"
    d.finish_playback(at(12))
    d.fire("menu", at(17))
    assert d.steps()[-2:] == ["menu_gave_up", "ring_queue"]


def test_a_key_pressed_during_the_prompt_stops_it():
    d = in_menu()
    playing = d.last_play().playback_id
    out = d.press("1", at(2.5))
    assert c.StopPlayback(CHANNEL, playing) in out


# --- ringing staff ------------------------------------------------------------------------------


def ringing_sales() -> Driver:
    d = in_menu()
    d.press("1", at(3))
    return d


def test_ring_all_rings_every_member_with_the_callers_number_and_music_on_hold():
    d = ringing_sales()
    assert [(o.endpoint, o.caller_number) for o in d.originated()] == [("PJSIP/101", CUSTOMER), ("PJSIP/102", CUSTOMER)]
    assert c.StartMoh(CHANNEL) in d.out


def test_the_first_to_answer_gets_the_caller_and_the_others_stop_ringing_at_once():
    d = ringing_sales()
    leg101, leg102 = d.leg_for("101"), d.leg_for("102")
    out = d.answer_leg("102", at(6))
    assert c.Hangup(leg101, reason="normal") in out
    assert c.Hangup(leg102, reason="normal") not in out
    assert out[-2:] == [
        c.CreateBridge(CHANNEL, bridge_id=f"{KEY}-bridge"),
        c.AddToBridge(CHANNEL, bridge_id=f"{KEY}-bridge", channels=(CHANNEL, leg102)),
    ]
    assert c.StopMoh(CHANNEL) in out
    assert d.call.state is State.CONNECTED
    # 101 answering a moment later is too late: it is hung up, the call stays with 102.
    late = d.answer_leg("101", at(6.1))
    assert late == [c.Hangup(leg101, reason="normal")]


def test_connected_call_ends_when_staff_hang_up():
    d = ringing_sales()
    d.answer_leg("101", at(6))
    out = d.send(e.StasisEnd(at=at(60), channel_id=d.leg_for("101")))
    assert out[-1] == c.Hangup(CHANNEL, reason="normal")
    [ended] = d.send(e.StasisEnd(at=at(60.1), channel_id=CHANNEL))[-1:]
    assert isinstance(ended, c.CallEnded) and ended.outcome == "answered"


def test_when_the_caller_hangs_up_the_staff_leg_is_hung_up_too_once():
    d = ringing_sales()
    d.answer_leg("101", at(6))
    out = d.hang_up_caller(at(30))  # the hang-up request, then the caller's end
    assert [x for x in out if isinstance(x, c.Hangup)] == [c.Hangup(d.leg_for("101"), reason="normal")]


def test_linear_rings_one_at_a_time_and_moves_on_after_the_ring_time():
    sales = directory().destinations[SALES]
    assert isinstance(sales, s.RingQueue)
    linear = replace(sales, strategy="linear")
    d = Driver(directory(destinations={**directory().destinations, SALES: linear}))
    d.start(T0)
    d.finish_playback(at(2))
    d.press("1", at(3))
    assert [o.endpoint for o in d.originated()] == ["PJSIP/101"]
    out = d.fire("round", at(18))
    assert c.Hangup(d.leg_for("101"), reason="normal") in out
    assert [o.endpoint for o in d.originated()] == ["PJSIP/101", "PJSIP/102"]


def test_linear_moves_on_at_once_when_a_phone_is_busy():
    sales = directory().destinations[SALES]
    assert isinstance(sales, s.RingQueue)
    linear = replace(sales, strategy="linear")
    d = Driver(directory(destinations={**directory().destinations, SALES: linear}))
    d.start(T0)
    d.finish_playback(at(2))
    d.press("1", at(3))
    d.fail_leg("101", at(4), cause=17)
    assert [o.endpoint for o in d.originated()] == ["PJSIP/101", "PJSIP/102"]
    assert d.steps()[-1] == "leg_failed"


def test_after_the_maximum_wait_the_queue_overflows_to_voicemail():
    d = ringing_sales()
    out = d.fire("deadline", at(48))
    assert c.Hangup(d.leg_for("101")) in out and c.Hangup(d.leg_for("102")) in out
    assert d.steps()[-2:] == ["not_answered", "voicemail"]
    assert d.last_play().media == "sound:vm-intro"


def test_an_extension_nobody_answers_goes_to_its_next_destination():
    d = in_menu()
    d.press("2", at(3))
    assert c.Ring(CHANNEL) in d.out and c.Answer(CHANNEL) not in d.out[-3:]
    d.fire("deadline", at(23))
    assert d.steps()[-1] == "ring_queue"


def test_the_rota_queue_rings_whoever_is_on_duty():
    rota_queue = s.RingQueue("Dyżur", "rota", member_ring_seconds=15, max_wait_seconds=30)
    dests = {**directory().destinations, SALES: rota_queue}
    d = Driver(directory(destinations=dests))
    d.start(T0)
    d.finish_playback(at(2))
    d.press("1", at(3))
    assert [o.endpoint for o in d.originated()] == ["PJSIP/102"]  # Monday: Piotr


def test_a_dated_shift_replaces_the_weekly_rota():
    rota = s.Rota(
        weekly=(s.WeeklyDuty("102", 0, time(0), time(23, 59)),), shifts=(s.Shift("101", at(-3600), at(3600)),)
    )
    assert rota.on_duty(T0) == ("101",)
    assert rota.on_duty(at(7200)) == ("102",)


# --- plan B ----------------------------------------------------------------------------------------


def test_plan_b_rings_on_duty_mobiles_through_the_trunk_with_the_callers_number():
    d = Driver(presence={"101": False, "102": False, "103": False})
    d.start(T0)
    d.finish_playback(at(2))
    d.press("1", at(3))
    assert d.steps()[-1] == "ring_plan_b"
    assert [(o.endpoint, o.caller_number) for o in d.originated()] == [("PJSIP/+48601000102@carrier", CUSTOMER)]


def test_plan_b_is_not_used_while_one_office_phone_is_reachable():
    d = Driver(presence={"101": False, "102": True})
    d.start(T0)
    d.finish_playback(at(2))
    d.press("1", at(3))
    assert [o.endpoint for o in d.originated()] == ["PJSIP/102"]


# --- callbacks and voicemail ---------------------------------------------------------------------


def test_after_hours_pressing_1_creates_a_callback_task_for_the_person_on_duty():
    d = Driver()
    d.start(NIGHT)
    d.finish_playback(at(3, NIGHT))  # closed message
    assert d.last_play().media == "sound:to-call-this-number"
    d.finish_playback(at(6, NIGHT))
    d.press("1", at(7, NIGHT))
    [request] = d.facts(c.CallbackRequested)
    assert (request.number, request.reason, request.assign_to) == (CUSTOMER, "requested", "102")
    assert d.last_play().media == "sound:auth-thankyou"
    d.finish_playback(at(9, NIGHT))
    assert d.out[-1] == c.Hangup(CHANNEL, reason="normal")


def test_declining_the_callback_offer_leads_to_voicemail():
    d = Driver()
    d.start(NIGHT)
    d.finish_playback(at(3, NIGHT))
    d.finish_playback(at(6, NIGHT))
    d.fire("offer", at(12, NIGHT))
    assert d.steps()[-2:] == ["callback_declined", "voicemail"]
    assert not d.facts(c.CallbackRequested)


def test_a_voicemail_is_recorded_after_the_beep_and_becomes_a_callback_task():
    d = Driver()
    d.start(T0)
    d.finish_playback(at(2))
    d.press("0", at(3))
    d.finish_playback(at(6))  # "leave a message"
    assert d.out[-1] == c.Record(CHANNEL, name=f"{KEY}-voicemail", fmt="wav", max_seconds=60, beep=True)
    d.send(e.RecordingFinished(at=at(20), channel_id=CHANNEL, name=f"{KEY}-voicemail", duration=14))
    [ready] = d.facts(c.RecordingReady)
    assert ready.kind == "voicemail"
    assert [f.reason for f in d.facts(c.CallbackRequested)] == ["voicemail"]
    [ended] = d.send(e.StasisEnd(at=at(20.1), channel_id=CHANNEL))
    assert isinstance(ended, c.CallEnded)
    assert ended.outcome == "voicemail"


def test_a_caller_who_gives_up_in_the_queue_is_called_back():
    d = ringing_sales()
    out = d.hang_up_caller(at(20))
    assert [f.reason for f in d.facts(c.CallbackRequested)] == ["abandoned"]
    assert all(x in out for x in [c.Hangup(d.leg_for("101")), c.Hangup(d.leg_for("102")), c.StopMoh(CHANNEL)])
    [ended] = d.facts(c.CallEnded)
    assert ended.outcome == "missed"  # the IVR answered, but no person ever talked to them
    assert ended.abandoned  # the reports count them as having given up


def test_a_caller_who_hangs_up_after_the_queue_stopped_ringing_did_not_give_up_waiting():
    d = ringing_sales()
    d.fire("deadline", at(200))  # the queue's longest wait passes
    d.hang_up_caller(at(205))
    [ended] = d.facts(c.CallEnded)
    assert not ended.abandoned


def test_a_withheld_number_in_a_ringing_extension_with_nothing_next_still_gets_a_task_fact():
    dests = {**directory().destinations, RECEPTION: s.RingExtension("103", ring_seconds=20, no_answer=None)}
    d = Driver(directory(destinations=dests))
    d.start(T0)
    d.finish_playback(at(2))
    d.press("2", at(3))
    d.fire("deadline", at(23))
    assert [f.reason for f in d.facts(c.CallbackRequested)] == ["no_answer"]
    assert d.out[-1] == c.Hangup(CHANNEL, reason="normal")


@pytest.mark.parametrize("give_up", ["nobody_answers", "caller_hangs_up"])
def test_a_caller_whose_plan_b_mobiles_do_not_answer_is_owed_a_callback_as_in_the_office(give_up):
    """Plan B rings the firm's people on their mobiles: a caller nobody answered there is owed
    a callback exactly as one nobody answered on the office phones (the two lists had drifted)."""
    dests = {**directory().destinations, RECEPTION: s.RingExtension("103", ring_seconds=20, no_answer=None)}
    d = Driver(directory(destinations=dests), presence={"103": False})
    d.start(T0)
    d.finish_playback(at(2))
    d.press("2", at(3))
    assert d.steps()[-1] == "ring_plan_b"
    if give_up == "nobody_answers":
        d.fire("deadline", at(23))
        assert [f.reason for f in d.facts(c.CallbackRequested)] == ["no_answer"]
    else:
        d.hang_up_caller(at(10))
        assert [f.reason for f in d.facts(c.CallbackRequested)] == ["abandoned"]


# --- outbound, internal, click-to-call -----------------------------------------------------------


def test_staff_dialling_out_show_the_company_number_never_their_own():
    d = Driver()
    d.start(T0, dialled="0 600 111 222", kind="internal", caller="101")
    [started] = d.facts(c.CallStarted)
    assert (started.direction, started.caller, started.called) == ("outbound", "101", "+48600111222")
    [leg] = d.originated()
    assert (leg.endpoint, leg.caller_number) == ("PJSIP/+48600111222@carrier", OFFICE)
    assert c.Answer(CHANNEL) not in d.out  # the phone hears ringing until the customer answers
    d.answer_leg("+48600111222", at(5))
    assert c.Answer(CHANNEL) in d.out and d.call.state is State.CONNECTED


def test_calling_another_extension_is_an_internal_call():
    d = Driver()
    d.start(T0, dialled="102", kind="internal", caller="101")
    assert d.facts(c.CallStarted)[0].direction == "internal"
    assert [o.endpoint for o in d.originated()] == ["PJSIP/102"]


def test_dialling_nonsense_is_refused_with_not_in_service():
    d = Driver()
    d.start(T0, dialled="12", kind="internal", caller="101")
    assert d.last_play().media == "sound:ss-noservice"


def test_click_to_call_rings_the_customer_once_staff_answered_and_marks_the_task_done():
    d = Driver()
    d.send(
        e.StasisStart(
            at=T0,
            channel_id=CHANNEL,
            args=("callback", "task-9", CUSTOMER, "101"),
            channel=phone_channel("101", "Up"),
        )
    )
    [started] = d.facts(c.CallStarted)
    assert (started.direction, started.caller, started.called) == ("outbound", "101", CUSTOMER)
    [leg] = d.originated()
    assert (leg.endpoint, leg.caller_number) == (f"PJSIP/{CUSTOMER}@carrier", OFFICE)
    d.answer_leg(CUSTOMER, at(8))
    assert [f.task_id for f in d.facts(c.CallbackConnected)] == ["task-9"]


def test_click_to_call_on_a_person_with_two_phones_stops_the_other_and_lets_a_late_answer_go():
    base = directory()
    anna = dataclasses.replace(base.people["101"], devices=(("101-2", 0),))
    d = Driver(dataclasses.replace(base, people={**base.people, "101": anna}))
    desk = "callback-task-9-101"
    d.call.channel_id = desk  # the desk phone answered first
    d.call.legs.caller_channel = desk
    out = d.send(
        e.StasisStart(
            at=T0, channel_id=desk, args=("callback", "task-9", CUSTOMER, "101"), channel=phone_channel("101", "Up")
        )
    )
    softphone = "callback-task-9-101-2"
    assert c.Hangup(softphone, reason="normal") in out  # the other phone stops ringing
    assert c.Hangup(desk, reason="normal") not in out
    late = e.Channel(
        id=softphone, name="PJSIP/101-2-1", state="Up", caller_number="", caller_name="", exten="", sip_call_id=""
    )
    again = d.send(
        e.StasisStart(at=at(1), channel_id=softphone, channel=late, args=("callback", "task-9", CUSTOMER, "101"))
    )
    assert again == [c.Hangup(softphone, reason="normal")]  # answered a moment late: let go
    assert len(d.originated()) == 1  # the customer is called once


# --- robustness ---------------------------------------------------------------------------------


def test_a_number_that_is_not_ours_is_refused_unanswered():
    d = Driver()
    out = d.start(T0, dialled="+48229999999")
    assert not any(isinstance(x, c.Answer) for x in out)
    d.finish_playback(at(3))
    assert d.out[-1] == c.Hangup(CHANNEL, reason="unallocated")
    [ended] = d.send(e.StasisEnd(at=at(3.1), channel_id=CHANNEL))
    assert isinstance(ended, c.CallEnded)
    assert (ended.outcome, ended.cause) == ("rejected", 1)


def test_an_automatic_loop_is_stopped_instead_of_spinning():
    looping = {1: s.Announcement("sound:a", next=2), 2: s.Announcement("sound:b", next=1)}
    plan = s.NumberPlan(OFFICE, open=1)
    d = Driver(s.Directory(numbers={OFFICE: plan}, destinations=looping))
    d.start(T0)
    for n in range(30):
        if d.call.state is not State.ROUTING:
            break
        d.finish_playback(at(n + 1))
    assert "loop_stopped" in d.steps()
    assert d.out[-1] == c.Hangup(CHANNEL, reason="normal")


def test_a_message_line_records_after_the_greeting_without_a_beep():
    line: dict[int, s.Destination] = {
        1: s.Announcement("sound:hello-world", next=2),
        2: s.Voicemail(prompt="", max_seconds=3, beep=False),
    }
    d = Driver(s.Directory(numbers={OFFICE: s.NumberPlan(OFFICE, open=1)}, destinations=line))
    d.start(T0)
    d.finish_playback(at(1.4))
    assert d.out[-1] == c.Record(CHANNEL, name=f"{KEY}-voicemail", fmt="wav", max_seconds=3, beep=False)


@pytest.mark.parametrize("ending", ["finished", "caller hung up"])
def test_a_message_names_its_box_however_the_recording_ends(ending):
    line: dict[int, s.Destination] = {1: s.Voicemail(prompt="", max_seconds=30, beep=False, mailbox=7)}
    d = Driver(s.Directory(numbers={OFFICE: s.NumberPlan(OFFICE, open=1)}, destinations=line))
    d.start(T0)
    assert ("voicemail", {"seconds": 30, "mailbox": 7}) in [(x.kind, x.detail) for x in d.facts(c.CallStep)]
    if ending == "finished":
        d.send(e.RecordingFinished(at=at(10), channel_id=CHANNEL, name=f"{KEY}-voicemail", duration=10))
    else:
        d.send(e.StasisEnd(at=at(10), channel_id=CHANNEL))
    [ready] = d.facts(c.RecordingReady)
    assert (ready.kind, ready.mailbox_id, ready.purpose_id) == ("voicemail", 7, None)


def test_hanging_up_while_recorded_still_hands_over_the_recording():
    d = Driver()
    d.start(T0)
    d.finish_playback(at(2))
    d.press("0", at(3))
    d.finish_playback(at(6))
    out = d.hang_up_caller(at(9))
    assert [type(x) for x in out if isinstance(x, c.CallEnded | c.RecordingReady)] == [c.CallEnded, c.RecordingReady]


def test_events_after_the_end_are_ignored_and_a_vanished_call_is_lost():
    d = Driver()
    d.start(T0)
    [ended] = d.send(e.ChannelGone(at=at(60), channel_id=CHANNEL))
    assert isinstance(ended, c.CallEnded)
    assert ended.outcome == "lost"
    assert d.send(e.StasisEnd(at=at(61), channel_id=CHANNEL)) == []
    assert d.call.finished


def test_a_failed_action_that_is_not_a_vanished_channel_hangs_up_politely():
    d = Driver()
    d.start(T0)
    out = d.send(e.CommandFailed(at=at(0.1), channel_id=CHANNEL, command="Play", error="500", gone=False))
    assert out[-1] == c.Hangup(CHANNEL, reason="normal")
    [ended] = d.send(e.StasisEnd(at=at(0.2), channel_id=CHANNEL))
    assert isinstance(ended, c.CallEnded)
    assert ended.outcome == "failed"


def test_voicemail_destination_id_exists_for_fixtures():
    assert VOICEMAIL in directory().destinations and CLOSED in directory().destinations
