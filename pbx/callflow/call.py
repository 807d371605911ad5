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
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from itertools import count
from zoneinfo import ZoneInfo

from pbx.phone import InvalidPhoneNumber, caller_to_e164, to_e164

from . import commands as c
from . import events as e
from . import scenario as s
from .emergency import EMERGENCY_RING_SECONDS, emergency_number
from .recorder import Recorder
from .stasis_args import StasisArgs, parse_stasis_args
from .steps import (
    AnnouncementStep,
    CallbackOfferStep,
    MenuStep,
    RecordingNoticeStep,
    RingStep,
    Step,
    Target,
    VoicemailStep,
)
from .tollfraud import CallingPolicy, Usage, UsageLookup, Verdict, classify, decide, forward_refusal
from .vocabulary import Direction, HungUpBy, Outcome

MAX_HOPS = 25
TRUNK = "carrier"

# Q.850 causes a small firm's history shows most often.
CAUSE_TEXT = {
    1: "Unallocated (unassigned) number",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "No answer",
    21: "Call rejected",
    31: "Normal, unspecified",
    34: "No circuit available",
}
# The Q.850 cause Asterisk sends for each hangup reason Centrala uses.
REASON_CAUSE = {"normal": 16, "unallocated": 1, "busy": 17, "rejected": 21, "congestion": 34}


