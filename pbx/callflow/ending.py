"""How a call ends: who hung up, with which Q.850 cause, and the honest outcome for the history."""

from __future__ import annotations

from dataclasses import dataclass

from .vocabulary import HungUpBy, Outcome

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


@dataclass
class Ending:
    outcome: Outcome = Outcome.IN_PROGRESS  # decided early only when refused or failed
    cause: int | None = None
    hung_up_by: HungUpBy = HungUpBy.NOBODY_YET
    talked: bool = False  # a person (staff, or the outside number dialled) answered
    left_message: bool = False
    abandoned: bool = False  # the caller hung up while the firm's phones rang (or in a queue)
    cause_text: str = ""  # set at the end

    def centrala_hangs_up(self, reason: str) -> None:
        self.hung_up_by = HungUpBy.CENTRALA
        self.cause = REASON_CAUSE.get(reason)

    def caller_hangs_up(self) -> None:
        self.hung_up_by = HungUpBy.CALLER

    def hangup_requested(self, cause: int | None, soft: bool) -> None:
        """Asterisk's ChannelHangupRequest; the first hard one names the cause."""
        if self.cause is None and not soft:
            self.cause = cause

    def final(self, *, lost: bool, destroyed_cause: int | None = None, destroyed_text: str = "") -> None:
        """Settle the outcome once the caller's channel is gone. "answered" means a person
        talked to the caller; "lost" that the app lost track of the call."""
        if destroyed_cause is not None:
            self.cause = destroyed_cause
        self.cause_text = destroyed_text if destroyed_cause is not None else CAUSE_TEXT.get(self.cause or -1, "")
        if lost:
            self.outcome = Outcome.LOST
        elif self.outcome == Outcome.IN_PROGRESS:
            self.outcome = (
                Outcome.ANSWERED if self.talked else Outcome.VOICEMAIL if self.left_message else Outcome.MISSED
            )
