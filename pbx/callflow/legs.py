"""The channels a call rings besides the caller's, and the bridge that joins one of them
to the caller. No I/O: it hands back the commands to run."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from . import commands as c
from . import names


class Legs:
    """Leg channel id -> what it rings (an extension, a mobile or an outside number), which of
    them is connected to the caller, and the call's bridge."""

    def __init__(self, call_key: str, caller_channel: str, next_number: Callable[[], int]) -> None:
        self.call_key = call_key
        self.caller_channel = caller_channel
        self.bridge_id = names.bridge(call_key)
        self.connected: str | None = None
        self._labels: dict[str, str] = {}
        self._had_legs = False  # a leg was rung or adopted (so a bridge may exist), even if released
        self._hung_up: set[str] = set()  # legs asked to hang up: never asked twice
        self._next_number = next_number

    def new(self, label: str) -> str:
        leg_id = names.leg(self.call_key, self._next_number())
        self._labels[leg_id] = label
        self._had_legs = True
        return leg_id

    def adopt(self, channel_id: str, label: str) -> str:
        """A channel this call did not ring becomes one of its legs (a phone picking it up)."""
        self._labels[channel_id] = label
        self._had_legs = True
        return channel_id

    def release(self, leg_id: str) -> str:
        """`leg_id` now belongs to another call (an attended transfer): this call forgets it,
        and will neither hang it up nor wait for its end. Returns its label."""
        if self.connected == leg_id:
            self.connected = None
        return self._labels.pop(leg_id, "")

    def __contains__(self, leg_id: object) -> bool:
        return leg_id in self._labels

    def __getitem__(self, leg_id: str) -> str:
        return self._labels[leg_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels)

    def __bool__(self) -> bool:
        return bool(self._labels)

    def get(self, leg_id: str, default: str = "") -> str:
        return self._labels.get(leg_id, default)

    def hang_up_connected(self) -> list[c.Command]:
        """End the connected leg's channel, if there is one (it stays named until its end
        arrives), once: the caller's hang-up asks, and the caller's end would ask again (a
        request per call that Asterisk answered "not found"). A hang-up that fails lets the leg
        go (Call._on_leg), so there is nothing to ask again."""
        leg = self.connected
        if leg is None or leg in self._hung_up:
            return []
        self._hung_up.add(leg)
        return [c.Hangup(leg, reason="normal")]

    def join(self, leg_id: str, first_person: bool) -> list[c.Command]:
        """Bridge the caller with `leg_id`: the first person who answers makes the bridge; after
        a transfer the caller is in it already and only the new leg joins."""
        if not first_person:
            return [c.AddToBridge(self.caller_channel, bridge_id=self.bridge_id, channels=(leg_id,))]
        return [
            c.CreateBridge(self.caller_channel, bridge_id=self.bridge_id),
            c.AddToBridge(self.caller_channel, bridge_id=self.bridge_id, channels=(self.caller_channel, leg_id)),
        ]

    def clean_up(self) -> list[c.Command]:
        """At the call's end: the bridge goes (if a leg was ever rung, one may exist)."""
        return [c.DestroyBridge(self.caller_channel, bridge_id=self.bridge_id)] if self._had_legs else []
