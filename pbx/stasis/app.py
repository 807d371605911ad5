"""The Stasis pump: ARI events in, call-flow core, ARI commands and facts out.

    event source --> dispatch (sync, never blocks) --> one queue + task per call (worker.py)
                                                        |
                               call.receive(event) -> commands, in order:
                               actions -> executor.py -> ARI; facts -> CallStore (DB off this path)

Each call has its own task, so a slow ARI request for one call never delays another call's
events. A failed action comes back to its call as a CommandFailed event. After every
(re)connect the reconciler closes the calls ARI no longer has.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Protocol

from pbx.actions import open_calls_on, recordings_owed
from pbx.ari.client import AriClient
from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow import names, parking
from pbx.callflow.call import Call
from pbx.callflow.resume import ADOPTED_IDS
from pbx.callflow.scenario import Directory
from pbx.callflow.stasis_args import StasisArgs, parse_stasis_args
from pbx.callflow.steps import RingStep
from pbx.callflow.tollfraud import OutboundHistory, Usage
from pbx.callflow.workers import SOLE, Worker, serves_here

from . import handover
from .adoption import Adoption
from .call_store import CallStore
from .executor import AriExecutor
from .lamps import LampLoader, Lamps
from .mailboxes import DatabaseMailboxes
from .pins import WrongPins
from .presence import Presence, staff_logins
from .probe import EncryptionProbe
from .reconciler import Reconciler
from .routes import Routes
from .to_first import ToFirst
from .worker import CallWorker

log = logging.getLogger(__name__)

DirectoryLoader = Callable[[], Awaitable[Directory]]
HistoryLoader = Callable[[], Awaitable[OutboundHistory]]
Dispatch = Callable[[e.Event], None]


class EventSource(Protocol):
    """Where the pump's events come from: ARI's websocket (pbx.ari.stream.EventStream), or a
    test's scripted list. `run` calls `on_connected` after every (re)connect."""

    async def run(self, dispatch: Dispatch, on_connected: Callable[[], Awaitable[None]]) -> None: ...

    async def stop(self) -> None: ...


