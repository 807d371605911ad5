"""Which call an event belongs to: the caller's channel, the legs a call rang, the bridge it
made, the listener that records its conversation.

Four maps, one per kind of id, so a leg id can never be taken for a caller's channel and a
call's bridge is found by its own name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

W = TypeVar("W")
BRIDGE_PREFIX = "bridge:"  # events about a bridge (its playbacks) carry "bridge:<id>" as channel id


class Table(dict[str, W]):
    """A map of ids to calls that also knows each call's ids, so a call that ends is dropped
    without a search. Only item assignment and deletion change it (as the pump does)."""

    def __init__(self) -> None:
        super().__init__()
        self._keys_of: dict[int, set[str]] = {}  # id(call) -> its keys here

    def __setitem__(self, key: str, worker: W) -> None:
        previous = self.get(key)
        if previous is not None:  # handed over to another call (a transfer, a pickup)
            self._keys_of.get(id(previous), set()).discard(key)
        super().__setitem__(key, worker)
        self._keys_of.setdefault(id(worker), set()).add(key)

    def __delitem__(self, key: str) -> None:
        self._keys_of.get(id(self[key]), set()).discard(key)
        super().__delitem__(key)

    def forget(self, worker: W) -> None:
        for key in self._keys_of.pop(id(worker), set()):
            if self.get(key) is worker:
                super().__delitem__(key)


class Routes(Generic[W]):
    def __init__(self) -> None:
        self.callers: Table[W] = Table()  # the caller's channel id -> its call
        self.legs: Table[W] = Table()  # a leg's channel id -> the call that rang it
        self.bridges: Table[W] = Table()  # bridge id -> the call that made it
        self.listeners: Table[W] = Table()  # a listener's (snoop) channel id -> the call it records

    def find(self, channel_id: str) -> W | None:
        if channel_id.startswith(BRIDGE_PREFIX):
            return self.bridges.get(channel_id.removeprefix(BRIDGE_PREFIX))
        return self.callers.get(channel_id) or self.legs.get(channel_id) or self.listeners.get(channel_id)

    def __contains__(self, channel_id: object) -> bool:
        return isinstance(channel_id, str) and self.find(channel_id) is not None

    def __getitem__(self, channel_id: str) -> W:
        found = self.find(channel_id)
        if found is None:
            raise KeyError(channel_id)
        return found

    def __bool__(self) -> bool:
        return bool(self.callers or self.legs or self.bridges or self.listeners)

    def channels(self) -> Iterator[tuple[str, W]]:
        """Every channel (callers' and legs') with its call: what ARI is asked about."""
        yield from list(self.callers.items())
        yield from list(self.legs.items())

    def calls(self) -> list[W]:
        """Each call once."""
        return list({id(w): w for w in self.callers.values()}.values())

    def owns_bridge(self, bridge_id: str) -> bool:
        return bridge_id in self.bridges

    def forget(self, worker: W) -> None:
        """Drop `worker` from every table: its own keys only, never a search of the tables
        (which, with hundreds of calls in progress, was a fiftieth of the app's CPU per call)."""
        for table in (self.callers, self.legs, self.bridges, self.listeners):
            table.forget(worker)
