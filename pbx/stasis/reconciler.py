"""After every (re)connect and every `sweep_seconds`: calls ARI no longer has are closed,
bridges nobody owns are cleared, recordings finished while the app was away are stored."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from pbx.ari.client import AriClient, AriError, AriNotFound
from pbx.callflow import events as e
from pbx.callflow import names
from pbx.callflow.workers import SOLE, Worker

from .adoption import Adoption, StartsCalls
from .call_store import CallStore
from .routes import Routes
from .worker import CallWorker, now

log = logging.getLogger(__name__)
# Events no call needs (pbx/callflow/events.py parses none of them): dropping them in Asterisk
# saves a JSON encode, a socket write and a decode per event. ChannelVarset comes several times
# per call where Asterisk creates it (the rendered stasis.conf declines it: asterisk-conf/);
# ChannelCreated once per channel (through the endpoint subscription, before the
# channel enters Stasis); the bridge's comings and goings several times per bridged call.
UNWANTED_EVENTS = [
    "ChannelVarset",
    "ChannelDialplan",
    "ChannelCallerId",
    "ChannelConnectedLine",
    "ChannelCreated",
    "ChannelEnteredBridge",
    "ChannelLeftBridge",
    "BridgeCreated",
    "BridgeDestroyed",
    "Dial",
    # A playback's and a recording's start: the call flow acts on their ends only (one message
    # of the nine a light call costs, and one per greeting, prompt and recording of a full call).
    "PlaybackStarted",
    "RecordingStarted",
]


class Reconciler:
    def __init__(
        self,
        ari: AriClient,
        app_name: str,
        store: CallStore,
        routes: Routes[CallWorker],
        sweep_seconds: float,
        adoption: tuple[Adoption, StartsCalls] | None = None,
        worker: Worker = SOLE,
        handing_over: Callable[[], set[str]] = set,
    ) -> None:
        self.ari = ari
        self.handing_over = handing_over  # channels on their way to another worker: followed until gone
        self.worker = worker  # its calls are the ones it closes and whose recordings it stores
        self.app_name = app_name
        self.store = store
        self.routes = routes
        self.sweep_seconds = sweep_seconds
        self.adoption = adoption  # who takes back the callers no call follows, and who starts their calls
        self.was_away = True  # the app has not yet swept since it (re)connected
        self.connected = False  # reconciled with ARI at least once
        self.reconciled = asyncio.Event()  # and swept (that needs the database)

    async def reconcile(self) -> None:
        """Ask ARI which of our channels still exist; close the calls that do not, and take
        back the callers in Stasis that no call follows (the app restarted under them)."""
        connected_at = now()
        try:
            await self.ari.set_event_filter(self.app_name, UNWANTED_EVENTS)
            app = await self.ari.application(self.app_name)
        except AriError as exc:
            log.warning("could not reconcile with ARI: %s", exc)
            return
        live = set(app.get("channel_ids", []))
        at = now()
        for channel_id, worker in self.routes.channels():
            if channel_id not in live:
                worker.feed(e.ChannelGone(at=at, channel_id=channel_id))
        if self.adoption is not None:
            adoption, calls = self.adoption
            try:
                await adoption.take_back(live, calls, connected_at)
            except Exception:  # a caller left waiting is bad; a pump that stops is worse
                log.exception("could not take back the callers the app lost track of")
        self.connected = True
        self.was_away = True  # until a sweep has stored what Asterisk finished meanwhile
        if await self.sweep(app):
            self.reconciled.set()

    async def sweep(self, app: dict[str, Any]) -> bool:
        """Close the calls whose end nobody saw (the app was down, or they are from before a
        restart and ended since), close the bridges they left (which ends their recordings),
        then store the recordings Asterisk finished meanwhile."""
        live = set(app.get("channel_ids", []))
        try:
            # Our calls: those Asterisk had when asked, and those the app follows when the
            # history is judged (calls that began since are missing from Asterisk's answer).
            # A call being handed to the first worker is followed until its row is the first's.
            followed = self.routes
            closed = await self.store.close_lost_calls(
                lambda: live | {k for k, _ in followed.channels()} | self.handing_over(), now(), self.worker
            )
        except Exception:
            log.exception("could not close lost calls in the history")
            return False
        if closed is None:
            log.info("sweep postponed: call facts still wait for the database")
            return False
        if closed:
            log.warning("closed %d calls whose end was missed", closed)
        try:
            if self.worker.first:  # only the first worker's calls make bridges
                await self._close_abandoned_bridges()
            await self.store.recover_recordings(after_reconnect=self.was_away, worker=self.worker)
            self.was_away = False
        except Exception:
            log.exception("could not look for recordings finished while the app was away; next sweep tries again")
        return True

    async def _close_abandoned_bridges(self) -> None:
        """A bridge outlives the app that made it (names.bridge). When no call of this app owns
        it and fewer than two people are left in it, the conversation is over: whoever is left
        (staff still on the line after the caller hung up while the app was away) is hung up,
        and the bridge destroyed, which makes Asterisk finish its recording."""
        for bridge in await self.ari.bridges():
            bridge_id, left = bridge.get("id", ""), bridge.get("channels", [])
            if not names.is_our_bridge(bridge_id) or len(left) > 1 or self.routes.owns_bridge(bridge_id):
                continue
            try:
                for channel in left:
                    await self.ari.hangup(channel)
                await self.ari.destroy_bridge(bridge_id)
            except AriNotFound:
                continue
            log.warning(
                "closed bridge %s (and %d channel(s) left in it) of a call the app lost track of", bridge_id, len(left)
            )

    async def sweep_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_seconds)
            if not self.connected:
                continue  # not connected yet: the reconcile on connect sweeps first
            try:
                app = await self.ari.application(self.app_name)
            except AriError as exc:
                log.info("sweep skipped: %s", exc)
                continue
            if await self.sweep(app):
                self.reconciled.set()
