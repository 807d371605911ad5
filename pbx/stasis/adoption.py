"""Taking callers back after the app restarted (the pump's side of pbx/callflow/resume.py).

Asterisk keeps every channel in Stasis while no app listens. On connecting, the app asks it
once for its channels and bridges (two requests) and the history once for the calls still
open on those channels (one query, skipped if the database is away), then sorts every channel
no call follows:

    in one of our bridges with someone else   the caller and peer of a conversation: "bridged"
                                               (with the recording it owes, when the history
                                               announced one that Asterisk never started)
    a leg (<key>-leg<n>, a click-to-call ring) elsewhere   a phone ringing for a lost call:
                                                           hung up
    a caller alone in our bridge               "release" (a transfer or parking it was waiting
                                               in cannot be picked up again)
    a caller whose message is still recording  "voicemail"
    a caller whose message finished while the  "left_message" (Asterisk still holds its file;
    app was away                               the sweep stores it right after)
    any other caller                           "entry" (a staff phone's own call: released;
                                               on a worker other than the first, a caller
                                               whose number rings someone now is passed to the
                                               first: pbx/stasis/to_first.py)
    a listener (<key>-listener)                left alone: it records a conversation and ends
                                               with it; its events go to that call if taken back

and starts a call for each caller, fed `Adopted`. Channels created after the app connected
are left alone: their StasisStart is on its way."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from pbx.ari.client import AriClient, AriError
from pbx.callflow import events as e
from pbx.callflow import names

from .routes import Routes
from .worker import CallWorker, now

log = logging.getLogger(__name__)

OpenCalls = Callable[[set[str]], Awaitable[dict[str, str]]]
# call keys -> (rule, person connected) of the recordings announced but maybe never started
OwedRecordings = Callable[[set[str]], Awaitable[dict[str, tuple[str, str]]]]


class StartsCalls(Protocol):
    def start_adopted(self, channel_id: str, key: str) -> CallWorker: ...

    def pass_adopted(self, event: e.Adopted, key: str) -> bool:
        """True when the caller is another worker's to serve, and passed there (to_first.py)."""
        ...


