"""Which call an event belongs to (pbx/stasis/routes.py): a call that ends is dropped by its
own keys, with what was handed over to another call left to that call."""

from __future__ import annotations

from pbx.stasis.routes import Routes


class Worker:
    """Stands in for a call's worker: only its identity matters here."""


def test_forgetting_a_call_drops_its_ids_in_every_table_and_nothing_else():
    routes: Routes[Worker] = Routes()
    first, second = Worker(), Worker()
    routes.callers["c1"] = first
    routes.legs["c1-leg1"] = first
    routes.bridges["b1"] = first
    routes.listeners["c1-listener"] = first
    routes.callers["c2"] = second
    routes.legs["c2-leg1"] = second
    routes.listeners["c2-listener"] = second
    assert routes.find("c1-listener") is first and "c2-listener" in routes
    routes.forget(first)
    assert (dict(routes.callers), dict(routes.legs), dict(routes.bridges), dict(routes.listeners)) == (
        {"c2": second},
        {"c2-leg1": second},
        {},
        {"c2-listener": second},
    )
    assert routes.find("bridge:b1") is None and routes.find("c2-leg1") is second
    assert routes.find("c1-listener") is None
    assert [ch for ch, _ in routes.channels()] == ["c2", "c2-leg1"]  # ARI is asked about callers and legs


def test_a_leg_handed_over_to_another_call_stays_with_it_when_the_first_call_ends():
    routes: Routes[Worker] = Routes()
    giver, taker = Worker(), Worker()
    routes.callers["c1"] = giver
    routes.legs["colleague"] = giver
    routes.callers["c2"] = taker
    routes.legs["colleague"] = taker  # a transfer or a pickup: the leg goes on with the other call
    routes.forget(giver)
    assert routes.find("colleague") is taker
    routes.forget(taker)
    assert not routes


def test_a_deleted_id_is_not_forgotten_twice_and_a_reused_one_belongs_to_its_new_call():
    routes: Routes[Worker] = Routes()
    old, new = Worker(), Worker()
    routes.legs["x"] = old
    del routes.legs["x"]
    routes.legs["x"] = new
    routes.forget(old)
    assert routes.find("x") is new
