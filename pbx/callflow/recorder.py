"""What one call records, and when.

Theory of operation
-------------------
A recording rule's announcement is a routing step (RecordingNoticeStep); its outcome lands
here: either the rule to record under, or the caller's objection (GDPR art. 21). Once staff
answer, the conversation is recorded through a listener: a snoop channel on the call's own
channel (the caller's, or the staff phone's that dialled), which is in the call from its start
to its end. It hears what that side says and what it hears, so the file holds both voices and
keeps going when the call moves to another person (a transfer) or waits in parking. The
listener enters Stasis on its own, and is recorded from then (Listen, then Record); its
events reach the call by its id (names.listener), and nothing it does ends the call.

Staff may pause the recording for card details (PCI DSS) by pressing *1 and *2 on the phone,
or through the API, which reaches the call as a RecordingControl event; either way the paused
span is never written. Voicemail records the caller's channel itself. Whatever is recording
when it stops, or when the call ends, is handed over as RecordingReady, with the purpose that
decides its retention.

Where the rule is decided and who hears the notice, by direction:

- inbound: at each destination the call enters (call.goto): a rule for the whole call at the
  first one, a rule for an IVR destination there, a rule for a person before their phone
  rings; the caller hears the notice (RecordingNoticeStep) and may object;
- outbound and internal (a staff phone dials): as the call starts, for the number shown or
  none, and the staff member dialling (or dialled); the called party hears the notice when
  they answer, before the two are connected, and may object with the same key
  (`notice_to_called`), unless the purpose says they are not told;
- transfer: a rule for the person the call is transferred to starts the recording when they
  answer, if the call was not recorded yet; the notice is played to the whole bridge.

A "never" rule for the person who answers always wins: their calls stay unrecorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from . import commands as c
from . import events as e
from . import names
from . import scenario as s
from .vocabulary import Direction, StepKind

if TYPE_CHECKING:
    from .call import Call

PAUSE_KEYS = {"1": "pause", "2": "resume"}  # after "*", pressed by staff


@dataclass
class Recorder:
    call: Call
    rule: s.RecordingRule | None = None  # announced and not objected to: record once connected
    objected: bool = False  # the caller objected to recording (GDPR art. 21)
    noticed: bool = False  # a recording decision was made (announced, objected or "never")
    paused: bool = False
    current: tuple[str, str] | None = None  # (name, kind) awaiting RecordingFinished
    mailbox: int | None = None  # the box of the voicemail being recorded
    staff_keys: str = ""  # the last key staff pressed, for two-key codes
    called_notice: tuple[str, str] | None = None  # (leg, playback) while the called party hears the notice
    listener: str = ""  # the snoop channel recording the conversation, once asked for
    listener_up: bool = False  # and it is in Stasis (it entered, or a restarted app found it)
    listener_recorded: bool = False  # its recording was asked for: a pause now goes to Asterisk

    def decide_from_phone(self, at: datetime, extensions: tuple[str, ...], number: str) -> list[c.Command]:
        """A staff phone dials out or internally: the first rule for this direction, the number
        shown (outbound) and the extensions on the call decides; the notice, if any, goes to
        the called party when they answer."""
        call = self.call
        self.noticed = True
        rule = next(
            (
                r
                for r in call.directory.recording_rules
                if any(r.matches(call.direction, number, None, x) for x in extensions)
            ),
            None,
        )
        if rule is None:
            return []
        if rule.mode == "never":
            return [call.fact(at, StepKind.NOT_RECORDED, rule=rule.name)]
        self.rule = rule
        return []

    def notice_to_called(self, leg_id: str, person: str, at: datetime) -> list[c.Command]:
        """The called party of an outgoing or internal call answered: the notice on their leg,
        before they are connected, when the rule's purpose says they are told. Empty: connect now."""
        call, rule = self.call, self.rule
        if call.direction == Direction.INBOUND or rule is None or self.objected or self.current is not None:
            return []
        if not (rule.announce_to_called and rule.announcement) or not self._applies(rule, person):
            return []
        play = c.Play(leg_id, playback_id=call.new_playback_id(), media=rule.announcement)
        self.called_notice = (leg_id, play.playback_id)
        return [call.fact(at, StepKind.RECORDING_NOTICE, rule=rule.name, to=person), play]

    def on_called_notice(self, event: e.Event) -> list[c.Command] | None:
        """While the called party hears the notice: None until it is over; then the facts of
        how it ended (an objection stops it), and the caller connects them."""
        if self.called_notice is None or self.rule is None:
            return None
        leg_id, playback_id = self.called_notice
        call = self.call
        if isinstance(event, e.PlaybackFinished) and event.playback_id == playback_id:
            self.called_notice = None
            return []
        if isinstance(event, e.ChannelDtmfReceived) and event.digit == self.rule.objection_key:
            self.called_notice, self.objected = None, True
            objection = call.fact(
                event.at,
                StepKind.RECORDING_OBJECTION,
                rule=self.rule.name,
                key=event.digit,
                by=call.legs.get(leg_id, ""),
            )
            return [c.StopPlayback(leg_id, playback_id), objection]
        return None

    def _applies(self, rule: s.RecordingRule, person: str) -> bool:
        """A rule for a person covers calls that person is on: who answered, or who dialled."""
        return not rule.extension or rule.extension in (person, self.call.caller)

    def record_channel(self, kind: str, max_seconds: int, beep: bool, mailbox: int | None = None) -> c.Record:
        """Record the caller alone (voicemail, for `mailbox`)."""
        call = self.call
        name = names.recording(call.key, kind)
        self.current = (name, kind)
        self.mailbox = mailbox
        return c.Record(call.channel_id, name=name, fmt=s.RECORDING_FORMAT, max_seconds=max_seconds, beep=beep)

    def on_connected(self, person: str, at: datetime, transfer: bool = False) -> list[c.Command]:
        """`person` answered and the bridge exists: record it if a rule was announced and not
        objected to, unless a rule for that person says never. Already recording (a transfer
        brought someone new into the bridge): nothing to start. Not recorded yet and a rule
        for the person a transfer brought in: record, with the notice to the whole bridge."""
        call = self.call
        if self.objected or self.current is not None:
            return []
        rules = call.directory.recording_rules
        for_person = next(
            (r for r in rules if r.extension == person and r.matches(call.direction, call.called, None, person)), None
        )
        if for_person is not None and for_person.mode == "never":
            return [call.fact(at, StepKind.NOT_RECORDED, rule=for_person.name)]
        notice: list[c.Command] = []
        if self.rule is None and transfer and for_person is not None:
            self.rule = for_person
            if for_person.announcement:
                notice = [
                    c.PlayBridge(
                        call.channel_id,
                        bridge_id=call.legs.bridge_id,
                        playback_id=call.new_playback_id(),
                        media=for_person.announcement,
                    )
                ]
        if self.rule is None:
            return []
        if not self._applies(self.rule, person):
            return [call.fact(at, StepKind.NOT_RECORDED, rule=self.rule.name, answered=person)]
        self.current = (names.recording(call.key, "call"), "call")
        self.listener = names.listener(call.key)
        self.listener_recorded = False
        # A listener already there (a restarted app's call whose recording never started) is
        # recorded as it is: a second one of the same id could not be created.
        start = self._begin() if self.listener_up else [c.Listen(self.listener, target=call.channel_id)]
        return [call.fact(at, StepKind.RECORDING, rule=self.rule.name), *notice, *start]

    @property
    def recording_call(self) -> bool:
        """The conversation is being recorded (not a voicemail message, not nothing)."""
        return self.current is not None and self.current[1] == "call"

    def _begin(self) -> list[c.Command]:
        """Record the listener, once it is in Stasis, unless staff paused before it came (card
        details from the first second: it then begins on resume) or it is recorded already."""
        if not (self.recording_call and self.listener_up) or self.paused or self.listener_recorded:
            return []
        assert self.current is not None
        self.listener_recorded = True
        return [c.Record(self.listener, name=self.current[0], fmt=s.RECORDING_FORMAT, max_seconds=0)]

    def on_listener(self, event: e.Event) -> list[c.Command]:
        """An event of the listener other than its recording's end: it entered Stasis (record
        it now, unless the call stopped recording meanwhile), or a request for it failed (the
        conversation goes on unrecorded, said on the timeline). Its end is not the call's."""
        if isinstance(event, e.StasisStart):
            self.listener_up = True
            return self._begin()
        if isinstance(event, e.StasisEnd | e.ChannelDestroyed | e.ChannelGone):
            self.listener_up = False
            return []
        if isinstance(event, e.CommandFailed) and self.recording_call:
            self.current = None
            failed = self.call.fact(event.at, StepKind.RECORDING_FAILED, cause=event.error)
            return [failed] if event.gone else [failed, c.Hangup(self.listener, reason="normal")]
        return []

    def on_staff_key(self, person: str, event: e.ChannelDtmfReceived) -> list[c.Command]:
        """*1 pauses the call's recording, *2 resumes it."""
        previous, self.staff_keys = self.staff_keys, event.digit
        if previous != "*" or event.digit not in PAUSE_KEYS:
            return []
        return self.control(PAUSE_KEYS[event.digit], by=person, at=event.at)

    def control(self, action: str, by: str, at: datetime) -> list[c.Command]:
        """Pause or resume the call's recording; anything else, or a repeat, does nothing.
        Before the listener's recording was asked for (the listener is still on its way), a
        pause keeps it from starting and a resume starts it: nothing of the paused span is
        written, however early it was asked for."""
        if self.current is None or self.current[1] != "call":
            return []
        name, call = self.current[0], self.call
        if action == "pause" and not self.paused:
            self.paused = True
            pause = [c.PauseRecording(call.channel_id, name=name)] if self.listener_recorded else []
            return [call.fact(at, StepKind.RECORDING_PAUSED, by=by), *pause]
        if action == "resume" and self.paused:
            self.paused = False
            go_on = [c.ResumeRecording(call.channel_id, name=name)] if self.listener_recorded else self._begin()
            return [call.fact(at, StepKind.RECORDING_RESUMED, by=by), *go_on]
        return []

    def on_stopped(self, event: e.RecordingFinished | e.RecordingFailed) -> tuple[str, list[c.Command]] | None:
        """Asterisk closed our file: (its kind, the facts to report), or None if not ours."""
        if self.current is None or event.name != self.current[0]:
            return None
        name, kind = self.current
        self.current = None
        if isinstance(event, e.RecordingFailed):
            return kind, [self.call.fact(event.at, StepKind.RECORDING_FAILED, cause=event.cause)]
        return kind, [self.ready(event.at, name, kind)]

    def hand_over(self, at: datetime) -> list[c.Command]:
        """The call ended with a file still open: Asterisk closes it on hangup, so hand it over.
        A conversation paused before its recording was asked for has no file: nothing to hand over."""
        if self.current is None:
            return []
        name, kind = self.current
        never_started = self.recording_call and self.paused and not self.listener_recorded
        self.current = None
        return [] if never_started else [self.ready(at, name, kind)]

    def ready(self, at: datetime, name: str, kind: str) -> c.RecordingReady:
        call = self.call
        purpose = self.rule.purpose_id if (kind == "call" and self.rule) else None
        mailbox = self.mailbox if kind == "voicemail" else None
        return c.RecordingReady(
            call.channel_id,
            call_key=call.key,
            at=at,
            name=name,
            fmt=s.RECORDING_FORMAT,
            kind=kind,
            purpose_id=purpose,
            mailbox_id=mailbox,
        )
