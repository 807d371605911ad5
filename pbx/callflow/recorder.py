"""What one call records, and when.

Theory of operation
-------------------
A recording rule's announcement is a routing step (RecordingNoticeStep); its outcome lands
here: either the rule to record under, or the caller's objection (GDPR art. 21). Once staff
answer, the bridge is recorded, not a channel, so the file keeps going when the call moves to
another person (a transfer) and holds both voices. Staff may pause it for card details (PCI
DSS) by pressing *1 and *2 on the phone, or through the API, which reaches the call as a
RecordingControl event; either way the paused span is never written. Voicemail records the
caller's channel instead. Whatever is recording when it stops, or when the call ends, is
handed over as RecordingReady, with the purpose that decides its retention.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from . import commands as c
from . import events as e
from . import scenario as s

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
    staff_keys: str = ""  # the last key staff pressed, for two-key codes

    def record_channel(self, kind: str, max_seconds: int, beep: bool) -> c.Record:
        """Record the caller alone (voicemail)."""
        call = self.call
        name = f"{call.key}-{kind}"
        self.current = (name, kind)
        return c.Record(call.channel_id, name=name, fmt=s.RECORDING_FORMAT, max_seconds=max_seconds, beep=beep)

    def on_connected(self, person: str, at: datetime) -> list[c.Command]:
        """Staff (`person`) answered and the bridge exists: record it if a rule was announced and
        not objected to, unless a rule for that person says never. Already recording (a
        transfer brought someone new into the bridge): nothing to start."""
        call = self.call
        if self.rule is None or self.objected or self.current is not None:
            return []
        for_person = s.recording_rule_for(call.directory.recording_rules, call.direction, call.called, extension=person)
        if for_person is not None and for_person.mode == "never" and for_person.extension:
            return [call.fact(at, "not_recorded", rule=for_person.name)]
        name = f"{call.key}-call"
        self.current = (name, "call")
        return [
            call.fact(at, "recording", rule=self.rule.name),
            c.RecordBridge(call.channel_id, bridge_id=call.bridge_id, name=name, fmt=s.RECORDING_FORMAT),
        ]

    def on_staff_key(self, person: str, event: e.ChannelDtmfReceived) -> list[c.Command]:
        """*1 pauses the call's recording, *2 resumes it."""
        previous, self.staff_keys = self.staff_keys, event.digit
        if previous != "*" or event.digit not in PAUSE_KEYS:
            return []
        return self.control(PAUSE_KEYS[event.digit], by=person, at=event.at)

    def control(self, action: str, by: str, at: datetime) -> list[c.Command]:
        """Pause or resume the call's recording; anything else, or a repeat, does nothing."""
        if self.current is None or self.current[1] != "call":
            return []
        name, call = self.current[0], self.call
        if action == "pause" and not self.paused:
            self.paused = True
            return [call.fact(at, "recording_paused", by=by), c.PauseRecording(call.channel_id, name=name)]
        if action == "resume" and self.paused:
            self.paused = False
            return [call.fact(at, "recording_resumed", by=by), c.ResumeRecording(call.channel_id, name=name)]
        return []

    def on_stopped(self, event: e.RecordingFinished | e.RecordingFailed) -> tuple[str, list[c.Command]] | None:
        """Asterisk closed our file: (its kind, the facts to report), or None if not ours."""
        if self.current is None or event.name != self.current[0]:
            return None
        name, kind = self.current
        self.current = None
        if isinstance(event, e.RecordingFailed):
            return kind, [self.call.fact(event.at, "recording_failed", cause=event.cause)]
        return kind, [self.ready(event.at, name, kind)]

    def hand_over(self, at: datetime) -> list[c.Command]:
        """The call ended with a file still open: Asterisk closes it on hangup, so hand it over."""
        if self.current is None:
            return []
        name, kind = self.current
        self.current = None
        return [self.ready(at, name, kind)]

    def ready(self, at: datetime, name: str, kind: str) -> c.RecordingReady:
        call = self.call
        purpose = self.rule.purpose_id if (kind == "call" and self.rule) else None
        return c.RecordingReady(
            call.channel_id, call_key=call.key, at=at, name=name, fmt=s.RECORDING_FORMAT, kind=kind, purpose_id=purpose
        )
