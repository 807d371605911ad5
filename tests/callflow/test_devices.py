"""A person with several phones: all of them ring (a later one joins after the seconds set),
the first to answer gets the call and the others stop, one person a round in a linear queue,
reachable when any phone is, a transfer rings them all, and a call from any of them is the
person's."""

from __future__ import annotations

import dataclasses

from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow import scenario as s

from .fixtures import CHANNEL, SALES, T0, Driver, at, directory, phone_channel

ANNA_PHONES = (("101-2", 0), ("101-3", 10))  # a softphone with the desk phone, the mobile app 10 s later


def office(devices: tuple[tuple[str, int], ...] = ANNA_PHONES) -> s.Directory:
    base = directory()
    changed = dataclasses.replace(base.people["101"], devices=devices)
    return dataclasses.replace(base, people={**base.people, "101": changed})


def ring_sales(office_directory: s.Directory, presence: dict[str, bool] | None = None) -> Driver:
    d = Driver(office_directory, presence)
    d.start(T0)
    d.finish_playback(at(2))
    d.press("1", at(3))  # the menu's "1": the sales queue (101 and 102, ring all)
    return d


def endpoints(d: Driver) -> list[str]:
    return [x.endpoint for x in d.originated()]


def test_all_of_a_persons_phones_ring_and_a_later_one_joins_after_its_seconds():
    d = ring_sales(office())
    assert endpoints(d) == ["PJSIP/101", "PJSIP/101-2", "PJSIP/102"]
    ring = [x for x in d.facts(c.CallStep) if x.kind == "ring_queue"][-1]
    assert ring.detail["targets"] == ["101", "102"]  # people, not phones
    d.fire("join", at(13))
    assert endpoints(d)[-1] == "PJSIP/101-3" and d.call.legs[d.originated()[-1].channel_id] == "101"


def test_the_first_phone_to_answer_gets_the_call_and_the_others_stop_ringing_even_the_one_still_to_join():
    d = ring_sales(office())
    softphone = d.originated()[1].channel_id
    ch = e.Channel(
        id=softphone, name="PJSIP/101-2-1", state="Up", caller_number="", caller_name="", exten="", sip_call_id=""
    )
    d.send(e.StasisStart(at=at(5), channel_id=softphone, channel=ch, args=("leg", d.call.key)))
    assert ("connected", {"target": "101"}) in [(x.kind, x.detail) for x in d.facts(c.CallStep)]
    hung_up = {x.channel_id for x in d.out if isinstance(x, c.Hangup)}
    others = {x.channel_id for x in d.originated()} - {softphone}
    assert others <= hung_up
    joining = d.last_timer("join").name
    assert c.CancelTimer(CHANNEL, joining) in d.out  # the mobile app never rings


def test_a_person_is_reachable_when_any_phone_is_and_only_reachable_phones_ring():
    d = ring_sales(office(), presence={"101": False, "101-2": True, "102": False})
    assert endpoints(d) == ["PJSIP/101-2"] and "ring_plan_b" not in d.steps()
    offline = ring_sales(office(), presence={"101": False, "101-2": False, "101-3": False, "102": False})
    assert "ring_plan_b" in offline.steps()


def test_a_linear_queue_rings_one_person_a_round_with_all_their_phones():
    base = office()
    sales = base.destinations[SALES]
    assert isinstance(sales, s.RingQueue)
    linear = dataclasses.replace(
        base, destinations={**base.destinations, SALES: dataclasses.replace(sales, strategy="linear")}
    )
    d = ring_sales(linear)
    assert endpoints(d) == ["PJSIP/101", "PJSIP/101-2"]
    d.fire("round", at(18))
    assert endpoints(d)[2:] == ["PJSIP/102"]


def test_a_phone_that_joins_later_than_the_round_lasts_does_not_ring_in_it():
    late = office(devices=(("101-2", 60),))
    d = ring_sales(late)
    assert "PJSIP/101-2" not in endpoints(d) and not [
        x for x in d.out if isinstance(x, c.StartTimer) and x.name.startswith("join")
    ]


def test_a_call_transferred_to_a_person_rings_all_their_phones():
    d = Driver(office())
    d.start(T0)
    d.finish_playback(at(2))
    d.press("2", at(3))  # reception (103)
    d.answer_leg("103", at(5))
    d.send(e.TransferRequested(at=at(8), channel_id=d.leg_for("103"), destination="101"))
    assert endpoints(d)[-2:] == ["PJSIP/101", "PJSIP/101-2"]


def test_a_call_from_any_of_a_persons_phones_is_theirs():
    d = Driver(office())
    channel = dataclasses.replace(phone_channel("101", exten="102"), name="PJSIP/101-2-00000001")
    d.send(e.StasisStart(at=T0, channel_id=CHANNEL, channel=channel, args=("internal", "1", "102")))
    started = d.facts(c.CallStarted)[0]
    assert (started.caller, started.called) == ("101", "102")
