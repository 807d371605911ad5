"""The Stasis pump: ARI events in, call-flow core, ARI commands and facts out.

    websocket --> dispatch (sync, never blocks) --> one queue + task per call
                                                        |
                               call.receive(event) -> commands, in order:
                               actions -> AriClient; facts -> CallStore (DB off this path)

Each call has its own task, so a slow ARI request for one call never delays another call's
events. A failed action comes back to its call as a CommandFailed event. After every
(re)connect the pump reconciles: calls ARI no longer has are closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from pbx.ari.client import AriClient, AriError, AriNotFound
from pbx.ari.stream import EventStream
from pbx.call_store import CallStore
from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow import names
from pbx.callflow.call import Call
from pbx.callflow.scenario import Directory
from pbx.callflow.tollfraud import OutboundHistory, Usage

log = logging.getLogger(__name__)

DirectoryLoader = Callable[[], Awaitable[Directory]]
HistoryLoader = Callable[[], Awaitable[OutboundHistory]]
# Events no call needs: dropping them in Asterisk saves a JSON encode, a socket write and a
# parse per event (ChannelVarset alone comes several times per call).
UNWANTED_EVENTS = ["ChannelVarset", "ChannelDialplan", "ChannelCallerId", "ChannelConnectedLine"]


class CallWorker:
    """Runs one call: takes its events in arrival order and executes what the core returns."""

    def __init__(self, call: Call, app: StasisApp) -> None:
        self.call = call
        self.app = app
        self.queue: asyncio.Queue[e.Event] = asyncio.Queue()
        self.busy = False  # executing the commands of one event
        self.timers: dict[str, asyncio.TimerHandle] = {}

    def start_timer(self, name: str, seconds: float) -> None:
        event = e.TimerFired(at=_now(), channel_id=self.call.channel_id, name=name)
        loop = asyncio.get_running_loop()
        self.timers[name] = loop.call_later(seconds, lambda: self._fire(name, event))

    def _fire(self, name: str, event: e.TimerFired) -> None:
        if self.timers.pop(name, None) is not None:
            self.feed(e.TimerFired(at=_now(), channel_id=event.channel_id, name=name))

    def cancel_timer(self, name: str) -> None:
        handle = self.timers.pop(name, None)
        if handle is not None:
            handle.cancel()

    def cancel_all_timers(self) -> None:
        for handle in self.timers.values():
            handle.cancel()
        self.timers.clear()

    async def run(self) -> None:
        while not self.call.finished and not self.app.stopping:
            event = await self.queue.get()
            self.busy = True
            try:
                await self._run_step(event)
            finally:
                self.busy = False

    async def _run_step(self, event: e.Event) -> None:
        failed: set[str] = set()  # channels whose action failed in this step
        for command in self.call.receive(event):
            if isinstance(command, c.Fact):
                self.app.store.submit(command)
                self.app.note(self.call, command)
            elif (command.channel_id not in failed or isinstance(command, c.Hangup | c.CancelTimer)) and not (
                await self.app.execute(self, command)
            ):
                # after a failed action on a channel, the rest of this step for it makes no sense
                failed.add(command.channel_id)

    def feed(self, event: e.Event) -> None:
        self.queue.put_nowait(event)


class StasisApp:
    def __init__(
        self,
        app_name: str,
        ari: AriClient,
        stream: EventStream,
        store: CallStore,
        load_directory: DirectoryLoader,
        *,
        refresh_seconds: float = 10.0,
        load_history: HistoryLoader | None = None,
        sweep_seconds: float = 30.0,
    ) -> None:
        self.app_name = app_name
        self.ari = ari
        self.stream = stream
        self.store = store
        self.load_directory = load_directory
        self.refresh_seconds = refresh_seconds
        self.load_history = load_history
        self.sweep_seconds = sweep_seconds
        self.history = OutboundHistory()
        self._probes: set[asyncio.Future[None]] = set()
        self.directory = Directory()
        self.workers: dict[str, CallWorker] = {}  # caller and leg channel ids -> their call
        self.presence: dict[str, bool] = {}  # extension -> phone reachable
        self._tasks: dict[asyncio.Task[None], CallWorker] = {}
        self.stopping = False
        self._stopped = asyncio.Event()
        self.connected = False  # reconciled with ARI at least once
        self.reconciled = asyncio.Event()  # and swept (that needs the database)

    async def run(self) -> None:
        """Serve calls until `stop()`."""
        self.directory = await self.load_directory()
        await self._load_history()
        background = [
            asyncio.create_task(self.store.run(), name="call-store"),
            asyncio.create_task(self._refresh_directory(), name="directory"),
            asyncio.create_task(self._sweep_periodically(), name="sweep"),
        ]
        try:
            await self.stream.run(self.dispatch, on_connected=self.reconcile)
            if self.stopping:
                await self._stopped.wait()  # the call store must drain before it is cancelled
        finally:
            for task in background:
                task.cancel()

    async def stop(self, timeout: float = 15.0) -> None:
        """Stop reading events, finish the call steps in flight, write what is queued.

        Calls stay up in Asterisk; the next start reconciles them.
        """
        self.stopping = True
        await self.stream.stop()
        for task, worker in list(self._tasks.items()):
            if not worker.busy:
                task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)
        try:
            await self.store.drain(timeout)
        finally:
            self._stopped.set()

    # --- events ----------------------------------------------------------------------

    def dispatch(self, event: e.Event) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("event %s for %r", type(event).__name__, event.channel_id)
        if isinstance(event, e.EndpointStateChange):
            self.presence[event.resource] = event.online
            return
        worker = self.workers.get(event.channel_id)
        if worker is None:
            if not isinstance(event, e.StasisStart):
                log.debug("ignoring %s for unknown channel %r", type(event).__name__, event.channel_id)
                return
            worker = self._start_call(event.channel_id)
        worker.feed(event)

    def _start_call(self, channel_id: str) -> CallWorker:
        call = Call(str(uuid.uuid4()), channel_id, self.directory, self.presence, usage=self.outbound_usage)
        worker = CallWorker(call, self)
        self.workers[channel_id] = worker
        task = asyncio.create_task(self._run_worker(worker), name=f"call-{channel_id}")
        self._tasks[task] = worker
        task.add_done_callback(lambda done: self._tasks.pop(done, None))
        return worker

    async def _run_worker(self, worker: CallWorker) -> None:
        try:
            await worker.run()
        except asyncio.CancelledError:
            pass  # stopping while the call waits for its next event
        except Exception:
            log.exception("call %s crashed; the pump goes on", worker.call.channel_id)
        finally:
            worker.cancel_all_timers()
            for key in [k for k, w in self.workers.items() if w is worker]:
                del self.workers[key]

    # --- commands --------------------------------------------------------------------

    async def execute(self, worker: CallWorker, command: c.Command) -> bool:
        """Run one action. A failed ARI request goes back to the call as CommandFailed."""
        if isinstance(command, c.StartTimer):
            worker.start_timer(command.name, command.seconds)
            return True
        if isinstance(command, c.CancelTimer):
            worker.cancel_timer(command.name)
            return True
        try:
            await self._ari_action(worker, command)
            return True
        except AriError as exc:
            gone = isinstance(exc, AriNotFound)
            log.info("%s on %s failed: %s", type(command).__name__, command.channel_id, exc)
            worker.feed(
                e.CommandFailed(
                    at=_now(), channel_id=command.channel_id, command=type(command).__name__, error=str(exc), gone=gone
                )
            )
            return False

    async def _ari_action(self, worker: CallWorker, command: c.Command) -> None:
        ari = self.ari
        match command:
            case c.Answer(channel_id=channel):
                await ari.answer(channel)
            case c.Play(channel_id=channel, playback_id=playback, media=media):
                await ari.play(channel, media, playback)
            case c.Record(channel_id=channel, name=name, fmt=fmt, max_seconds=seconds, beep=beep):
                await ari.record(channel, name, fmt, seconds, beep=beep)
            case c.Hangup(channel_id=channel, reason=reason):
                await ari.hangup(channel, reason)
            case c.Ring(channel_id=channel):
                await ari.ring(channel)
            case c.StartMoh(channel_id=channel):
                await ari.start_moh(channel)
            case c.StopMoh(channel_id=channel):
                await ari.stop_moh(channel)
            case c.StopPlayback(playback_id=playback):
                with contextlib.suppress(AriNotFound):  # it ended meanwhile (a key as the prompt ends): stopped
                    await ari.stop_playback(playback)
            case c.Originate():
                self.workers[command.channel_id] = worker  # its events must find this call
                caller_id = (
                    f'"{command.caller_name}" <{command.caller_number}>'
                    if command.caller_name
                    else command.caller_number
                )
                await ari.originate(
                    command.channel_id,
                    command.endpoint,
                    self.app_name,
                    command.args,
                    caller_id,
                    command.timeout_seconds,
                )
            case c.CreateBridge(bridge_id=bridge):
                self.workers[f"bridge:{bridge}"] = worker  # bridge recording events name the bridge
                await ari.create_bridge(bridge)
            case c.RecordBridge(bridge_id=bridge, name=name, fmt=fmt):
                await ari.record_bridge(bridge, name, fmt)
            case c.PauseRecording(name=name):
                await ari.pause_recording(name)
            case c.ResumeRecording(name=name):
                await ari.resume_recording(name)
            case c.AddToBridge(bridge_id=bridge, channels=channels):
                await ari.add_to_bridge(bridge, channels)
            case c.TransferProgress(channel_id=channel, state=state):
                await ari.transfer_progress(channel, state)
            case c.PlayBridge(bridge_id=bridge, playback_id=playback, media=media):
                await ari.play_bridge(bridge, media, playback)
            case c.StartBridgeMoh(bridge_id=bridge):
                await ari.start_bridge_moh(bridge)
            case c.StopBridgeMoh(bridge_id=bridge):
                await ari.stop_bridge_moh(bridge)
            case c.DestroyBridge(bridge_id=bridge):
                await ari.destroy_bridge(bridge)
            case _:
                raise TypeError(f"no ARI action for {command!r}")

    # --- reconnects and configuration ------------------------------------------------

    async def reconcile(self) -> None:
        """Ask ARI which of our channels still exist; close the calls that do not."""
        try:
            await self.ari.set_event_filter(self.app_name, UNWANTED_EVENTS)
            await self._load_presence()
            app = await self.ari.application(self.app_name)
        except AriError as exc:
            log.warning("could not reconcile with ARI: %s", exc)
            return
        live = set(app.get("channel_ids", []))
        now = _now()
        for channel_id, worker in list(self.workers.items()):
            if channel_id not in live:
                worker.feed(e.ChannelGone(at=now, channel_id=channel_id))
        self.connected = True
        if await self._sweep(app):
            self.reconciled.set()

    async def _sweep(self, app: dict[str, Any]) -> bool:
        """Close the calls whose end nobody saw (the app was down, or they are from before a
        restart and ended since), close the bridges they left (which ends their recordings),
        then store the recordings Asterisk finished meanwhile."""
        live = set(app.get("channel_ids", []))
        try:
            # Our calls: those Asterisk had when asked, and those the app follows when the
            # history is judged (calls that began since are missing from Asterisk's answer).
            closed = await self.store.close_lost_calls(lambda: live | set(self.workers), _now())
        except Exception:
            log.exception("could not close lost calls in the history")
            return False
        if closed is None:
            log.info("sweep postponed: call facts still wait for the database")
            return False
        if closed:
            log.warning("closed %d calls whose end was missed", closed)
        try:
            await self._close_abandoned_bridges()
            await self.store.recover_recordings()
        except Exception:
            log.exception("could not look for recordings finished while the app was away; next sweep tries again")
        return True

    async def _close_abandoned_bridges(self) -> None:
        """A bridge outlives the app that made it (ours are named "<call>-bridge"). When no call
        of this app owns it and fewer than two people are left in it, the conversation is over:
        whoever is left (staff still on the line after the caller hung up while the app was
        away) is hung up, and the bridge destroyed, which makes Asterisk finish its recording."""
        for bridge in await self.ari.bridges():
            bridge_id, left = bridge.get("id", ""), bridge.get("channels", [])
            if not names.is_our_bridge(bridge_id) or len(left) > 1 or f"bridge:{bridge_id}" in self.workers:
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

    async def _sweep_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_seconds)
            if not self.connected:
                continue  # not connected yet: the reconcile on connect sweeps first
            try:
                app = await self.ari.application(self.app_name)
            except AriError as exc:
                log.info("sweep skipped: %s", exc)
                continue
            if await self._sweep(app):
                self.reconciled.set()

    async def _load_presence(self) -> None:
        """Which phones are reachable now; EndpointStateChange events keep it current."""
        await self.ari.subscribe(self.app_name, "endpoint:PJSIP")
        for endpoint in await self.ari.endpoints("PJSIP"):
            self.presence[endpoint["resource"]] = endpoint.get("state") == "online"

    async def _refresh_directory(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_seconds)
            try:
                self.directory = await self.load_directory()
            except Exception:
                log.exception("could not reload the configuration; keeping the previous one")
            await self._load_history()

    async def _load_history(self) -> None:
        if self.load_history is None:
            return
        try:
            self.history = await self.load_history()
        except Exception:
            log.exception("could not read today's outside calls; keeping the previous figures")

    def note(self, call: Call, fact: c.Fact) -> None:
        """Facts the pump itself acts on: a staff phone on a call gets its encryption checked."""
        if isinstance(fact, c.CallStarted) and fact.direction in ("outbound", "internal"):
            self._probe(fact.channel_id, call.key, fact.caller)
        elif isinstance(fact, c.CallStep) and fact.kind == "connected" and call.connected_leg:
            target = str(fact.detail.get("target", ""))
            if target in self.directory.people:
                self._probe(call.connected_leg, call.key, target)

    def _probe(self, channel_id: str, call_key: str, extension: str) -> None:
        task = asyncio.ensure_future(self._probe_encryption(channel_id, call_key, extension))
        self._probes.add(task)
        task.add_done_callback(self._probes.discard)

    async def _probe_encryption(self, channel_id: str, call_key: str, extension: str) -> None:
        """Ask Asterisk (never assume from the configuration) whether the phone's signalling
        came over TLS and its audio is SRTP. Off the call's own path; a failure only logs."""
        try:
            tls = await self.ari.get_variable(channel_id, "CHANNEL(pjsip,secure)")
            srtp = await self.ari.get_variable(channel_id, "CHANNEL(rtp,secure)")
        except AriError as exc:
            log.info("could not check encryption of %s (%s): %s", extension, channel_id, exc)
            return
        self.store.submit(
            c.PhoneEncryption(
                channel_id, call_key=call_key, at=_now(), extension=extension, tls=tls == "1", srtp=srtp == "1"
            )
        )

    def outbound_usage(self, extension: str) -> Usage:
        """For the toll-fraud guard, at the start of an outside call: in memory, no I/O."""
        calls = {id(w.call): w.call for w in self.workers.values()}.values()
        live = sum(1 for call in calls if call.dialling_out and call.caller == extension and not call.finished)
        return Usage(live, self.history.minutes_today.get(extension, 0.0), self.known_countries())

    def known_countries(self) -> frozenset[str]:
        # Countries alerted on since the last refresh count as known, so a burst alerts once.
        fresh = {w.call.alerted_country for w in self.workers.values() if w.call.alerted_country}
        return self.history.known_countries | fresh


def _now() -> datetime:
    return datetime.now(UTC)
