import logging

import pytest


@pytest.fixture(autouse=True)
def no_illegal_state_moves(caplog):
    """Call.set_state logs a move the transition table forbids as an error and carries on (a
    live caller is never dropped for it); in tests such a move fails the test."""
    with caplog.at_level(logging.ERROR, logger="pbx.callflow"):
        yield
    bad = [r.getMessage() for r in caplog.records if r.name.startswith("pbx.callflow") and r.levelno >= logging.ERROR]
    assert not bad, bad
