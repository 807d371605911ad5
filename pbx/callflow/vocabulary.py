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
