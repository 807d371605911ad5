"""Asterisk REST Interface client: one httpx wrapper, explicit timeouts, our own errors
(`errors.py`: every httpx exception and error status becomes an AriError subclass).

The Stasis app sends most requests over its websockets instead of HTTP (REST over WebSocket,
Asterisk 22.4 and later; see `socket_requests.py`); `socket_choice.py` picks the socket, and HTTP
carries what no socket may: while the sockets are down, and a bridge join no idle spare
socket can take.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import httpx

from .errors import AriConflict as AriConflict
from .errors import AriError as AriError
from .errors import AriNotFound as AriNotFound
from .errors import AriTimeout as AriTimeout
from .errors import AriUnavailable as AriUnavailable
from .errors import Reply, raise_for_status
from .socket_choice import SocketChoice

if TYPE_CHECKING:
    from .socket_requests import SocketRequests

DEFAULT_TIMEOUT = httpx.Timeout(connect=2.0, read=5.0, write=5.0, pool=2.0)
MAX_CONNECTIONS = 40
# Idle connections kept open for the next request. httpcore checks every idle connection on
# each request (a getpeername and a poll, through anyio), which with 40 of them cost 1.5 ms of
# CPU per request, most of a join's cost (docs/benchmark.md); bursts above this open more.
KEEPALIVE_CONNECTIONS = 8
# A join to a bridge waits for the channels' own threads, so on a busy Asterisk every connection
# may be taken by joins for seconds. A caller waiting to be put through is better put through late
# than hung up: such a request waits this long for a connection (others: the pool timeout).
CHANNEL_SLOT_WAIT = 10.0
# Downloads of long recordings may take longer than one control request.
DOWNLOAD_TIMEOUT = httpx.Timeout(connect=2.0, read=30.0, write=5.0, pool=5.0)
T = TypeVar("T")
# Staff legs hand a phone's transfer (SIP REFER) to Stasis rather than to the dialplan.
APP_TRANSFERS = {"PJSIP_TRANSFER_HANDLING()": "ari-only"}


class AriClient:
    """Async client for the subset of ARI Centrala uses. Close it with `aclose()`.

    With `socket`, requests go over the app's event websocket whenever it is connected; with
    `spare_sockets` as well, over whichever connected socket has the fewest waiting (see
    `socket_choice.SocketChoice`)."""

    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        socket: SocketRequests | None = None,
        spare_sockets: Sequence[SocketRequests] = (),
        max_connections: int = MAX_CONNECTIONS,
        channel_slot_wait: float = CHANNEL_SLOT_WAIT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.sockets = SocketChoice(socket, spare_sockets)
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/",
            auth=(user, password),
            timeout=timeout,
            transport=transport,
            # Asterisk's http.conf sessionlimit counts these (pbx.asterisk.ari_sessions).
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=min(KEEPALIVE_CONNECTIONS, max_connections)
            ),
        )
        # Requests wait for a connection here, not in httpcore's pool: the pool scans every
        # waiting request against every connection on each hand-out, which at a few hundred
        # calls per second took two thirds of the Stasis app's CPU (py-spy, bench/calls.py).
        self._slots = asyncio.Semaphore(max_connections)
        self._slot_wait = timeout.pool if timeout.pool is not None else 2.0
        self._channel_slot_wait = max(channel_slot_wait, self._slot_wait)

    @asynccontextmanager
    async def _connection_slot(self, method: str, path: str, wait: float) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(wait):
                await self._slots.acquire()
        except TimeoutError:
            raise AriTimeout(f"{method} {path}: no free connection to Asterisk within {wait:g} s") from None
        try:
            yield
        finally:
            self._slots.release()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AriClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- one place for transport and status errors --------------------------------------

    async def _request(self, method: str, path: str, *, waits_on_channel: bool = False, **kwargs: Any) -> Reply:
        """`waits_on_channel`: Asterisk answers only once the channel's own thread has run it,
        so it goes over an idle spare socket or HTTP, never the event socket (see
        SocketRequests), and may wait longer for an HTTP connection (CHANNEL_SLOT_WAIT)."""
        socket = self.sockets.pick(waits_on_channel)
        if socket is not None:
            with self.sockets.carrying(socket, waits_on_channel):
                reply = await socket.request(method, path, kwargs.get("params"), kwargs.get("json"))
            raise_for_status(method, path, reply)
            return reply
        try:
            wait = self._channel_slot_wait if waits_on_channel else self._slot_wait
            async with self._connection_slot(method, path, wait):
                response = await self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise AriTimeout(f"{method} {path}: no answer from Asterisk in time") from exc
        except httpx.TransportError as exc:
            raise AriUnavailable(f"{method} {path}: cannot reach Asterisk ({exc})") from exc
        raise_for_status(method, path, response)
        return response

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._request(method, path, **kwargs)
        return response.json() if response.content else None

    # --- calls -------------------------------------------------------------------------

    async def ping(self) -> dict[str, Any]:
        return await self._json("GET", "asterisk/ping")  # type: ignore[no-any-return]

    async def answer(self, channel_id: str) -> None:
        # Asterisk runs an answer on the channel's own thread, so it would wait behind a
        # playback there; but Centrala answers a caller once, at the first step that talks to
        # them, before any playback on the channel (early media only comes with a refusal,
        # which ends the call unanswered). So the answer never waits, and rides the socket:
        # over HTTP it was most of the app's CPU per call (py-spy, bench/calls.py).
        await self._request("POST", f"channels/{_seg(channel_id)}/answer")

    async def answer_and_play(self, channel_id: str, media: str, playback_id: str) -> AriError | None:
        """Answer, then play: over a socket (the least busy, as any request) the play leaves
        right behind the answer on the same socket (Asterisk runs a socket's requests in the
        order they arrive, so the play starts once the caller is answered), which saves the
        caller a turn of the app before the first sound; over HTTP, one after the other.
        Raises the answer's error; returns the play's (None when it started)."""
        socket = self.sockets.pick(waits_on_channel=False)
        answer, play = f"channels/{_seg(channel_id)}/answer", f"channels/{_seg(channel_id)}/play/{_seg(playback_id)}"
        if socket is None:
            await self.answer(channel_id)
            try:
                await self.play(channel_id, media, playback_id)
            except AriError as exc:
                return exc
            return None
        answering = await socket.send("POST", answer)
        try:
            playing = await socket.send("POST", play, {"media": media})
        except AriError as exc:
            raise_for_status("POST", answer, await socket.response(answering))
            return exc
        try:
            raise_for_status("POST", answer, await socket.response(answering))
        except BaseException:
            socket.forget(playing)  # nobody waits for the play's reply now
            raise
        try:
            raise_for_status("POST", play, await socket.response(playing))
        except AriError as exc:
            return exc
        return None

    async def hangup(self, channel_id: str, reason: str = "normal") -> None:
        await self._request("DELETE", f"channels/{_seg(channel_id)}", params={"reason": reason})

    async def play(self, channel_id: str, media: str, playback_id: str) -> None:
        await self._request("POST", f"channels/{_seg(channel_id)}/play/{_seg(playback_id)}", params={"media": media})

    async def record(
        self, channel_id: str, name: str, fmt: str, max_seconds: int, beep: bool = False, terminate_on: str = "none"
    ) -> None:
        params = {
            "name": name,
            "format": fmt,
            "maxDurationSeconds": max_seconds,
            "ifExists": "fail",
            "beep": "true" if beep else "false",
            "terminateOn": terminate_on,
        }
        await self._request("POST", f"channels/{_seg(channel_id)}/record", params=params)

    async def ring(self, channel_id: str) -> None:
        await self._request("POST", f"channels/{_seg(channel_id)}/ring")

    async def start_moh(self, channel_id: str, moh_class: str = "") -> None:
        params = {"mohClass": moh_class} if moh_class else None
        await self._request("POST", f"channels/{_seg(channel_id)}/moh", params=params)

    async def stop_moh(self, channel_id: str) -> None:
        await self._request("DELETE", f"channels/{_seg(channel_id)}/moh")

    async def stop_playback(self, playback_id: str) -> None:
        await self._request("DELETE", f"playbacks/{_seg(playback_id)}")

    async def originate(
        self,
        channel_id: str,
        endpoint: str,
        app: str,
        args: tuple[str, ...],
        caller_id: str,
        timeout_seconds: int,
    ) -> None:
        """Ring `endpoint` as channel `channel_id`; it enters Stasis `app` when answered.

        A SIP REFER from the channel (a phone's transfer button) comes to `app` as a
        ChannelTransfer event instead of Asterisk acting on it by itself.
        """
        params = {
            "endpoint": endpoint,
            "app": app,
            "appArgs": ",".join(args),
            "channelId": channel_id,
            "callerId": caller_id,
            "timeout": timeout_seconds,
        }
        await self._request("POST", "channels", params=params, json={"variables": APP_TRANSFERS})

    async def move(self, channel_id: str, app: str, args: tuple[str, ...]) -> None:
        """Hand a channel in Stasis to another app, which gets StasisStart with `args`."""
        await self._request("POST", f"channels/{_seg(channel_id)}/move", params={"app": app, "appArgs": ",".join(args)})

    async def mailbox_lamp(self, extension: str, new: int, old: int) -> None:
        """Publish the message lamp of `extension` (new and heard voicemail): a Local channel
        into the dialplan's [centrala-mwi], whose MinivmMWI hands the state to res_pjsip_mwi,
        which NOTIFYs the extension's phones. Nothing answers; the channel ends by itself."""
        params = {
            "endpoint": f"Local/{extension}-{new}-{old}@centrala-mwi",
            "context": "centrala-mwi-done",
            "extension": "s",
            "priority": 1,
            "timeout": 5,
        }
        await self._request("POST", "channels", params=params)

    async def transfer_progress(self, channel_id: str, state: str) -> None:
        await self._request("POST", f"channels/{_seg(channel_id)}/transfer_progress", params={"states": state})

    async def play_bridge(self, bridge_id: str, media: str, playback_id: str) -> None:
        await self._request("POST", f"bridges/{_seg(bridge_id)}/play/{_seg(playback_id)}", params={"media": media})

    async def start_bridge_moh(self, bridge_id: str) -> None:
        await self._request("POST", f"bridges/{_seg(bridge_id)}/moh")

    async def stop_bridge_moh(self, bridge_id: str) -> None:
        await self._request("DELETE", f"bridges/{_seg(bridge_id)}/moh")

    async def user_event(
        self, app: str, name: str, channel_id: str = "", variables: dict[str, str] | None = None
    ) -> None:
        """Send `app` a ChannelUserevent: about `channel_id` (how the web reaches a live call),
        or about nothing in particular (404: no such app now)."""
        params = {"application": app} | ({"source": f"channel:{channel_id}"} if channel_id else {})
        body = {"variables": variables} if variables else None
        await self._request("POST", f"events/user/{_seg(name)}", params=params, json=body)

    async def create_bridge(self, bridge_id: str) -> None:
        await self._request("POST", f"bridges/{_seg(bridge_id)}", params={"type": "mixing,dtmf_events"})

    async def add_to_bridge(self, bridge_id: str, channels: tuple[str, ...]) -> None:
        await self._request(
            "POST",
            f"bridges/{_seg(bridge_id)}/addChannel",
            params={"channel": ",".join(channels)},
            waits_on_channel=True,
        )

    async def remove_from_bridge(self, bridge_id: str, channel_id: str) -> None:
        await self._request(
            "POST",
            f"bridges/{_seg(bridge_id)}/removeChannel",
            params={"channel": channel_id},
            waits_on_channel=True,
        )

    async def destroy_bridge(self, bridge_id: str) -> None:
        await self._request("DELETE", f"bridges/{_seg(bridge_id)}")

    async def bridges(self) -> list[dict[str, Any]]:
        """Every bridge in Asterisk, with its channels."""
        return await self._json("GET", "bridges")  # type: ignore[no-any-return]

    async def channels(self) -> list[dict[str, Any]]:
        """Every channel in Asterisk."""
        return await self._json("GET", "channels")  # type: ignore[no-any-return]

    async def recording_is_live(self, name: str) -> bool:
        """True while Asterisk is still writing recording `name`."""
        return await self._exists(f"recordings/live/{_seg(name)}")

    async def _exists(self, path: str) -> bool:
        try:
            await self._request("GET", path)
        except AriNotFound:
            return False
        return True

    async def endpoints(self, technology: str = "PJSIP") -> list[dict[str, Any]]:
        return await self._json("GET", f"endpoints/{_seg(technology)}")  # type: ignore[no-any-return]

    async def sound_exists(self, sound_id: str) -> bool:
        try:
            await self._request("GET", f"sounds/{_seg(sound_id)}")
        except AriNotFound:
            return False
        return True

    async def subscribe(self, app: str, event_sources: list[str]) -> None:
        """E.g. ["deviceState:PJSIP/101"]. Asterisk takes all or none: an endpoint or channel
        it does not have refuses the request (422); a device state is taken for any name."""
        params = {"eventSource": ",".join(event_sources)}
        await self._request("POST", f"applications/{_seg(app)}/subscription", params=params)

    async def unsubscribe(self, app: str, event_sources: list[str]) -> None:
        params = {"eventSource": ",".join(event_sources)}
        await self._request("DELETE", f"applications/{_seg(app)}/subscription", params=params)

    async def snoop(self, channel_id: str, snoop_id: str, app: str) -> None:
        """A channel `snoop_id` hearing both directions of `channel_id`, entering Stasis in `app`
        (with the argument "listener") once its thread runs: record it then, not before."""
        params = {"spy": "both", "whisper": "none", "app": app, "appArgs": "listener", "snoopId": snoop_id}
        await self._request("POST", f"channels/{_seg(channel_id)}/snoop", params=params)

    async def pause_recording(self, name: str) -> None:
        await self._request("POST", f"recordings/live/{_seg(name)}/pause")

    async def resume_recording(self, name: str) -> None:
        await self._request("DELETE", f"recordings/live/{_seg(name)}/pause")

    async def get_variable(self, channel_id: str, name: str) -> str:
        """A channel variable or dialplan function's value, e.g. CHANNEL(rtp,secure)."""
        body = await self._json("GET", f"channels/{_seg(channel_id)}/variable", params={"variable": name})
        return str(body.get("value", ""))

    async def application(self, app: str) -> dict[str, Any]:
        """The app's subscriptions: channel_ids, bridge_ids, endpoint_ids, device_names."""
        return await self._json("GET", f"applications/{_seg(app)}")  # type: ignore[no-any-return]

    async def set_event_filter(self, app: str, disallowed: list[str]) -> None:
        """Ask Asterisk not to send these event types to the app at all."""
        body = {"allowed": [], "disallowed": [{"type": kind} for kind in disallowed]}
        await self._request("PUT", f"applications/{_seg(app)}/eventFilter", json=body)

    async def reload_module(self, module: str) -> None:
        await self._request("PUT", f"asterisk/modules/{_seg(module)}")

    # --- stored recordings ---------------------------------------------------------------

    @asynccontextmanager
    async def stored_recording_file(self, name: str) -> AsyncIterator[AsyncIterator[bytes]]:
        """Stream a stored recording's bytes: `async with ari.stored_recording_file(n) as chunks:`."""
        path = f"recordings/stored/{_seg(name)}/file"
        try:
            async with (
                self._connection_slot("GET", path, self._slot_wait),
                self._http.stream("GET", path, timeout=DOWNLOAD_TIMEOUT) as response,
            ):
                if response.status_code >= 400:
                    await response.aread()
                    raise_for_status("GET", path, response)
                yield response.aiter_bytes()
        except httpx.TimeoutException as exc:
            raise AriTimeout(f"GET {path}: download timed out") from exc
        except httpx.TransportError as exc:
            raise AriUnavailable(f"GET {path}: cannot reach Asterisk ({exc})") from exc

    async def recording_is_stored(self, name: str) -> bool:
        """True when Asterisk holds a file for recording `name` (finished, or still being written)."""
        return await self._exists(f"recordings/stored/{_seg(name)}")

    async def stored_recordings(self) -> list[dict[str, Any]]:
        """Finished recordings Asterisk keeps: [{"name": ..., "format": ...}, ...]."""
        return await self._json("GET", "recordings/stored")  # type: ignore[no-any-return]

    async def delete_stored_recording(self, name: str) -> None:
        await self._request("DELETE", f"recordings/stored/{_seg(name)}")


def _seg(value: str) -> str:
    # ARI splits the path on '/' before decoding, so a name with '/' must be one encoded segment.
    return quote(value, safe="")
