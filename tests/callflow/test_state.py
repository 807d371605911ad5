"""A call's state moves only as state.TRANSITIONS allows; a slip is logged, never a dropped caller.
Every other call-flow test walks real calls with the guard in conftest.py failing on a slip."""

from __future__ import annotations

import logging

from pbx.callflow.call import Call
from pbx.callflow.state import TRANSITIONS, State

from .fixtures import CHANNEL, KEY, directory


def test_every_state_is_in_the_table_and_an_ended_call_goes_nowhere():
    assert set(TRANSITIONS) == set(State)
    assert TRANSITIONS[State.ENDED] == frozenset()
    assert all(State.ENDED in moves for state, moves in TRANSITIONS.items() if state is not State.ENDED)


def test_a_forbidden_move_is_logged_as_an_error_and_the_call_carries_on(caplog):
    call = Call(KEY, CHANNEL, directory())
    call.set_state(State.CONNECTED)  # NEW -> CONNECTED: nothing was rung
    assert call.state is State.CONNECTED
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "NEW -> CONNECTED" in record.getMessage()
    caplog.clear()  # seen; the conftest's guard would fail the test on it