class State(enum.Enum):
    NEW = "new"
    ROUTING = "routing"
    CONNECTED = "connected"
    REFUSING = "refusing"
    HANGING_UP = "hanging_up"
    ENDED = "ended"


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
    ) -> None:
        self.key = key
        self.usage = usage or (lambda extension: Usage())
        self.refusal = "unallocated"  # the hangup reason after a refusal's message
        self.channel_id = channel_id
        self.directory = directory
        self.presence = presence if presence is not None else {}
        self.state = State.NEW
        self.step: Step | None = None
        self.legs: dict[str, str] = {}  # leg channel id -> what it rings (extension or number)
        self.connected_leg: str | None = None
        self.bridge_id = f"{key}-bridge"
        self.answered = False  # the caller's channel is up
        self.answer_sent = False
        self.outcome: str = Outcome.IN_PROGRESS
        self.talked = False  # a person (staff, or the outside number dialled) answered
        self.left_message = False
        self.direction: str = ""  # a Direction once started
        self.called = ""
        self.recorder = Recorder(self)
        self.hangup_cause: int | None = None
        self.hung_up_by: str = HungUpBy.NOBODY_YET
        self.caller = ""
        self.callback_task = ""
        self.hops = 0
        self.dialling_out = False  # an outside call the toll-fraud guard let through (counts toward caps)
        self.alerted_country = ""  # the new country this call alerted on
        self._ids = count(1)

    @property
    def finished(self) -> bool:
        """True once nothing more can happen to this call."""
        return self.state is State.ENDED

    # --- events in ---------------------------------------------------------------------

    def receive(self, event: e.Event) -> list[c.Command]:
        if self.state is State.ENDED:
            return []
        if event.channel_id in self.legs:
            return self._on_leg(event)
        match event:
            case e.StasisStart() if self.state is State.NEW:
                return self._on_start(event)
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
            case e.TransferRequested():  # from the caller's side: not ours to act on
                return self._decline_transfer(self.channel_id, self.caller, event)
            case e.CommandFailed():
                return self._on_command_failed(event)
            case e.TimerFired(name=name) if name.startswith("daily-cap"):
                # The day's outside minutes ran out during this call: a stolen account stops here.
                return [self.fact(event.at, "outbound_cut", reason="daily minutes used up"), *self.hang_up(event.at)]
            case e.PlaybackFinished() if self.state is State.REFUSING:
                self.outcome = Outcome.REJECTED
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
                return self._start_from_phone(event, args.dialled, insecure=not args.over_tls)
            case StasisArgs(kind="callback"):
                return self._start_callback(event, task_id=args.task_id, number=args.number, staff=args.staff)
            case StasisArgs(kind="leg"):  # a leg of a call this app no longer follows
                self.state = State.HANGING_UP
                return [c.Hangup(self.channel_id, reason="normal")]
        # Arguments Centrala did not write (a comma in the dialled number adds some): refused.
        direction = Direction.OUTBOUND if event.args[:1] == ("internal",) else Direction.INBOUND
        started = self._started(event, direction, event.channel.caller_number, event.channel.exten)
        self.state, self.outcome = State.HANGING_UP, Outcome.REJECTED
        refused = self.fact(event.at, "bad_arguments", args=list(event.args))
        return [started, refused, *self.hang_up(event.at, reason="rejected")]

    def _started(self, event: e.StasisStart, direction: Direction, caller: str, called: str) -> c.CallStarted:
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
        started = self._started(event, Direction.INBOUND, caller, caller_to_e164(dialled))
        plan = self.directory.plan_for(dialled)
        if plan is None:
            return [started, *self._refuse(event, dialled)]
        entry, state, why = self.directory.entry_for(plan, event.at)
        self.state = State.ROUTING
        hours = self.fact(event.at, "hours", state=state, why=why)
        return [started, hours, *self.goto(entry, event.at)]

    def _start_from_phone(self, event: e.StasisStart, dialled: str, insecure: bool = False) -> list[c.Command]:
        extension = event.channel.caller_number
        person = self.directory.people.get(extension)
        self.state = State.ROUTING
        if (short := emergency_number(dialled)) is not None:
            return self._start_emergency(event, extension, short, insecure)
        if insecure and person is not None and not person.plain_sip:
            # A TLS phone's password used over plain SIP: someone else has it, or the phone is
            # misconfigured. Either way no call, internal or outside.
            started = self._started(event, Direction.INTERNAL, extension, dialled)
            return [started, *self._block(event, dialled, "the phone did not connect over TLS", person.policy)]
        if dialled in self.directory.people:
            started = self._started(event, Direction.INTERNAL, extension, dialled)
            decided = self.recorder.decide_from_phone(event.at, (dialled, extension), number="")
            ring = self._ring_people("extension", (dialled,), ring_seconds=30, then=None, at=event.at)
            return [started, *decided, *self._enter(ring, event.at)]
        try:
            number = to_e164(dialled)
        except InvalidPhoneNumber:
            started = self._started(event, Direction.OUTBOUND, extension, dialled)
            return [started, *self._refuse(event, dialled)]
        started = self._started(event, Direction.OUTBOUND, extension, number)
        guard, allowed = self._toll_guard(event, extension, number)
        if not allowed:
            return [started, *guard]
        shown = (person.caller_id if person else "") or self.directory.main_number
        decided = self.recorder.decide_from_phone(event.at, (extension,), number=shown)
        outward = RingStep(
            kind="outbound",
            targets=(Target(f"PJSIP/{number}@{TRUNK}", number),),
            round_seconds=60,
            max_seconds=60,
            caller_number=shown,
            caller_name="",
        )
        shown_fact = self.fact(event.at, "caller_id", shown=shown)
        return [started, *guard, shown_fact, *decided, *self._enter(outward, event.at)]

    def _start_emergency(self, event: e.StasisStart, extension: str, number: str, insecure: bool) -> list[c.Command]:
        """112 and the other emergency numbers (emergency.py): straight to the trunk, before
        every guard (policy, hours, caps, TLS), with the firm's number shown so that the
        dispatcher can call back. Not recorded, no notice: nothing may delay the dispatcher."""
        person = self.directory.people.get(extension)
        shown = (person.caller_id if person else "") or self.directory.main_number
        self.recorder.noticed = True  # no recording rule applies to an emergency call
        started = self._started(event, Direction.OUTBOUND, extension, number)
        alert = self.fact(
            event.at, "emergency_call", extension=extension, number=number, shown=shown, over_tls=not insecure
        )
        outward = RingStep(
            kind="emergency",
            targets=(Target(f"PJSIP/{number}@{TRUNK}", number),),
            round_seconds=EMERGENCY_RING_SECONDS,
            max_seconds=EMERGENCY_RING_SECONDS,
            caller_number=shown,
        )
        return [started, alert, self.fact(event.at, "caller_id", shown=shown), *self._enter(outward, event.at)]

    def _toll_guard(self, event: e.StasisStart, extension: str, number: str) -> tuple[list[c.Command], bool]:
        """The toll-fraud guard before any outside call from staff: (commands, allowed). Allowed
        calls get a timer for what is left of the day's minutes; refused ones hear why (early
        media) and end 'rejected'. An alert for the office manager goes into the history."""
        person = self.directory.people.get(extension)
        policy = person.policy if person else s.DEFAULT_POLICY
        local = event.at.astimezone(ZoneInfo(self.directory.timezone))
        if person is None:  # a device that is no extension of ours has no business dialing out
            verdict = Verdict(False, "not a staff extension", classify(number))
        else:
            verdict = decide(policy, number, local, self.directory.is_day_off(local), self.usage(extension))
        alerts = (
            [
                self.fact(
                    event.at,
                    "toll_alert",
                    alert_kind=verdict.alert_kind,
                    alert=verdict.alert,
                    extension=extension,
                    number=number,
                    country=verdict.destination.country,
                ),
            ]
            if verdict.alert
            else []
        )
        if not verdict.allowed:
            return [*alerts, *self._block(event, number, verdict.reason, policy)], False
        self.dialling_out = True
        self.alerted_country = verdict.destination.country if verdict.alert_kind == "new_country" else ""
        cap, _ = self.timer("daily-cap", verdict.max_seconds)
        return [*alerts, cap], True

    def _block(self, event: e.StasisStart, number: str, reason: str, policy: CallingPolicy) -> list[c.Command]:
        """Refuse a staff call: the phone hears why (as early media), then the call ends 'rejected'."""
        self.state, self.refusal = State.REFUSING, "rejected"
        play, _ = self.play(policy.blocked_message)
        return [self.fact(event.at, "outbound_blocked", number=number, reason=reason), play]

    def _start_callback(self, event: e.StasisStart, task_id: str, number: str, staff: str) -> list[c.Command]:
        """Click-to-call: the staff phone (extension `staff`) has answered; now ring the customer."""
        self.callback_task = task_id
        e164 = caller_to_e164(number)
        started = self._started(event, Direction.OUTBOUND, staff, e164)
        self.state = State.ROUTING
        guard, allowed = self._toll_guard(event, staff, e164)
        if not allowed:
            return [started, *guard]
        decided = self.recorder.decide_from_phone(event.at, (staff,), number=self.directory.main_number)
        outward = RingStep(
            kind="external",
            targets=(Target(f"PJSIP/{e164}@{TRUNK}", number),),
            round_seconds=45,
            max_seconds=45,
            caller_number=self.directory.main_number,
        )
        return [started, *guard, *decided, *self._enter(outward, event.at)]

    def _refuse(self, event: e.StasisStart, dialled: str) -> list[c.Command]:
        self.state = State.REFUSING
        play, _ = self.play(self.directory.not_in_service)
        return [self.fact(event.at, "not_in_service", dialled=dialled), play]

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
            return [*leaving, self.fact(at, "loop_stopped", destination=dest_id), *self.hang_up(at)]
        notice = self._recording_notice(at, destination=dest_id)
        if notice is not None:
            return [*leaving, *notice]
        return [*leaving, *self._enter(self._step_for(dest, at), at)]

    def _recording_notice(self, at: datetime, destination: s.DestId) -> list[c.Command] | None:
        """Commands for the announcement of a recording rule that applies here, if one does."""
        if self.recorder.noticed:
            return None
        first_hop = self.hops == 1  # call-wide rules apply at the call's first destination
        rung = self._people_rung_at(self.directory.destinations.get(destination), at)
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
            return [self.fact(at, "not_recorded", rule=rule.name), *self.goto(destination, at, noticed=True)]
        self.hops -= 1  # the notice is not a hop of its own
        return self._enter(RecordingNoticeStep(rule, then=destination), at)

    def _people_rung_at(self, dest: s.Destination | None, at: datetime) -> tuple[str, ...]:
        """The extensions a destination rings (for rules about a person)."""
        match dest:
            case s.RingExtension():
                return (dest.extension,)
            case s.RingQueue(strategy="rota"):  # whoever is on duty now
                return self.directory.rota.on_duty(at)
            case s.RingQueue():
                return dest.members
        return ()

    def _leave_step(self) -> list[c.Command]:
        """Undo what the current step left running (timers, ringing legs, hold music)."""
        step, self.step = self.step, None
        return step.stop(self) if step is not None else []

    def _enter(self, step: Step, at: datetime) -> list[c.Command]:
        self.step = step
        return step.start(self, at)

    def _step_for(self, dest: s.Destination, at: datetime) -> Step:
        match dest:
            case s.Announcement():
                return AnnouncementStep(dest)
            case s.Menu():
                return MenuStep(dest)
            case s.Voicemail():
                return VoicemailStep(dest)
            case s.CallbackOffer():
                return CallbackOfferStep(dest)
            case s.RingExtension():
                return self._ring_people("extension", (dest.extension,), dest.ring_seconds, dest.no_answer, at)
            case s.RingQueue():
                return self._ring_queue(dest, at)
            case s.ExternalNumber():
                # A forward rings whenever callers call: it passes the guard for forwards too.
                refused = forward_refusal(self.directory.forward_policy, dest.number)
                targets = () if refused else (Target(f"PJSIP/{dest.number}@{TRUNK}", dest.number),)
                return RingStep(
                    kind="external",
                    targets=targets,
                    round_seconds=dest.ring_seconds,
                    max_seconds=dest.ring_seconds,
                    then=dest.no_answer,
                    caller_number=self.caller,
                    refused=refused,
                )
        raise ValueError(f"unknown destination {dest!r}")

    def _ring_queue(self, dest: s.RingQueue, at: datetime) -> Step:
        step = self._ring_people("queue", self._people_rung_at(dest, at), dest.member_ring_seconds, dest.overflow, at)
        step.strategy = "linear" if dest.strategy == "linear" else "ring_all"
        step.max_seconds = dest.max_wait_seconds
        step.hold_music = dest.music_on_hold
        step.queue = dest.name
        return step

    def _ring_people(
        self, kind: str, extensions: tuple[str, ...], ring_seconds: int, then: s.DestId | None, at: datetime
    ) -> RingStep:
        """Ring staff phones that are reachable; if none is, plan B: on-duty mobiles."""
        people = self.directory.people
        extensions = tuple(x for x in extensions if x in people)  # deleted or inactive: never rung
        reachable = tuple(x for x in extensions if self.presence.get(x, True))
        targets = tuple(Target(f"PJSIP/{x}", x) for x in reachable)
        if extensions and not reachable:
            targets = self._plan_b_targets(extensions, at)
            kind = "plan_b"
        return RingStep(
            kind=kind,
            targets=targets,
            round_seconds=ring_seconds,
            max_seconds=ring_seconds,
            then=then,
            caller_number=self.caller,
        )

    def _plan_b_targets(self, extensions: tuple[str, ...], at: datetime) -> tuple[Target, ...]:
        on_duty = self.directory.rota.on_duty(at) or extensions
        mobiles = [self.directory.people[x].mobile for x in on_duty if x in self.directory.people]
        policy = self.directory.forward_policy
        return tuple(
            Target(f"PJSIP/{m}@{TRUNK}", m) for m in dict.fromkeys(mobiles) if m and not forward_refusal(policy, m)
        )

    # --- legs --------------------------------------------------------------------------------

    def new_leg(self, label: str) -> str:
        leg_id = f"{self.key}-leg{next(self._ids)}"
        self.legs[leg_id] = label
        return leg_id

    def _on_leg(self, event: e.Event) -> list[c.Command]:
        leg_id = event.channel_id
        if isinstance(event, e.StasisStart):
            return self._on_leg_answered(leg_id, event)
        if self.recorder.called_notice and self.recorder.called_notice[0] == leg_id:
            heard = self.recorder.on_called_notice(event)
            if heard is not None:
                return [*heard, *self._join(leg_id, True, event.at)]
        if isinstance(event, e.ChannelDtmfReceived) and leg_id == self.connected_leg:
            if self.legs[leg_id] not in self.directory.people:
                return []  # the outside party's keys control nothing
            return self.recorder.on_staff_key(self.legs[leg_id], event)
        if isinstance(event, e.TransferRequested) and leg_id == self.connected_leg:
            return self._on_transfer(leg_id, event)
        if not isinstance(event, e.StasisEnd | e.ChannelDestroyed | e.CommandFailed | e.ChannelGone):
            return []
        if leg_id == self.connected_leg:
            self.connected_leg = None
            if self.state is State.CONNECTED:
                return [self.fact(event.at, "staff_hung_up", target=self.legs[leg_id]), *self.hang_up(event.at)]
            return []
        if isinstance(self.step, RingStep) and leg_id in self.step.ringing:
            return self.step.on_leg_failed(self, leg_id, event)
        return []

    def _on_leg_answered(self, leg_id: str, event: e.StasisStart) -> list[c.Command]:
        step = self.step
        if self.state is not State.ROUTING or not isinstance(step, RingStep) or leg_id not in step.ringing:
            return [c.Hangup(leg_id, reason="normal")]  # answered too late: someone else has the call
        step.ringing.discard(leg_id)
        leaving = self._leave_step()
        first_person = not self.talked  # after a transfer, the bridge and the caller in it exist
        self.state = State.CONNECTED
        self.talked = True
        self.connected_leg = leg_id
        facts: list[c.Command] = [self.fact(event.at, "connected", target=self.legs[leg_id])]
        if self.callback_task:
            facts.append(
                c.CallbackConnected(self.channel_id, call_key=self.key, at=event.at, task_id=self.callback_task)
            )
        if first_person and (notice := self.recorder.notice_to_called(leg_id, self.legs[leg_id], event.at)):
            return [*leaving, *facts, *notice]  # connected once the called party has heard it
        return [*leaving, *facts, *self._join(leg_id, first_person, event.at)]

    def _join(self, leg_id: str, first_person: bool, at: datetime) -> list[c.Command]:
        """Put the caller and the leg that answered together, and record if a rule says so."""
        bridge: list[c.Command] = [c.AddToBridge(self.channel_id, bridge_id=self.bridge_id, channels=(leg_id,))]
        if first_person:
            bridge = [
                c.CreateBridge(self.channel_id, bridge_id=self.bridge_id),
                c.AddToBridge(self.channel_id, bridge_id=self.bridge_id, channels=(self.channel_id, leg_id)),
            ]
        recording = self.recorder.on_connected(self.legs[leg_id], at, transfer=not first_person)
        return [*self.answer_caller(), *bridge, *recording]

    def _on_transfer(self, leg_id: str, event: e.TransferRequested) -> list[c.Command]:
        """Blind transfer from a staff phone: the caller waits in the bridge (with hold music,
        and the recording running) while the extension dialled rings; the phone that asked
        leaves. Only the firm's own extensions are accepted: a transfer is not a way to dial
        out through the trunk unchecked."""
        who, to = self.legs[leg_id], event.destination
        if to not in self.directory.people or to == who:
            return self._decline_transfer(leg_id, who, event)
        self.connected_leg = None
        self.state = State.ROUTING
        ring = RingStep(
            kind="transfer",
            targets=(Target(f"PJSIP/{to}", to),),
            round_seconds=30,
            max_seconds=30,
            caller_number=self.caller,
            music_in_bridge=self.bridge_id,
        )
        done = [c.TransferProgress(leg_id, state="channel_answered"), c.Hangup(leg_id, reason="normal")]
        return [self.fact(event.at, "transferred", by=who, to=to), *done, *self._enter(ring, event.at)]

    def _decline_transfer(self, channel_id: str, who: str, event: e.TransferRequested) -> list[c.Command]:
        refused = self.fact(event.at, "transfer_refused", by=who, to=event.destination)
        return [refused, c.TransferProgress(channel_id, state="channel_declined")]

    # --- helpers for steps -------------------------------------------------------------------

    def fact(self, at: datetime, kind: str, **detail: object) -> c.CallStep:
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
        return f"{self.key}-p{next(self._ids)}"

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
        legs = [c.Hangup(self.connected_leg, reason="normal")] if self.connected_leg else []
        self.state = State.HANGING_UP
        self.hung_up_by = HungUpBy.CENTRALA
        self.hangup_cause = REASON_CAUSE.get(reason)
        return [*leaving, *legs, self.fact(at, "hangup", reason=reason), c.Hangup(self.channel_id, reason=reason)]

    # --- the end -----------------------------------------------------------------------------

    def _on_hangup_request(self, event: e.ChannelHangupRequest) -> list[c.Command]:
        if self.hangup_cause is None and not event.soft:
            self.hangup_cause = event.cause
        if self.state is State.HANGING_UP:
            return []
        commands: list[c.Command] = [self.fact(event.at, "caller_hung_up", cause=event.cause)]
        if isinstance(self.step, RingStep) and self.step.kind in ("extension", "queue", "plan_b", "transfer"):
            commands.append(self.callback_fact(event.at, "abandoned"))
        leaving = self._leave_step()
        if self.connected_leg:
            leaving.append(c.Hangup(self.connected_leg, reason="normal"))
        self.state = State.HANGING_UP
        self.hung_up_by = HungUpBy.CALLER
        return [*commands, *leaving]

    def _on_recording(self, event: e.RecordingFinished | e.RecordingFailed) -> list[c.Command]:
        stopped = self.recorder.on_stopped(event)
        if stopped is None:
            return []
        kind, commands = stopped
        if kind == "voicemail" and isinstance(event, e.RecordingFinished):
            self.left_message = True
            commands.append(self.callback_fact(event.at, "voicemail"))
        if self.state is State.ROUTING:
            commands += self.hang_up(event.at)
        return commands

    def _on_command_failed(self, event: e.CommandFailed) -> list[c.Command]:
        step = self.fact(event.at, "command_failed", command=event.command, error=event.error)
        if event.gone or self.state is State.HANGING_UP:
            return [step]
        self.outcome = Outcome.FAILED
        return [step, *self.hang_up(event.at)]

    def _on_end(self, event: e.Event) -> list[c.Command]:
        cause, text = self.hangup_cause, CAUSE_TEXT.get(self.hangup_cause or -1, "")
        if isinstance(event, e.ChannelDestroyed):
            cause, text = event.cause, event.cause_text
        if isinstance(event, e.ChannelGone):
            self.outcome = Outcome.LOST
        elif self.outcome == Outcome.IN_PROGRESS:
            # Honest history: "answered" means a person talked to the caller.
            self.outcome = (
                Outcome.ANSWERED if self.talked else Outcome.VOICEMAIL if self.left_message else Outcome.MISSED
            )
        leaving = self._leave_step()
        legs = [c.Hangup(self.connected_leg, reason="normal")] if self.connected_leg else []
        cleanup = [c.DestroyBridge(self.channel_id, bridge_id=self.bridge_id)] if self.legs else []
        self.state = State.ENDED
        ended = c.CallEnded(
            self.channel_id,
            call_key=self.key,
            at=event.at,
            outcome=self.outcome,
            cause=cause,
            cause_text=text,
            hung_up_by=self.hung_up_by,
        )
        return [*leaving, *legs, *cleanup, ended, *self.recorder.hand_over(event.at)]
