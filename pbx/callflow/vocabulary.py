"""The words the call-flow core and the call history share. The core speaks these enums; the
models' TextChoices (pbx/models/calls.py) hold the same values with their labels, and
tests/callflow/test_vocabulary.py keeps the two equal."""

from __future__ import annotations

from enum import StrEnum


class Direction(StrEnum):
    INBOUND = "inbound"  # from the carrier
    OUTBOUND = "outbound"  # a staff phone dials out (or click-to-call)
    INTERNAL = "internal"  # a staff phone dials an extension


class Outcome(StrEnum):
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"  # a person talked to the caller
    VOICEMAIL = "voicemail"  # the caller left a message
    MISSED = "missed"  # nobody talked to the caller
    REJECTED = "rejected"  # refused (not our number, a guard, bad arguments)
    FAILED = "failed"  # an action on Asterisk failed
    LOST = "lost"  # the app lost track of it


class HungUpBy(StrEnum):
    NOBODY_YET = ""
    CALLER = "caller"
    CENTRALA = "centrala"


class RingKind(StrEnum):
    """What a ringing step rings."""

    EXTENSION = "extension"  # one staff phone
    QUEUE = "queue"  # a queue's members
    PLAN_B = "plan_b"  # the on-duty mobiles, when no office phone is reachable
    TRANSFER = "transfer"  # the colleague a call is transferred to
    EXTERNAL = "external"  # an outside number a scenario forwards to (or click-to-call's customer)
    OUTBOUND = "outbound"  # an outside number a staff phone dialled
    EMERGENCY = "emergency"  # 112 and the other emergency numbers
    PARKED = "parked"  # a caller parked (*70): music, then the parker's phones ring again

    @property
    def rings_the_firm(self) -> bool:
        """A caller waiting for the firm's people: if nobody answers (or the caller gives up),
        the firm owes a callback."""
        return self in _RINGS_THE_FIRM


_RINGS_THE_FIRM = frozenset({RingKind.EXTENSION, RingKind.QUEUE, RingKind.PLAN_B, RingKind.TRANSFER, RingKind.PARKED})


class StepKind(StrEnum):
    """Each line the core writes on a call's timeline (CallStep.kind). The history's own lines
    (started, answered, ended, lost, callback task, encryption) are in HistoryKind."""

    HOURS = "hours"
    ANNOUNCEMENT = "announcement"
    MENU = "menu"
    MENU_CHOICE = "menu_choice"
    MENU_INVALID = "menu_invalid"
    MENU_NO_INPUT = "menu_no_input"
    MENU_GAVE_UP = "menu_gave_up"
    RING_EXTENSION = "ring_extension"
    RING_QUEUE = "ring_queue"
    RING_PLAN_B = "ring_plan_b"
    RING_TRANSFER = "ring_transfer"
    RING_EXTERNAL = "ring_external"
    RING_OUTBOUND = "ring_outbound"
    RING_EMERGENCY = "ring_emergency"
    RING_PARKED = "ring_parked"  # parked in a slot; the parker's phones ring again later
    QUEUE_PLACE = "queue_place"
    LEG_FAILED = "leg_failed"
    NOT_ANSWERED = "not_answered"
    CONNECTED = "connected"
    STAFF_HUNG_UP = "staff_hung_up"
    TRANSFERRED = "transferred"
    TRANSFER_REFUSED = "transfer_refused"
    RESUMED = "resumed"  # the app came back after a crash or restart and took the call again
    HANDED_OVER = "handed_over"  # a consultation call whose colleague now talks to the caller
    VOICEMAIL = "voicemail"
    CALLBACK_OFFER = "callback_offer"
    CALLBACK_DECLINED = "callback_declined"
    CALLBACK_INSTEAD = "callback_instead"
    RECORDING = "recording"
    RECORDING_NOTICE = "recording_notice"
    RECORDING_OBJECTION = "recording_objection"
    RECORDING_PAUSED = "recording_paused"
    RECORDING_RESUMED = "recording_resumed"
    RECORDING_FAILED = "recording_failed"
    NOT_RECORDED = "not_recorded"
    CALLER_ID = "caller_id"
    TOLL_ALERT = "toll_alert"
    OUTBOUND_BLOCKED = "outbound_blocked"
    OUTBOUND_CUT = "outbound_cut"
    EMERGENCY_CALL = "emergency_call"
    NOT_IN_SERVICE = "not_in_service"
    BAD_ARGUMENTS = "bad_arguments"
    LOOP_STOPPED = "loop_stopped"
    COMMAND_FAILED = "command_failed"
    CALLER_HUNG_UP = "caller_hung_up"
    HANGUP = "hangup"
    DND = "dnd"
    FORWARDED = "forwarded"
    FORWARD_REFUSED = "forward_refused"  # *72 to a number calls may not be forwarded to
    PICKED_UP = "picked_up"  # a colleague answered it from their own phone (*8)
    # a staff phone's own services (services.py): voicemail, prompts recorded by phone
    PHONE_SERVICE = "phone_service"
    PIN_WRONG = "pin_wrong"
    PIN_ACCEPTED = "pin_accepted"
    PIN_LOCKED = "pin_locked"
    PROMPT_RECORDED = "prompt_recorded"
    MESSAGE_PLAYED = "message_played"

    @classmethod
    def ring(cls, kind: RingKind) -> StepKind:
        return cls(f"ring_{kind.value}")


class HistoryKind(StrEnum):
    """Timeline lines the history writes itself, from the other facts."""

    STARTED = "started"
    ANSWERED = "answered"
    ENDED = "ended"
    LOST = "lost"
    CALLBACK_TASK = "callback_task"
    ENCRYPTION = "encryption"
