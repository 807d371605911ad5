"""Which call an event belongs to: the caller's channel, the legs a call rang, the bridge it made.

Three maps, one per kind of id, so a leg id can never be taken for a caller's channel and a
call's bridge is found by its own name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

W = TypeVar("W")
BRIDGE_PREFIX = "bridge:"  # events about a bridge (its recording) carry "bridge:<id>" as channel id


class Routes(Generic[W]):
    def __init__(self) -> None:
        self.callers: dict[str, W] = {}  # the caller's channel id -> its call
        self.legs: dict[str, W] = {}  # a leg's channel id -> the call that rang it
        self.bridges: dict[str, W] = {}  # bridge id -> the call that made it

    def find(self, channel_id: str) -> W | None:
        if channel_id.startswith(BRIDGE_PREFIX):
            return self.bridges.get(channel_id.removeprefix(BRIDGE_PREFIX))
        return self.callers.get(channel_id) or self.legs.get(channel_id)

    def __contains__(self, channel_id: object) -> bool:
        return isinstance(channel_id, str) and self.find(channel_id) is not None

    def __getitem__(self, channel_id: str) -> W:
        found = self.find(channel_id)
        if found is None:
            raise KeyError(channel_id)
        return found

    def __bool__(self) -> bool:
        return bool(self.callers or self.legs or self.bridges)

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
        for table in (self.callers, self.legs, self.bridges):
            for key in [k for k, w in table.items() if w is worker]:
                del table[key]
