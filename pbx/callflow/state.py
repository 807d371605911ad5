"""A call's states and the moves allowed between them (see call.py's theory of operation)."""

from __future__ import annotations

import enum


class State(enum.Enum):
    NEW = "new"
    ROUTING = "routing"  # one destination step at a time
    CONNECTED = "connected"  # caller and a leg bridged
    REFUSING = "refusing"  # playing why, then hanging up
    HANGING_UP = "hanging_up"
    ENDED = "ended"


# Ending is possible from anywhere (the caller can hang up at any moment); HANGING_UP may be
# asked again (a day's minutes run out while the caller's hangup is under way).
TRANSITIONS: dict[State, frozenset[State]] = {
    State.NEW: frozenset({State.ROUTING, State.REFUSING, State.HANGING_UP, State.ENDED}),
    State.ROUTING: frozenset({State.CONNECTED, State.REFUSING, State.HANGING_UP, State.ENDED}),
    State.CONNECTED: frozenset({State.ROUTING, State.HANGING_UP, State.ENDED}),  # ROUTING: a transfer rings
    State.REFUSING: frozenset({State.HANGING_UP, State.ENDED}),
    State.HANGING_UP: frozenset({State.HANGING_UP, State.ENDED}),
    State.ENDED: frozenset(),
}
