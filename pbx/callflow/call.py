"""One call's logic, as a state machine with no I/O.

Theory of operation
-------------------
The pump creates a Call when Asterisk hands a channel to Stasis, then feeds it every event
for that channel, for the legs it rings (staff phones, mobiles, outside numbers) and its
timers, with `receive(event)`, and executes the commands it returns in order. The call never
waits: it records what it asked for (playback ids, leg ids, timer names) and moves on when the
matching event arrives. Time comes only from the events' timestamps.

    NEW --StasisStart--> ROUTING: one destination step at a time (announcement, menu, ringing,
     |                   voicemail, callback offer) -- goto(next) --> ... --> HANGING_UP
     |                         | a ringing leg answers
     |                         v
     |                    CONNECTED (caller and leg bridged) --either hangs up--> HANGING_UP
     +--(number not ours)--> REFUSING --PlaybackFinished--> HANGING_UP
    any state --StasisEnd / ChannelDestroyed / ChannelGone (caller)--> ENDED

ARI sends ChannelHangupRequest (with the cause), then StasisEnd, after which it stops sending
events for the channel, so the call ends at whichever of StasisEnd, ChannelDestroyed or
ChannelGone comes first. A recording still open at the end is handed over then (Asterisk
closes the file on hangup). Late or repeated events that do not fit are ignored: they are
normal with ARI. A call that walks more than MAX_HOPS destinations (a loop the admin's
validation missed) is ended politely rather than left spinning.

Around the state machine live its parts: `Legs` (the channels rung and the bridge),
`Ending` (who hung up, the cause, the outcome), `Recorder` (rules, notices, pause keys),
the steps (one per destination) and staff_calls (calls a staff phone starts, the toll
guard). Every change of state goes through `set_state`, checked against state.TRANSITIONS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from itertools import count

from pbx.phone import caller_to_e164

from . import commands as c
from . import destinations, names, pickup, resume, staff_calls, transfers
from . import events as e
from . import scenario as s
from .ending import Ending
from .legs import Legs
from .recorder import Recorder
from .stasis_args import StasisArgs, parse_stasis_args
from .state import TRANSITIONS, State
from .steps import (
    RecordingNoticeStep,
    RingStep,
    Step,
)
from .tollfraud import Usage, UsageLookup
from .vocabulary import Direction, Outcome, StepKind

log = logging.getLogger(__name__)

MAX_HOPS = 25
PlaceLookup = Callable[[str, str], int]

__all__ = ["MAX_HOPS", "Call", "State"]


class Call:
    """Feed it events with `receive`; it returns the commands to run. Never raises on events.

    `presence` maps extension numbers to whether their phone is reachable; an extension
    missing from it counts as reachable.
    """

    def __init__(
        self,
        key: str,
        channel_id: str,
        directory: s.Directory,
        presence: Mapping[str, bool] | None = None,
        usage: UsageLookup | None = None,
        places: PlaceLookup | None = None,
        pin_locked: Callable[[str], bool] | None = None,
        on_a_call: Callable[[str], bool] | None = None,
        parking_slot: Callable[[], int | None] | None = None,
        first_id: int = 1,
    ) -> None:
        self.key = key
        # extension -> whether the person is talking on another call now (forward when busy)
        self.on_a_call = on_a_call or (lambda extension: False)
        # the lowest parking slot no call waits in (None: all taken); parking.py
        self.free_parking_slot = parking_slot or (lambda: 1)
        # extension -> whether too many wrong PINs lately keep its phone services shut (services.py)
        self.pin_locked = pin_locked or (lambda extension: False)
        self.usage = usage or (lambda extension: Usage())
        self._places = places  # (queue, call key) -> this call's place among the callers waiting there
        self.refusal = "unallocated"  # the hangup reason after a refusal's message
        self.channel_id = channel_id
        self.directory = directory
        self.presence = presence if presence is not None else {}
        self.state = State.NEW
        self.step: Step | None = None
        self._ids = count(first_id)  # playback, leg and timer numbers (resume.ADOPTED_IDS when adopted)
        self.legs = Legs(key, channel_id, lambda: next(self._ids))
        self.ending = Ending()
        self.answered = False  # the caller's channel is up
        self.answer_sent = False
        self.direction: str = ""  # a Direction once started
        self.called = ""
        self.recorder = Recorder(self)
        self.caller = ""
        self.callback_task = ""
        self.hops = 0
        self.dialling_out = False  # an outside call the toll-fraud guard let through (counts toward caps)
        self.alerted_country = ""  # the new country this call alerted on

    def queue_position(self, queue: str) -> int:
        """Where this call is among the callers waiting in `queue` (1: next to be answered)."""
        return self._places(queue, self.key) if self._places is not None else 1

    def ring_started_at(self) -> datetime:
        """When the current ringing began (for pickup: the longest-ringing call first)."""
        started = getattr(self.step, "started_at", None)
        return started if isinstance(started, datetime) else datetime.max.replace(tzinfo=UTC)

    def keeps_busy(self, extension: str) -> bool:
        """Whether this call keeps `extension` busy: their phone made it and it goes on, or
        they are the one talking to its caller."""
        if self.state not in (State.ROUTING, State.CONNECTED):
            return False
        if self.direction != Direction.INBOUND and self.caller == extension:
            return True
        leg = self.legs.connected
        return leg is not None and self.legs.get(leg) == extension

    @property
    def finished(self) -> bool:
        """True once nothing more can happen to this call."""
        return self.state is State.ENDED

    @property
    def outcome(self) -> str:
        return self.ending.outcome

    @property
    def connected_leg(self) -> str | None:
        return self.legs.connected

    def set_state(self, new: State) -> None:
        """The only way the state changes. A move the table does not allow is a bug: logged as
        an error (the tests fail on it) while the call carries on, since a caller must never be
        left in silence by a bookkeeping slip."""
        if new not in TRANSITIONS[self.state]:
            log.error("call %s: %s -> %s is not an allowed move", self.key, self.state.name, new.name)
        elif log.isEnabledFor(logging.DEBUG):
            log.debug("call %s: %s -> %s", self.key, self.state.name, new.name)
        self.state = new

    # --- events in ---------------------------------------------------------------------

    def receive(self, event: e.Event) -> list[c.Command]:
        if self.state is State.ENDED:
            return []
        if event.channel_id in self.legs:
            return self._on_leg(event)
        if self.recorder.listener and event.channel_id == self.recorder.listener:
            if isinstance(event, e.RecordingFinished | e.RecordingFailed):
                return self._on_recording(event)
            return self.recorder.on_listener(event)
        match event:
            case e.StasisStart() if self.state is State.NEW:
                return self._on_start(event)
            case e.Adopted() if self.state is State.NEW:
                return resume.adopt(self, event)
            case e.ChannelStateChange(state="Up") if not self.answered:
                self.answered = True
                return [c.CallAnswered(self.channel_id, call_key=self.key, at=event.at)]
            case e.ChannelHangupRequest():
                return self._on_hangup_request(event)
            case e.StasisEnd() | e.ChannelDestroyed() | e.ChannelGone():
                return self._on_end(event)
            case e.RecordingFinished() | e.RecordingFailed():
                return self._on_recording(event)
            case e.RecordingControl():
                return self.recorder.control(event.action, by=event.by, at=event.at)
            case e.ChannelDtmfReceived() if self.state is State.CONNECTED and self.direction != Direction.INBOUND:
                return self.recorder.on_staff_key(self.caller, event)  # the staff member who dialled
            case e.PickupRequested():
                return pickup.pick_up(self, event)
            case e.TransferRequested():  # from the caller's side: not ours to act on
                return transfers.decline(self, self.channel_id, self.caller, event)
            case e.AttendedTransferRequested():  # the pump found no two calls to join
                return transfers.decline_attended(self, event)
            case e.ConsultJoins():
                return transfers.joins(self, event)
            case e.ConsultHandedOver():
                return transfers.handed_over(self, event)
            case e.CommandFailed():
                return self._on_command_failed(event)
            case e.TimerFired(name=name) if name.startswith("daily-cap"):
                # The day's outside minutes ran out during this call: a stolen account stops here.
                return [
                    self.fact(event.at, StepKind.OUTBOUND_CUT, reason="daily minutes used up"),
                    *self.hang_up(event.at),
                ]
            case e.PlaybackFinished() if self.state is State.REFUSING:
                self.ending.outcome = Outcome.REJECTED
                return self.hang_up(event.at, reason=self.refusal)
        if self.state is State.ROUTING and self.step is not None:
            return self.step.on_event(self, event)
        return []

    # --- starting ------------------------------------------------------------------------

    def _on_start(self, event: e.StasisStart) -> list[c.Command]:
        args = parse_stasis_args(event.args, event.channel.exten)
        match args:
            case StasisArgs(kind="inbound"):
                return self._start_inbound(event, args.dialled)
            case StasisArgs(kind="internal"):
                return staff_calls.start_from_phone(self, event, args.dialled, insecure=not args.over_tls)
            case StasisArgs(kind="callback"):
                return staff_calls.start_callback(
                    self, event, task_id=args.task_id, number=args.number, staff=args.staff
                )
            case StasisArgs(kind="leg"):  # a leg of a call this app no longer follows
                self.set_state(State.HANGING_UP)
                return [c.Hangup(self.channel_id, reason="normal")]
        # Arguments Centrala did not write (a comma in the dialled number adds some): refused.
        direction = Direction.OUTBOUND if event.args[:1] == ("internal",) else Direction.INBOUND
        started = self.started(event, direction, event.channel.caller_number, event.channel.exten)
        self.set_state(State.HANGING_UP)
        self.ending.outcome = Outcome.REJECTED
        refused = self.fact(event.at, StepKind.BAD_ARGUMENTS, args=list(event.args))
        return [started, refused, *self.hang_up(event.at, reason="rejected")]

    def started(self, event: e.StasisStart, direction: Direction, caller: str, called: str) -> c.CallStarted:
        self.caller, self.direction, self.called = caller, direction, called
        self.answered = event.channel.state == "Up"
        return c.CallStarted(
            self.channel_id,
            call_key=self.key,
            at=event.at,
            direction=direction,
            caller=caller,
            called=called,
            sip_call_id=event.channel.sip_call_id,
        )

    def _start_inbound(self, event: e.StasisStart, dialled: str) -> list[c.Command]:
        caller = caller_to_e164(event.channel.caller_number)
        started = self.started(event, Direction.INBOUND, caller, caller_to_e164(dialled))
        plan = self.directory.plan_for(dialled)
        if plan is None:
            return [started, *self.refuse(event, dialled)]
        entry, state, why = self.directory.entry_for(plan, event.at)
        self.set_state(State.ROUTING)
        hours = self.fact(event.at, StepKind.HOURS, state=state, why=why)
        return [started, hours, *self.goto(entry, event.at)]

    def refuse(self, event: e.StasisStart, dialled: str) -> list[c.Command]:
        """Not a number in service: the caller hears so, then the call ends."""
        self.set_state(State.REFUSING)
        play, _ = self.play(self.directory.not_in_service)
        return [self.fact(event.at, StepKind.NOT_IN_SERVICE, dialled=dialled), play]

    # --- destinations ----------------------------------------------------------------------

    def goto(self, dest_id: s.DestId | None, at: datetime, noticed: bool = False) -> list[c.Command]:
        """Leave the current step and enter `dest_id`; None (or a loop) ends the call.

        Before the destination, a recording rule may ask for its announcement first.
        """
        leaving = self._leave_step()
        self.hops += 1
        self.recorder.noticed = self.recorder.noticed or noticed
        dest = self.directory.destinations.get(dest_id) if dest_id is not None else None
        if dest_id is None or dest is None or isinstance(dest, s.HangUp):
            return [*leaving, *self.hang_up(at)]
        if self.hops > MAX_HOPS:
            return [*leaving, self.fact(at, StepKind.LOOP_STOPPED, destination=dest_id), *self.hang_up(at)]
        if isinstance(dest, s.RingExtension) and (redirect := destinations.person_redirect(self, dest.extension)):
            kind, detail, target = redirect  # do-not-disturb or the person's own forward
            fact = self.fact(at, kind, **detail)
            return [*leaving, fact, *self.goto(target if target is not None else dest.no_answer, at)]
        notice = self._recording_notice(at, destination=dest_id)
        if notice is not None:
            return [*leaving, *notice]
        return [*leaving, *self.enter(destinations.step_for(self, dest, at), at)]

    def _recording_notice(self, at: datetime, destination: s.DestId) -> list[c.Command] | None:
        """Commands for the announcement of a recording rule that applies here, if one does."""
        if self.recorder.noticed:
            return None
        first_hop = self.hops == 1  # call-wide rules apply at the call's first destination
        rung = destinations.people_rung_at(self.directory, self.directory.destinations.get(destination), at)
        rule = next(
            (
                r
                for r in self.directory.recording_rules
                if r.matches(self.direction, self.called, destination, "")
                or (first_hop and r.matches(self.direction, self.called, None, ""))
                # a rule for a person: announced before their phone rings, recorded if they answer
                or (
                    r.mode == "always"
                    and r.extension in rung
                    and (
                        r.matches(self.direction, self.called, destination, r.extension)
                        or r.matches(self.direction, self.called, None, r.extension)
                    )
                )
            ),
            None,
        )
        if rule is None:
            return None
        self.recorder.noticed = True
        if rule.mode == "never" or not rule.announcement:
            return [self.fact(at, StepKind.NOT_RECORDED, rule=rule.name), *self.goto(destination, at, noticed=True)]
        self.hops -= 1  # the notice is not a hop of its own
        return self.enter(RecordingNoticeStep(rule, then=destination), at)

    def _leave_step(self) -> list[c.Command]:
        """Undo what the current step left running (timers, ringing legs, hold music)."""
        step, self.step = self.step, None
        return step.stop(self) if step is not None else []

    def enter(self, step: Step, at: datetime) -> list[c.Command]:
        self.step = step
        return step.start(self, at)

    # --- legs --------------------------------------------------------------------------------

    def _on_leg(self, event: e.Event) -> list[c.Command]:
        leg_id, legs = event.channel_id, self.legs
        if isinstance(event, e.StasisStart):
            return self.leg_answered(leg_id, event.at)
        if self.recorder.called_notice and self.recorder.called_notice[0] == leg_id:
            heard = self.recorder.on_called_notice(event)
            if heard is not None:
                return [*heard, *self.join(leg_id, True, event.at)]
        if isinstance(event, e.ChannelDtmfReceived) and leg_id == legs.connected:
            if legs[leg_id] not in self.directory.people:
                return []  # the outside party's keys control nothing
            return self.recorder.on_staff_key(legs[leg_id], event)
        if isinstance(event, e.TransferRequested) and leg_id == legs.connected:
            return transfers.blind(self, leg_id, event)
        if isinstance(event, e.AttendedTransferRequested):
            return transfers.decline_attended(self, event)
        if not isinstance(event, e.StasisEnd | e.ChannelDestroyed | e.CommandFailed | e.ChannelGone):
            return []
        if leg_id == legs.connected:
            legs.connected = None
            if self.state is State.CONNECTED:
                return [self.fact(event.at, StepKind.STAFF_HUNG_UP, target=legs[leg_id]), *self.hang_up(event.at)]
            return []
        if isinstance(self.step, RingStep) and leg_id in self.step.ringing:
            return self.step.on_leg_failed(self, leg_id, event)
        return []

    def leg_answered(self, leg_id: str, at: datetime) -> list[c.Command]:
        """A phone this call rings answered (or picked the call up): it gets the caller."""
        step = self.step
        if self.state is not State.ROUTING or not isinstance(step, RingStep) or leg_id not in step.ringing:
            return [c.Hangup(leg_id, reason="normal")]  # answered too late: someone else has the call
        step.ringing.discard(leg_id)
        leaving = self._leave_step()
        first_person = not self.ending.talked  # after a transfer, the bridge and the caller in it exist
        self.set_state(State.CONNECTED)
        self.ending.talked = True
        self.legs.connected = leg_id
        label = self.legs[leg_id]
        facts: list[c.Command] = [self.fact(at, StepKind.CONNECTED, target=label)]
        if self.callback_task:
            facts.append(c.CallbackConnected(self.channel_id, call_key=self.key, at=at, task_id=self.callback_task))
        if first_person and (notice := self.recorder.notice_to_called(leg_id, label, at)):
            return [*leaving, *facts, *notice]  # connected once the called party has heard it
        return [*leaving, *facts, *self.join(leg_id, first_person, at)]

    def join(self, leg_id: str, first_person: bool, at: datetime) -> list[c.Command]:
        """Put the caller and the leg that answered together, and record if a rule says so."""
        recording = self.recorder.on_connected(self.legs[leg_id], at, transfer=not first_person)
        return [*self.answer_caller(), *self.legs.join(leg_id, first_person), *recording]

    # --- helpers for steps -------------------------------------------------------------------

    def fact(self, at: datetime, kind: StepKind, **detail: object) -> c.CallStep:
        return c.CallStep(self.channel_id, call_key=self.key, at=at, kind=kind, detail=dict(detail))

    def callback_fact(self, at: datetime, reason: str) -> c.CallbackRequested:
        on_duty = self.directory.rota.on_duty(at)
        return c.CallbackRequested(
            self.channel_id,
            call_key=self.key,
            at=at,
            number=self.caller,
            reason=reason,
            assign_to=on_duty[0] if on_duty else "",
        )

    def play(self, media: str) -> tuple[c.Play, str]:
        playback_id = self.new_playback_id()
        return c.Play(self.channel_id, playback_id=playback_id, media=media), playback_id

    def new_playback_id(self) -> str:
        return names.playback(self.key, next(self._ids))

    def timer(self, purpose: str, seconds: float) -> tuple[c.StartTimer, str]:
        name = f"{purpose}-{next(self._ids)}"
        return c.StartTimer(self.channel_id, name=name, seconds=seconds), name

    def answer_caller(self) -> list[c.Command]:
        if self.answered or self.answer_sent:
            return []
        self.answer_sent = True
        return [c.Answer(self.channel_id)]

    def hang_up(self, at: datetime, reason: str = "normal") -> list[c.Command]:
        leaving = self._leave_step()
        legs = self.legs.hang_up_connected()
        self.set_state(State.HANGING_UP)
        self.ending.centrala_hangs_up(reason)
        return [
            *leaving,
            *legs,
            self.fact(at, StepKind.HANGUP, reason=reason),
            c.Hangup(self.channel_id, reason=reason),
        ]

    # --- the end -----------------------------------------------------------------------------

    def _on_hangup_request(self, event: e.ChannelHangupRequest) -> list[c.Command]:
        self.ending.hangup_requested(event.cause, event.soft)
        if self.state is State.HANGING_UP:
            return []
        commands: list[c.Command] = [self.fact(event.at, StepKind.CALLER_HUNG_UP, cause=event.cause)]
        step = self.step
        if isinstance(step, RingStep) and step.kind.rings_the_firm and not (step.waiting and step.waiting.over):
            self.ending.abandoned = True
            commands.append(self.callback_fact(event.at, "abandoned"))
        leaving = [*self._leave_step(), *self.legs.hang_up_connected()]
        self.set_state(State.HANGING_UP)
        self.ending.caller_hangs_up()
        return [*commands, *leaving]

    def _on_recording(self, event: e.RecordingFinished | e.RecordingFailed) -> list[c.Command]:
        stopped = self.recorder.on_stopped(event)
        if stopped is None:  # not the recorder's: a step's own (a prompt recorded by phone)
            return self.step.on_event(self, event) if self.state is State.ROUTING and self.step else []
        kind, commands = stopped
        if kind == "voicemail" and isinstance(event, e.RecordingFinished):
            self.ending.left_message = True
            commands.append(self.callback_fact(event.at, "voicemail"))
        if self.state is State.ROUTING:
            commands += self.hang_up(event.at)
        return commands

    def _on_command_failed(self, event: e.CommandFailed) -> list[c.Command]:
        step = self.fact(event.at, StepKind.COMMAND_FAILED, command=event.command, error=event.error)
        if event.gone or self.state is State.HANGING_UP:
            return [step]
        self.ending.outcome = Outcome.FAILED
        return [step, *self.hang_up(event.at)]

    def _on_end(self, event: e.Event) -> list[c.Command]:
        ending = self.ending
        if isinstance(event, e.ChannelDestroyed):
            ending.final(lost=False, destroyed_cause=event.cause, destroyed_text=event.cause_text)
        else:
            ending.final(lost=isinstance(event, e.ChannelGone))
        leaving = [*self._leave_step(), *self.legs.hang_up_connected(), *self.legs.clean_up()]
        self.set_state(State.ENDED)
        ended = c.CallEnded(
            self.channel_id,
            call_key=self.key,
            at=event.at,
            outcome=ending.outcome,
            cause=ending.cause,
            cause_text=ending.cause_text,
            hung_up_by=ending.hung_up_by,
            abandoned=ending.abandoned,
        )
        return [*leaving, ended, *self.recorder.hand_over(event.at)]