class StasisApp:
    def __init__(
        self,
        app_name: str,
        ari: AriClient,
        stream: EventSource,
        store: CallStore,
        load_directory: DirectoryLoader,
        *,
        refresh_seconds: float = 10.0,
        load_history: HistoryLoader | None = None,
        sweep_seconds: float = 30.0,
        load_lamps: LampLoader | None = None,
        worker: Worker = SOLE,
        first_app: str = "",
    ) -> None:
        """`worker`: which of the STASIS_WORKERS processes this is; any but the first serves
        only calls that meet no other call (pbx/callflow/workers.py) and passes any other to
        the first, whose app is `first_app`."""
        self.app_name = app_name
        self.worker = worker
        self.first_app = first_app or app_name
        self.ari = ari
        self.stream = stream
        self.store = store
        self.load_directory = load_directory
        self.refresh_seconds = refresh_seconds
        self.load_history = load_history
        self.history = OutboundHistory()
        self.directory = Directory()
        self.routes: Routes[CallWorker] = Routes()
        self.presence: dict[str, bool] = {}  # extension -> phone reachable
        self.executor = AriExecutor(ari, app_name, self.routes, DatabaseMailboxes(store.db))
        self.probe = EncryptionProbe(ari, store.submit)
        adoption = Adoption(
            ari,
            self.routes,
            lambda channels: store.db.run(open_calls_on, channels),
            owed=lambda keys: store.db.run(recordings_owed, keys),
        )
        self.phones = Presence(ari, app_name, self.presence)
        self.to_first = ToFirst(ari, self.first_app, self._serve_here, store.submit)
        self.reconciler = Reconciler(
            ari,
            app_name,
            store,
            self.routes,
            sweep_seconds,
            adoption=(adoption, self),
            worker=worker,
            handing_over=self.to_first.channels,
        )
        self.lamps = Lamps(ari, load_lamps if worker.first else None)  # the lamps are the first's to light
        self.pins = WrongPins()
        self._tasks: dict[asyncio.Task[None], CallWorker] = {}
        self._callbacks: dict[str, CallWorker] = {}  # click-to-call task -> the call its first phone made
        self.stopping = False
        self._stopped = asyncio.Event()
        self._configuration_changed = asyncio.Event()  # the admin said so: read it now

    @property
    def reconciled(self) -> asyncio.Event:
        """Set once the app has reconciled with ARI and swept the history."""
        return self.reconciler.reconciled

    async def run(self) -> None:
        """Serve calls until `stop()`."""
        self.directory = await self.load_directory()
        await self._load_history()
        background = [
            asyncio.create_task(self.store.run(), name="call-store"),
            asyncio.create_task(self._refresh_directory(), name="directory"),
            asyncio.create_task(self.reconciler.sweep_periodically(), name="sweep"),
        ]
        try:
            await self.stream.run(self.dispatch, on_connected=self._on_connected)
            if self.stopping:
                await self._stopped.wait()  # the call store must drain before it is cancelled
        finally:
            for task in background:
                task.cancel()

    async def _on_connected(self) -> None:
        self.phones.forget()
        await self._follow_phones()  # before callers are taken back and rung
        await self.reconciler.reconcile()
        self.lamps.forget()
        await self.lamps.refresh()

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
        if isinstance(event, e.ConfigurationChanged):
            self._configuration_changed.set()
            return
        if isinstance(event, e.AttendedTransferRequested):
            handover.attended_transfer(self.routes, event)
            return
        worker = self.routes.find(event.channel_id)
        if worker is None and event.channel_id in self.to_first:
            self.to_first.on_event(event)
            return
        if worker is None:
            if not isinstance(event, e.StasisStart) or names.is_our_listener(event.channel_id):
                # A listener whose call ended before it entered Stasis ends with its channel.
                log.debug("ignoring %s for unknown channel %r", type(event).__name__, event.channel_id)
                return
            if not serves_here(self.directory, self.worker, event.args, event.channel.exten):
                self.to_first.pass_start(event)
                return
            args = parse_stasis_args(event.args, event.channel.exten)
            if args is not None and (
                handover.pickup_or_unpark(self.routes, self.directory, event, args)
                or self._callback_phone(event, args)
                or self._resumed(event, args)
            ):
                return
            worker = self._start_call(event.channel_id)
        worker.feed(event)

    def _serve_here(self, channel_id: str, first_event: e.StasisStart | e.Adopted, key: str) -> None:
        """A call the first worker did not take (to_first.py): served here after all."""
        adopted = isinstance(first_event, e.Adopted)
        worker = self.start_adopted(channel_id, key) if adopted else self._start_call(channel_id)
        worker.feed(first_event)

    def _resumed(self, event: e.StasisStart, args: StasisArgs) -> bool:
        """A caller another worker took back after it restarted and passed here (to_first.py):
        taken back under its key, as that worker would have (the line was interrupted, then
        the scenario from its entry, which now rings someone)."""
        if args.kind != "resume":
            return False
        channel = event.channel
        adopted = e.Adopted(
            at=event.at, channel_id=channel.id, channel=channel, where="entry", inbound=True, known=args.known
        )
        if args.known:  # its row is this worker's to close from now on (the other says so too)
            self.store.submit(c.CallPassed(channel.id, call_key=args.call_key, at=event.at, worker=self.worker.number))
        self.start_adopted(event.channel_id, args.call_key).feed(adopted)
        return True

    def pass_adopted(self, event: e.Adopted, key: str) -> bool:
        """Whether a caller this worker took back, whose scenario would start again from its
        entry, is the first worker's now (its number rings someone since Asterisk's last
        reload): then it is passed there instead of served here (adoption.py)."""
        exten = event.channel.exten
        if event.where != "entry" or not event.inbound:
            return False
        if serves_here(self.directory, self.worker, ("inbound", exten), exten):
            return False
        self.to_first.pass_adopted(event, key)
        return True

    def _callback_phone(self, event: e.StasisStart, args: StasisArgs) -> bool:
        """Click-to-call rings all of a person's phones: the first to answer starts the call;
        one answering after it goes to that call (which lets it go), never starting a second
        call to the customer."""
        if args.kind != "callback":
            return False
        worker = self._callbacks.get(args.task_id)
        if worker is None:  # the first phone to answer: its call (noted now, before it runs)
            self._callbacks[args.task_id] = worker = self._start_call(event.channel_id)
        else:
            self.routes.legs[event.channel_id] = worker
        worker.feed(event)
        return True

    def start_adopted(self, channel_id: str, key: str) -> CallWorker:
        """A call for a caller the app lost track of (adoption.py): its own key, when its
        history row exists, and ids that cannot meet the lost call's."""
        return self._start_call(channel_id, key, first_id=ADOPTED_IDS)

    def _start_call(self, channel_id: str, key: str = "", first_id: int = 1) -> CallWorker:
        key = key or str(uuid.uuid4())
        call = Call(
            key,
            channel_id,
            self.directory,
            self.presence,
            usage=self.outbound_usage,
            places=self.place_in,
            pin_locked=self.pins.locked,
            on_a_call=self.on_a_call,
            parking_slot=lambda: parking.free_slot(w.call for w in self.routes.calls()),
            first_id=first_id,
        )
        worker = CallWorker(call, self)
        self.routes.callers[channel_id] = worker
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
            self.routes.forget(worker)
            for task in [t for t, w in self._callbacks.items() if w is worker]:
                del self._callbacks[task]

    async def execute(self, worker: CallWorker, command: c.Command) -> bool:
        return await self.executor.execute(worker, command)

    async def answer_and_play(self, worker: CallWorker, answer: c.Answer, play: c.Play) -> bool:
        return await self.executor.answer_and_play(worker, answer, play)

    def record(self, call: Call, fact: c.Fact) -> None:
        """A fact from a call: to the call store, and to the pump itself where it acts on it."""
        if isinstance(fact, c.CallStarted) and not self.worker.first:
            fact = dataclasses.replace(fact, worker=self.worker.number)
        self.store.submit(fact)
        self.probe.note(call, fact, self.directory.people)
        self.pins.note(fact)

    # --- configuration ---------------------------------------------------------------

    async def _refresh_directory(self) -> None:
        """Every `refresh_seconds`, and at once when the admin says the configuration changed
        (a new number answers within a moment, not "not in service" for up to 10 s)."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._configuration_changed.wait(), self.refresh_seconds)
            self._configuration_changed.clear()
            try:
                self.directory = await self.load_directory()
            except Exception:
                log.exception("could not reload the configuration; keeping the previous one")
            await self._follow_phones()  # a phone added meanwhile
            await self._load_history()
            await self.lamps.refresh()

    async def _follow_phones(self) -> None:
        """Only the first worker rings anyone, so only it follows the staff phones."""
        if self.worker.first:
            await self.phones.follow(staff_logins(self.directory))

    async def _load_history(self) -> None:
        if self.load_history is None:
            return
        try:
            self.history = await self.load_history()
        except Exception:
            log.exception("could not read today's outside calls; keeping the previous figures")

    def place_in(self, queue: str, call_key: str) -> int:
        """A call's place among those waiting in `queue`, by when they started waiting (in
        memory, no I/O; with several Stasis workers, every queue's callers are the first's)."""
        waiting = sorted(
            (step.started_at, call.key)
            for call in (w.call for w in self.routes.calls())
            if isinstance(step := call.step, RingStep) and step.queue == queue and step.started_at is not None
        )
        keys = [key for _, key in waiting]
        return keys.index(call_key) + 1 if call_key in keys else 1

    def on_a_call(self, extension: str) -> bool:
        """Whether `extension` is busy on a call now (in memory, no I/O; with several Stasis
        workers, every call that rings or connects a person is the first's)."""
        return any(call.keeps_busy(extension) for call in (w.call for w in self.routes.calls()))

    def outbound_usage(self, extension: str) -> Usage:
        """For the toll-fraud guard, at the start of an outside call: in memory, no I/O."""
        calls = [w.call for w in self.routes.calls()]
        live = sum(1 for call in calls if call.dialling_out and call.caller == extension and not call.finished)
        return Usage(live, self.history.minutes_today.get(extension, 0.0), self.known_countries())

    def known_countries(self) -> frozenset[str]:
        # Countries alerted on since the last refresh count as known, so a burst alerts once.
        fresh = {w.call.alerted_country for w in self.routes.calls() if w.call.alerted_country}
        return self.history.known_countries | fresh
