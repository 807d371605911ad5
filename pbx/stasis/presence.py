"""Which staff phones are reachable (presence): read from Asterisk on connect, kept current by
the device-state changes of the phones' own devices.

The app subscribes to the device state of each staff phone (`deviceState:PJSIP/<login>`, every
SIP login of every person in the configuration), never to endpoints as it once did. An
endpoint subscription brings every event of every channel on that endpoint a second time
(once through the channel, once through the endpoint; the copies were dropped unread, at a
cost on both sides): the whole PJSIP technology took in the carrier's trunk, so every caller's
events came twice, and a staff phone's endpoint doubles the events of every call it answers.
A device state changes only when the phone registers or goes away, rings, talks or hangs up.
Asterisk takes a subscription to a device it does not know yet, so a phone added later is
followed from the next configuration refresh (`follow`), with or without its endpoint."""

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

    def forget(self) -> None:
        """After a (re)connect: Asterisk may have restarted, and its subscriptions with it."""
        self._followed = None

    async def follow(self, logins: Iterable[str]) -> None:
        """Subscribe to the device states of `logins` and to nothing else (an older version's
        endpoint subscriptions are dropped), and read the phones' states. Does nothing when
        they are followed already; a failure is logged and tried again at the next call."""
        wanted = set(logins)
        if self._followed is not None and wanted == self._followed:
            return
        try:
            app = await self.ari.application(self.app_name)
            devices = {f"PJSIP/{login}" for login in wanted}
            subscribed = set(app.get("device_names", []))
            stale = [f"endpoint:{endpoint}" for endpoint in sorted(app.get("endpoint_ids", []))]
            stale += [f"deviceState:{device}" for device in sorted(subscribed - devices)]
            if stale:
                await self.ari.unsubscribe(self.app_name, stale)
            if missing := devices - subscribed:
                await self.ari.subscribe(self.app_name, [f"deviceState:{device}" for device in sorted(missing)])
            # Read after subscribing: a change from here on comes as an event.
            states = {e["resource"]: e.get("state") == "online" for e in await self.ari.endpoints("PJSIP")}
        except AriError as exc:
            log.warning("could not follow the staff phones' presence (tried again at the next refresh): %s", exc)
            self._followed = None
            return
        self.online.clear()
        self.online.update((login, states[login]) for login in wanted if login in states)
        # A phone whose endpoint Asterisk does not have yet (its configuration is on its way)
        # counts as reachable meanwhile; its state is read again at the next refresh.
        self._followed = wanted if wanted <= states.keys() else None
