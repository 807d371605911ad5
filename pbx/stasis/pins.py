"""Wrong PINs typed on staff phones, counted across calls (in memory, per Stasis process): an
extension with PIN_LOCK_AFTER wrong ones in PIN_LOCK_WINDOW gets no phone service until the
oldest ages out, so a script with a stolen SIP password cannot go on guessing three at a time."""

from __future__ import annotations

import logging
from collections import defaultdict, deque
from datetime import datetime

from pbx.callflow import commands as c
from pbx.callflow.service_steps import PIN_LOCK_AFTER, PIN_LOCK_WINDOW
from pbx.callflow.vocabulary import StepKind

from .worker import now

log = logging.getLogger(__name__)


class WrongPins:
    def __init__(self) -> None:
        self._wrong: defaultdict[str, deque[datetime]] = defaultdict(deque)

    def note(self, fact: c.Fact) -> None:
        if isinstance(fact, c.CallStep) and fact.kind == StepKind.PIN_WRONG:
            extension = str(fact.detail.get("extension", ""))
            self._wrong[extension].append(fact.at)
            if len(self._wrong[extension]) == PIN_LOCK_AFTER:
                log.warning(
                    "extension %s typed %d wrong PINs within an hour: its phone services are shut",
                    extension,
                    PIN_LOCK_AFTER,
                )

    def locked(self, extension: str, at: datetime | None = None) -> bool:
        wrong = self._wrong.get(extension)
        if not wrong:
            return False
        cutoff = (at or now()) - PIN_LOCK_WINDOW
        while wrong and wrong[0] < cutoff:
            wrong.popleft()
        return len(wrong) >= PIN_LOCK_AFTER
