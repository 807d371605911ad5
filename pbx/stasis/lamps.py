"""Message lamps, kept in step with the voicemail counts: read at every configuration refresh,
published to Asterisk for the extensions whose counts changed, and all of them again after a
(re)connect, since a restarted Asterisk has forgotten them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from pbx.ari.client import AriClient, AriError

log = logging.getLogger(__name__)

LampStates = dict[str, tuple[int, int]]  # extension -> (new, heard)
LampLoader = Callable[[], Awaitable[LampStates]]


class Lamps:
    def __init__(self, ari: AriClient, load: LampLoader | None) -> None:
        self.ari = ari
        self.load = load
        self.shown: LampStates = {}
        self.unreadable = False  # said once per outage, not at every refresh

    def forget(self) -> None:
        """Asterisk may have restarted: publish every lamp at the next refresh."""
        self.shown = {}

    async def refresh(self) -> None:
        if self.load is None:
            return
        try:
            states = await self.load()
        except Exception as exc:  # the database is away: the lamps wait, the rest of the app says why
            if not self.unreadable:
                log.warning("could not read the voicemail counts; the message lamps stay as they are: %s", exc)
            self.unreadable = True
            return
        self.unreadable = False
        for extension, state in sorted(states.items()):
            if self.shown.get(extension) == state:
                continue
            try:
                await self.ari.mailbox_lamp(extension, *state)
            except AriError as exc:
                log.warning("could not set the message lamp of %s: %s", extension, exc)
                continue
            self.shown[extension] = state
