"""A snapshot of what the office manager configured, as plain frozen values.

The pump builds a Directory from the database off the event path and swaps it whole when the
configuration changes; the core only reads it. No ORM object ever reaches the core.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pbx.phone import caller_to_e164

RECORDING_FORMAT = "wav"


@dataclass(frozen=True)
class NumberPlan:
    """What a call to one company number gets."""

    number: str  # E.164
    greeting: str  # media URI, e.g. "sound:hello-world"
    record_seconds: int = 0  # 0: no recording


@dataclass(frozen=True)
class Directory:
    numbers: Mapping[str, NumberPlan] = field(default_factory=dict)
    # Played (as early media, unanswered) when the dialled number is not ours.
    not_in_service: str = "sound:ss-noservice"

    def plan_for(self, dialled: str) -> NumberPlan | None:
        return self.numbers.get(caller_to_e164(dialled))
