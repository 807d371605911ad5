import logging

import pytest

from .fixtures import Driver


@pytest.fixture(autouse=True)
def no_illegal_state_moves(caplog):
    """Call.set_state logs a move the transition table forbids as an error and carries on (a
    live caller is never dropped for it); in tests such a move fails the test."""
    with caplog.at_level(logging.ERROR, logger="pbx.callflow"):
        yield
    bad = [r.getMessage() for r in caplog.records if r.name.startswith("pbx.callflow") and r.levelno >= logging.ERROR]
    assert not bad, bad


@pytest.fixture(autouse=True)
def no_request_asked_twice():
    """No call asks Asterisk to hang up a channel, or destroy a bridge, twice (unless the first
    request failed, or the channel entered Stasis after it: Driver.asked_twice): the second can
    only be answered "not found", a request and a failure handled per call for nothing (the
    caller's hang-up used to hang the staff leg up twice)."""
    Driver.made.clear()
    yield
    twice = [(driver.call.key, repeat) for driver in Driver.made for repeat in driver.asked_twice()]
    Driver.made.clear()
    assert not twice, twice