def _created(channel: dict[str, Any]) -> datetime | None:
    try:
        return datetime.strptime(channel.get("creationtime", ""), "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return None


def _label(channel: dict[str, Any]) -> str:
    """Who a channel reaches, as a call's legs are labelled: the extension of a staff phone
    (its endpoint, a device login `101-2` counting as 101), else the outside number."""
    endpoint = channel.get("name", "").removeprefix("PJSIP/").rsplit("-", 1)[0]
    if endpoint and endpoint != "carrier":
        return endpoint.split("-", 1)[0]
    return str((channel.get("connected") or {}).get("number") or (channel.get("caller") or {}).get("number", ""))


class Adoption:
    def __init__(
        self, ari: AriClient, routes: Routes[CallWorker], open_calls: OpenCalls, owed: OwedRecordings | None = None
    ) -> None:
        self.ari = ari
        self.routes = routes
        self.open_calls = open_calls
        self.owed = owed

    async def take_back(self, live: set[str], calls: StartsCalls, connected_at: datetime) -> int:
        """Give every channel in `live` that no call follows a defined path; how many callers
        were taken back."""
        # A listener records a conversation and ends with it: never a caller to take back.
        orphans = {ch for ch in live if ch not in self.routes and not names.is_our_listener(ch)}
        if not orphans:
            return 0
        try:
            channels = {ch["id"]: ch for ch in await self.ari.channels() if ch.get("id") in orphans}
            bridges = [b for b in await self.ari.bridges() if names.is_our_bridge(b.get("id", ""))]
        except AriError as exc:
            log.warning("could not ask Asterisk which callers the app lost: %s", exc)
            return 0
        channels = {ch: info for ch, info in channels.items() if (_created(info) or now()) < connected_at}
        try:
            keys = await self.open_calls(set(channels))
        except Exception:
            log.exception("could not read which calls are open; taking callers back under new keys")
            keys = {}
        taken = 0
        owed = await self._owed({names.call_of_bridge(b["id"]) for b in bridges} & set(keys.values()))
        for bridge in bridges:
            inside = [ch for ch in bridge.get("channels", []) if ch in channels]
            if len(inside) < 2 or len(inside) != len(bridge.get("channels", [])):
                continue
            key = names.call_of_bridge(bridge["id"])
            caller = next((ch for ch in inside if keys.get(ch) == key), None) or next(
                (ch for ch in inside if not names.is_our_leg(ch)), inside[0]
            )
            peer = next(ch for ch in inside if ch != caller)
            worker = calls.start_adopted(caller, key)
            self.routes.legs[peer] = worker
            self.routes.bridges[bridge["id"]] = worker
            listener = names.listener(key)
            listening = listener in live  # its recording goes on; the sweep stores it
            if listening:
                self.routes.listeners[listener] = worker
            label = _label(channels[peer])
            rule, answered_by = await self._still_owed(key, owed) if caller in keys else ("", "")
            worker.feed(
                self._adopted(
                    channels[caller],
                    "bridged",
                    known=caller in keys,
                    peer=peer,
                    peer_label=label,
                    owed_rule=rule,
                    answered_by=answered_by,
                    listening=listening,
                )
            )
            for ch in inside:
                channels.pop(ch)
            taken += 1
        alone = {ch: b["id"] for b in bridges for ch in b.get("channels", []) if len(b.get("channels", [])) == 1}
        talking = {ch for b in bridges for ch in b.get("channels", []) if len(b.get("channels", [])) > 1}
        for channel_id, info in channels.items():
            if channel_id in talking:
                continue  # a conversation some call of this app still follows in part
            if names.is_our_leg(channel_id):
                with contextlib.suppress(AriError):
                    await self.ari.hangup(channel_id)  # a phone still ringing for a lost call
                continue
            key = keys.get(channel_id) or str(uuid.uuid4())
            where, recording = "entry", ""
            if channel_id in alone:
                where = "release"
            elif channel_id in keys:
                where, recording = await self._message(names.recording(key, "voicemail"))
            adopted = self._adopted(info, where, known=channel_id in keys, recording=recording)
            taken += 1
            if calls.pass_adopted(adopted, key):
                continue  # its number rings someone now: the first worker's call
            worker = calls.start_adopted(channel_id, key)
            if channel_id in alone:
                self.routes.bridges[alone[channel_id]] = worker  # not the sweep's to close under it
            worker.feed(adopted)
        if taken:
            log.warning("took back %d call(s) the app had lost track of", taken)
        return taken

    async def _owed(self, keys: set[str]) -> dict[str, tuple[str, str]]:
        """The recordings the history says these bridged calls announced (one query)."""
        if not keys or self.owed is None:
            return {}
        try:
            return await self.owed(keys)
        except Exception:  # the database is away: the conversations go on, unrecorded as before
            log.exception("could not read which recordings the calls taken back owe")
            return {}

    async def _still_owed(self, key: str, owed: dict[str, tuple[str, str]]) -> tuple[str, str]:
        """(rule, person) when the call announced a recording Asterisk has no trace of."""
        if key not in owed:
            return "", ""
        name = names.recording(key, "call")
        try:
            if await self.ari.recording_is_live(name) or await self.ari.recording_is_stored(name):
                return "", ""
        except AriError:
            return "", ""  # unknown: never two recordings of one conversation
        return owed[key]

    async def _message(self, name: str) -> tuple[str, str]:
        """Where a known caller is, from its voicemail recording: still being left, finished
        while the app was away (live is asked first: a live recording's file is stored too),
        or none (the entry)."""
        try:
            if await self.ari.recording_is_live(name):
                return "voicemail", name
            if await self.ari.recording_is_stored(name):
                return "left_message", name
        except AriError:
            pass
        return "entry", ""

    @staticmethod
    def _adopted(info: dict[str, Any], where: str, *, known: bool, **more: Any) -> e.Adopted:
        channel = e.channel_from(info)
        inbound = (info.get("dialplan") or {}).get("context") == "from-trunk"
        return e.Adopted(
            at=now(), channel_id=channel.id, channel=channel, where=where, inbound=inbound, known=known, **more
        )
