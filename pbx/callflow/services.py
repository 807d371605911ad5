"""A staff phone's own services, reached by feature codes:

    *97            the voicemail of every box the person owns: new messages first, each
                   one heard to its end is marked heard (1 plays it again, 2 skips it)
    *96            record a new office prompt: the tone, speak, # to end, listen back, then
                   1 keeps it (it appears in the admin) and 2 records again
    *96<number>    record prompt <number> anew (the admin shows each prompt's code)
    *78 / *79      do-not-disturb on / off (no PIN: the phone's own switch)
    *8, *8<number> pick up a ringing call (pickup.py); this module only says when nothing rings
    *70, *70<slot> take a parked call back (parking.py); likewise, when none is parked
    *72<number>, *72, *73   forward all calls / to my mobile / forwarding off (phone_forwarding.py)

Voicemail and recording ask for the person's PIN first (three tries, each wrong one on the
call's timeline; ten wrong in an hour shut them for that hour); recording prompts also needs
the right to change prompts. Nothing here does I/O: messages come
through OpenMailbox / MailboxOpened, a kept recording leaves as a RecordingReady fact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from . import commands as c
from . import events as e
from . import names, parking, phone_forwarding
from .pickup import wanted
from .service_steps import GuardedService, LastWords, PinEntry, ServiceStep
from .vocabulary import Direction, StepKind

if TYPE_CHECKING:
    from .call import Call

VOICEMAIL_CODE = "*97"
RECORD_PROMPT_CODE = "*96"
DND_ON_CODE = "*78"
DND_OFF_CODE = "*79"
REVIEW_SECONDS = 10.0  # to press 1 or 2 after hearing the take
MAX_TAKES = 5
MAX_PROMPT_SECONDS = 300


@dataclass(frozen=True)
class Service:
    name: str  # "mailbox", "record_prompt", "dnd_on", "dnd_off", "pickup", "forward" or "forward_off"
    prompt_id: int | None = None
    target: str = ""  # forward: what followed *72


def service_for(dialled: str) -> Service | None:
    """The phone service a dialled code asks for, or None for an ordinary number."""
    if dialled == VOICEMAIL_CODE:
        return Service("mailbox")
    if dialled in (DND_ON_CODE, DND_OFF_CODE):
        return Service("dnd_on" if dialled == DND_ON_CODE else "dnd_off")
    if wanted(dialled) is not None or parking.wanted_slot(dialled) is not None:
        return Service("pickup")
    if dialled == phone_forwarding.FORWARD_OFF_CODE:
        return Service("forward_off")
    if dialled.startswith(phone_forwarding.FORWARD_ON_CODE):
        rest = dialled.removeprefix(phone_forwarding.FORWARD_ON_CODE)
        if len(rest) <= 20 and (rest == "" or rest.lstrip("+").isdigit()):
            return Service("forward", target=rest)
    if dialled.startswith(RECORD_PROMPT_CODE):
        rest = dialled.removeprefix(RECORD_PROMPT_CODE)
        if rest == "":
            return Service("record_prompt")
        if rest.isdigit() and len(rest) <= 9 and int(rest) > 0:
            return Service("record_prompt", int(rest))
    return None


def start_service(call: Call, event: e.StasisStart, dialled: str, service: Service) -> list[c.Command]:
    """The phone is answered and asked for its PIN; without a PIN set, or without the right to
    record prompts, it hears why and the call ends."""
    extension = event.channel.caller_number
    person = call.directory.people.get(extension)
    started = call.started(event, Direction.INTERNAL, extension, dialled)
    call.recorder.noticed = True  # a phone's own service is never recorded
    prompts = call.directory.services
    facts: list[c.Command] = [
        started,
        call.fact(event.at, StepKind.PHONE_SERVICE, service=service.name, prompt=service.prompt_id),
    ]
    step: ServiceStep
    if service.name == "pickup":  # the pump hands a ringing call over before this; none rang
        step = LastWords(prompts, media=prompts.nothing_to_pick_up)
    elif person is not None and service.name in ("forward", "forward_off"):
        more, step = phone_forwarding.start(call, event.at, person, service.target, off=service.name == "forward_off")
        facts += more
    elif person is not None and service.name in ("dnd_on", "dnd_off"):  # no PIN: the phone's own switch
        on = service.name == "dnd_on"
        facts.append(c.DndChanged(call.channel_id, call_key=call.key, at=event.at, extension=extension, on=on))
        step = LastWords(prompts, media=prompts.dnd_on if on else prompts.dnd_off, refused=False)
    elif person is None or not person.pin:
        step = LastWords(prompts, media=prompts.no_pin)
    elif call.pin_locked(extension):
        facts.append(call.fact(event.at, StepKind.PIN_LOCKED, extension=extension))
        step = LastWords(prompts, media=f"{prompts.pin_wrong},{prompts.goodbye}")
    elif service.name == "record_prompt" and not person.records_prompts:
        step = LastWords(prompts, media=prompts.not_allowed)
    elif service.name == "record_prompt":
        step = RecordPromptStep(prompts, pin=PinEntry(person, prompts), prompt_id=service.prompt_id)
    else:
        step = MailboxStep(prompts, pin=PinEntry(person, prompts), extension=extension)
    return [*facts, *call.answer_caller(), *call.enter(step, event.at)]


@dataclass
class RecordPromptStep(GuardedService):
    prompt_id: int | None = None
    # phase: pin -> instructions -> recording -> review -> (kept | instructions)
    take: str = ""  # the recording being made or reviewed
    takes: int = 0
    playback: str = ""
    timer: str = ""
    kept: bool = False

    def unlocked(self, call: Call, at: datetime) -> list[c.Command]:
        return self._instructions(call)

    def on_unlocked_event(self, call: Call, event: e.Event) -> list[c.Command]:
        match self.phase:
            case "instructions" if isinstance(event, e.PlaybackFinished) and event.playback_id == self.playback:
                self.playback = ""
                self.phase = "recording"
                self.takes += 1
                self.take = names.prompt_take(call.key, self.takes)
                return [
                    c.Record(
                        call.channel_id,
                        name=self.take,
                        fmt="wav",
                        max_seconds=MAX_PROMPT_SECONDS,
                        beep=True,
                        terminate_on="#",
                    )
                ]
            case "recording" if isinstance(event, e.RecordingFinished) and event.name == self.take:
                return self._review(call)
            case "recording" if isinstance(event, e.RecordingFailed) and event.name == self.take:
                self.take = ""
                failed = call.fact(event.at, StepKind.RECORDING_FAILED, cause=event.cause)
                return [failed, *self.farewell(call, self.prompts.goodbye)]
            case "review":
                return self._on_review(call, event)
        return []

    def _instructions(self, call: Call) -> list[c.Command]:
        self.phase = "instructions"
        play, self.playback = call.play(self.prompts.record)
        return [play]

    def _review(self, call: Call) -> list[c.Command]:
        self.phase = "review"
        play, self.playback = call.play(f"recording:{self.take},{self.prompts.review}")
        return [play]

    def _on_review(self, call: Call, event: e.Event) -> list[c.Command]:
        if isinstance(event, e.PlaybackFinished) and event.playback_id == self.playback:
            self.playback = ""
            start, self.timer = call.timer("review", REVIEW_SECONDS)
            return [start]
        if isinstance(event, e.TimerFired) and event.name == self.timer:
            self.timer = ""
            return [*self._discard(call), *self.farewell(call, self.prompts.goodbye)]
        if not isinstance(event, e.ChannelDtmfReceived) or event.digit not in "12":
            return []
        stop = [c.StopPlayback(call.channel_id, self.playback)] if self.playback else []
        self.playback = ""
        cancel = [c.CancelTimer(call.channel_id, self.timer)] if self.timer else []
        self.timer = ""
        if event.digit == "1":
            self.kept = True
            by = call.caller
            ready = c.RecordingReady(
                call.channel_id,
                call_key=call.key,
                at=event.at,
                name=self.take,
                fmt="wav",
                kind="prompt",
                prompt_id=self.prompt_id,
                by=by,
            )
            kept = call.fact(event.at, StepKind.PROMPT_RECORDED, prompt=self.prompt_id, extension=by)
            return [*stop, *cancel, ready, kept, *self.farewell(call, self.prompts.saved)]
        if self.takes >= MAX_TAKES:
            return [*stop, *cancel, *self._discard(call), *self.farewell(call, self.prompts.goodbye)]
        return [*stop, *cancel, *self._discard(call), *self._instructions(call)]

    def _discard(self, call: Call) -> list[c.Command]:
        take, self.take = self.take, ""
        return [c.DeleteRecording(call.channel_id, name=take)] if take else []

    def stop(self, call: Call) -> list[c.Command]:
        commands = super().stop(call)
        if self.timer:
            commands.append(c.CancelTimer(call.channel_id, self.timer))
            self.timer = ""
        if self.phase == "review" and not self.kept:
            commands += self._discard(call)  # hung up before choosing: the take is not kept
        return commands


@dataclass
class MailboxStep(GuardedService):
    extension: str = ""
    # phase: pin -> opening -> listening -> closed (its decrypted copies removed)
    messages: tuple[e.VoiceMessage, ...] = ()
    index: int = -1  # the message being played; -1 before the first
    playback: str = ""  # the introduction, or the message playing
    heard: set[int] = field(default_factory=set)

    def unlocked(self, call: Call, at: datetime) -> list[c.Command]:
        self.phase = "opening"
        return [c.OpenMailbox(call.channel_id, extension=self.extension)]

    def on_unlocked_event(self, call: Call, event: e.Event) -> list[c.Command]:
        if isinstance(event, e.MailboxOpened) and self.phase == "opening":
            return self._introduce(call, event.messages)
        if self.phase != "listening":
            return []
        if isinstance(event, e.PlaybackFinished) and event.playback_id == self.playback:
            return self._finished(call, event)
        if isinstance(event, e.ChannelDtmfReceived) and event.digit in "12" and self.index >= 0:
            stop = [c.StopPlayback(call.channel_id, self.playback)] if self.playback else []
            self.playback = ""
            return [*stop, *self._play(call, self.index if event.digit == "1" else self.index + 1)]
        return []

    def _introduce(self, call: Call, messages: tuple[e.VoiceMessage, ...]) -> list[c.Command]:
        self.phase, self.messages = "listening", messages
        counts = self.prompts.new_messages
        new = sum(1 for m in messages if m.new)
        media = counts[min(new, len(counts) - 1)]
        if not messages:
            return self.farewell(call, f"{media},{self.prompts.goodbye}")
        play, self.playback = call.play(f"{media},{self.prompts.listen_keys}")
        return [play]

    def _finished(self, call: Call, event: e.PlaybackFinished) -> list[c.Command]:
        self.playback = ""
        commands: list[c.Command] = []
        if 0 <= self.index < len(self.messages) and not event.failed:
            message = self.messages[self.index]
            commands.append(call.fact(event.at, StepKind.MESSAGE_PLAYED, message=message.id, new=message.new))
            if message.new and message.id not in self.heard:
                self.heard.add(message.id)
                commands.append(
                    c.MessageHeard(
                        call.channel_id, call_key=call.key, at=event.at, message_id=message.id, extension=self.extension
                    )
                )
        return [*commands, *self._play(call, self.index + 1)]

    def _play(self, call: Call, index: int) -> list[c.Command]:
        self.index = index
        if index >= len(self.messages):
            return self.farewell(call, f"{self.prompts.no_more},{self.prompts.goodbye}")
        message = self.messages[index]
        first_heard = not message.new and (index == 0 or self.messages[index - 1].new)
        media = f"{self.prompts.heard_ones},{message.media}" if first_heard else message.media
        play, self.playback = call.play(media)
        return [play]

    def stop(self, call: Call) -> list[c.Command]:
        commands = super().stop(call)
        if self.phase in ("opening", "listening"):
            self.phase = "closed"
            commands.append(c.CloseMailbox(call.channel_id))
        return commands


__all__ = ["MailboxStep", "RecordPromptStep", "Service", "service_for", "start_service"]
