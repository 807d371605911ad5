"""What the dialplan (or Centrala's own originate) says about a channel entering Stasis.

Asterisk splits Stasis()'s arguments on commas after substituting `${EXTEN}`, so a number
dialled with a comma in it ('+48601234567,1') becomes two arguments. The dialed number is
therefore always the last argument, after every fixed one, and anything but the exact count
is refused: a comma can never move a number into the "came over TLS" flag.

    inbound,<number dialled>                 from the carrier
    internal,<1 if TLS else 0>,<dialled>     from a staff phone
    callback,<task>,<customer>,<extension>   click-to-call: the staff phone answered
    leg,<call key>                           a leg Centrala rang for a call
    resume,<call key>,<1 if its row exists>  a caller another Stasis worker took back after it
                                             restarted, passed to the first (never the dialplan's)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RESUME = "resume"  # the first argument of a caller passed on by a restarted Stasis worker


@dataclass(frozen=True)
class StasisArgs:
    kind: Literal["inbound", "internal", "callback", "leg", "resume"]
    dialled: str = ""
    over_tls: bool = True  # internal: the phone reached Asterisk over TLS
    task_id: str = ""  # callback
    number: str = ""  # callback: the customer's number
    staff: str = ""  # callback: the extension that answered
    call_key: str = ""  # resume: the key the call goes on under
    known: bool = False  # resume: its history row exists


def parse_stasis_args(args: tuple[str, ...], exten: str = "") -> StasisArgs | None:
    """The arguments as Centrala wrote them, or None for anything else (refuse the call)."""
    match args:
        case () | ("inbound",):
            return StasisArgs("inbound", dialled=exten)
        case ("inbound", dialled):
            return StasisArgs("inbound", dialled=dialled)
        case ("internal", "1" | "0" as tls, dialled):
            return StasisArgs("internal", dialled=dialled, over_tls=tls == "1")
        case ("callback", task_id, number, staff):
            return StasisArgs("callback", task_id=task_id, number=number, staff=staff)
        case ("leg", _):
            return StasisArgs("leg")
        case (resume, key, "1" | "0" as known) if resume == RESUME and key:
            return StasisArgs("resume", call_key=key, known=known == "1")
    return None
