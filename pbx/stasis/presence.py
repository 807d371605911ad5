"""Which staff phones are reachable (presence): read from Asterisk on connect, kept current by
the EndpointStateChange events of the phones' own endpoints.

The app subscribes to the staff phones' endpoints only (each person's SIP logins, from the
configuration), never to the whole PJSIP technology as it once did: that takes in the carrier's
trunk too, whose every call Asterisk then reported twice (once through the channel, once
through the endpoint; the copies were dropped unread, at a cost on both sides) and two
endpoint-state events more per call. A phone added later is subscribed at the next
configuration refresh (`follow`), once Asterisk has its endpoint."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from pbx.ari.client import AriClient, AriError
from pbx.callflow.scenario import Directory, phones_of

log = logging.getLogger(__name__)


def staff_logins(directory: Directory) -> set[str]:
    """Every SIP login of every person in the configuration."""
    return {login for person in directory.people.values() for login, _ in phones_of(person)}


class Presence:
    """`online`: SIP login -> the phone is reachable (shared with the calls, which ring only
    reachable phones; a login not in it counts as reachable)."""

    def __init__(self, ari: AriClient, app_name: str, online: dict[str, bool]) -> None:
        self.ari = ari
        self.app_name = app_name
        self.online = online
        self._followed: set[str] | None = None  # the logins subscribed to; None: ask Asterisk
        self._absent: set[str] = set()  # logins Asterisk did not have at the last look

    def forget(self) -> None:
        """After a (re)connect: Asterisk may have restarted, and its subscriptions with it."""
        self._followed = None

    async def follow(self, logins: Iterable[str]) -> None:
        """Subscribe to the endpoints of `logins` that Asterisk has and to no other (an older
        version's subscription to the whole technology included), and read their states.
        Does nothing when they are followed already; a failure is logged and tried again at
        the next call."""
        wanted = set(logins)
        if self._followed is not None and wanted == self._followed:
            return
        try:
            states = {e["resource"]: e.get("state") == "online" for e in await self.ari.endpoints("PJSIP")}
            subscribed = set((await self.ari.application(self.app_name)).get("endpoint_ids", []))
            followed = {login for login in wanted if login in states}
            sources = {f"PJSIP/{login}" for login in followed}
            if extra := subscribed - sources:
                await self.ari.unsubscribe(self.app_name, [f"endpoint:{source}" for source in sorted(extra)])
            if missing := sources - subscribed:
                await self.ari.subscribe(self.app_name, [f"endpoint:{source}" for source in sorted(missing)])
                # (read again: a phone may have come or gone between the read and the subscription)
                states = {e["resource"]: e.get("state") == "online" for e in await self.ari.endpoints("PJSIP")}
        except AriError as exc:
            log.warning("could not follow the staff phones' presence (tried again at the next refresh): %s", exc)
            self._followed = None
            return
        self.online.clear()
        self.online.update((login, states[login]) for login in followed if login in states)
        # A login Asterisk does not have yet (its configuration is on its way) is looked for
        # again at the next refresh.
        self._followed = followed if followed == wanted else None
        if (absent := wanted - followed) and absent != self._absent:
            log.info("phones not on Asterisk yet, followed once they are: %s", ", ".join(sorted(absent)))
        self._absent = absent
