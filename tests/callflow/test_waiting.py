"""A caller waiting in a queue hears, every so often, where they are in it; the music pauses for
that and goes on after, and whatever ends the wait (an answer, the caller hanging up, the
maximum wait) ends the announcements too."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow import scenario as s

from .fixtures import CHANNEL, SALES, T0, Driver, at, directory

PLACES = ("sound:place-1", "sound:place-2", "sound:place-more")


def waiting_in_sales(
    place: int = 2, announce: int = 20, places: tuple[str, ...] = PLACES, callback_key: str = "", music: str = ""
) -> Driver:
    d0 = directory()
    sales = d0.destinations[SALES]
    assert isinstance(sales, s.RingQueue)
    changed = replace(
        sales, announce_seconds=announce, max_wait_seconds=120, callback_key=callback_key, music_class=music
    )
    dests = {**d0.destinations, SALES: changed}
    seen: list[tuple[str, str]] = []

    def where(queue: str, key: str) -> int:
        seen.append((queue, key))
        return place

    d = Driver(replace(d0, destinations=dests, queue_places=places, queue_callback_offer="sound:offer"), places=where)
    d.start(T0)
    d.finish_playback(at(2))
    d.press("1", at(3))
    return d


def test_every_twenty_seconds_the_music_pauses_for_the_callers_place_then_goes_on():
    d = waiting_in_sales(place=2)
    assert c.StartMoh(CHANNEL) in d.out
    out = d.fire("announce", at(23))
    assert out[0] == c.StopMoh(CHANNEL) and isinstance(out[1], c.Play) and out[1].media == "sound:place-2"
    after = d.send(e.PlaybackFinished(at=at(26), channel_id=CHANNEL, playback_id=out[1].playback_id, failed=False))
    assert after[0] == c.StartMoh(CHANNEL) and isinstance(after[1], c.StartTimer) and after[1].seconds == 20


def test_a_queue_with_music_of_its_own_plays_it_and_goes_back_to_it_after_the_place():
    d = waiting_in_sales(place=1, music="centrala-queue-7")
    assert c.StartMoh(CHANNEL, moh_class="centrala-queue-7") in d.out
    out = d.fire("announce", at(23))
    assert out[0] == c.StopMoh(CHANNEL)
    after = d.send(e.PlaybackFinished(at=at(26), channel_id=CHANNEL, playback_id=out[1].playback_id, failed=False))  # type: ignore[attr-defined]
    assert after[0] == c.StartMoh(CHANNEL, moh_class="centrala-queue-7")


@pytest.mark.parametrize(("place", "heard"), [(1, "sound:place-1"), (3, "sound:place-more"), (17, "sound:place-more")])
def test_a_place_past_the_last_announcement_hears_the_last_one(place, heard):
    d = waiting_in_sales(place=place)
    [play] = [x for x in d.fire("announce", at(23)) if isinstance(x, c.Play)]
    assert play.media == heard


def test_an_answer_during_the_announcement_stops_it_and_no_music_is_left_to_stop():
    d = waiting_in_sales()
    [play] = [x for x in d.fire("announce", at(23)) if isinstance(x, c.Play)]
    out = d.answer_leg("101", at(24))
    assert c.StopPlayback(CHANNEL, play.playback_id) in out
    assert c.StopMoh(CHANNEL) not in out
    assert d.steps()[-1] == "connected"


def test_an_answer_between_announcements_stops_the_music_and_the_next_announcement():
    d = waiting_in_sales()
    timer = d.last_timer("announce")
    out = d.answer_leg("101", at(10))
    assert c.StopMoh(CHANNEL) in out and c.CancelTimer(CHANNEL, timer.name) in out


def test_a_caller_who_hangs_up_while_waiting_leaves_no_announcement_running():
    d = waiting_in_sales()
    timer = d.last_timer("announce")
    out = d.hang_up_caller(at(10))
    assert c.CancelTimer(CHANNEL, timer.name) in out


@pytest.mark.parametrize(("announce", "places"), [(0, PLACES), (20, ())])
def test_no_announcements_when_the_queue_or_the_office_has_none(announce, places):
    d = waiting_in_sales(announce=announce, places=places)
    assert not [x for x in d.out if isinstance(x, c.StartTimer) and x.name.startswith("announce")]


def test_where_a_callback_is_offered_it_is_said_after_the_place():
    d = waiting_in_sales(place=1, callback_key="1")
    [play] = [x for x in d.fire("announce", at(23)) if isinstance(x, c.Play)]
    assert play.media == "sound:place-1,sound:offer"


@pytest.mark.parametrize("when", [10, 24], ids=["between announcements", "during one"])
def test_pressing_1_while_waiting_ends_the_wait_with_a_callback_task_and_a_goodbye(when):
    d = waiting_in_sales(callback_key="1")
    legs = [d.leg_for("101"), d.leg_for("102")]
    if when == 24:
        d.fire("announce", at(23))
    out = d.press("1", at(when))
    assert all(c.Hangup(leg, reason="normal") in out for leg in legs)  # the phones stop ringing
    assert [f.reason for f in d.facts(c.CallbackRequested)] == ["requested"]
    assert d.steps()[-1] == "callback_instead"
    [confirm] = [x for x in out if isinstance(x, c.Play)]
    assert not [x for x in out if isinstance(x, c.StartMoh)]
    end = d.send(e.PlaybackFinished(at=at(when + 3), channel_id=CHANNEL, playback_id=confirm.playback_id, failed=False))
    assert end[-1] == c.Hangup(CHANNEL, reason="normal")
    # hanging up now owes no second callback
    d.hang_up_caller(at(when + 4))
    assert [f.reason for f in d.facts(c.CallbackRequested)] == ["requested"]


def test_a_caller_who_hangs_up_during_the_goodbye_is_owed_only_the_callback_asked_for():
    d = waiting_in_sales(callback_key="1")
    d.press("1", at(10))
    d.hang_up_caller(at(11))
    assert [f.reason for f in d.facts(c.CallbackRequested)] == ["requested"]


def test_other_keys_and_queues_without_the_offer_do_not_end_the_wait():
    d = waiting_in_sales(callback_key="1")
    assert d.press("2", at(10)) == []
    d2 = waiting_in_sales(callback_key="")
    assert d2.press("1", at(10)) == []
