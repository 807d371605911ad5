"""A call's timeline as sentences the office reads ("Zadzwonił +48 601 234 567 na numer Biuro",
"Menu: wybrano 1"), from the event kinds and details the history keeps. The raw detail stays
available to support behind a toggle; nothing here is stored.

One sentence per kind; a kind or a detail this does not know yet reads as the event's label,
never as JSON."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext_lazy

from pbx.callflow.vocabulary import HistoryKind, StepKind
from pbx.phone import pretty_number

Detail = Mapping[str, Any]

# Q.850 causes, as a person says them (the history keeps Asterisk's English text for support).
CAUSES = {
    1: gettext_noop("the number does not exist"),
    16: gettext_noop("normal end of the call"),
    17: gettext_noop("busy"),
    18: gettext_noop("no answer from the phone"),
    19: gettext_noop("no answer"),
    21: gettext_noop("call rejected"),
    31: gettext_noop("ended normally"),
    34: gettext_noop("no line free"),
}

_WHY = {
    "within opening hours": gettext_noop("within opening hours"),
    "outside opening hours": gettext_noop("outside opening hours"),
    "no_answer": gettext_noop("nobody answered"),
    "nobody_to_ring": gettext_noop("nobody could be rung"),
    "invalid": gettext_noop("a wrong key"),
    "no_input": gettext_noop("no key pressed"),
    "always": gettext_noop("forward of all calls"),
    "busy": gettext_noop("forward when busy"),
    "unreachable": gettext_noop("forward when no phone is on"),
    "daily minutes used up": gettext_noop("the day's outside minutes are used up"),
}

_STATES = {
    "open": pgettext_lazy("opening hours", "open"),
    "closed": pgettext_lazy("opening hours", "closed"),
    "holiday": pgettext_lazy("opening hours", "public holiday"),
    "closure": pgettext_lazy("opening hours", "closed for the day"),
}

_WHERE = {
    "bridged": gettext_noop("the conversation went on"),
    "voicemail": gettext_noop("the message being left was finished"),
    "left_message": gettext_noop("the message had been left meanwhile; the call was ended"),
    "entry": gettext_noop("the caller was told and the scenario started again"),
    "release": gettext_noop("the caller was told and let go"),
}


def cause_text(cause: object) -> str:
    """A Q.850 cause in the office's language ("" for none)."""
    try:
        number = int(cause)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return ""
    text = CAUSES.get(number)
    return _(text) if text else _("cause %(n)s") % {"n": number}


def _why(value: object) -> str:
    text = str(value or "")
    if text.startswith("manual override: "):
        return _("switched by hand: %(state)s") % {"state": _(text.removeprefix("manual override: "))}
    return _(_WHY[text]) if text in _WHY else text


def _who(value: object) -> str:
    """An extension as it is, an outside number readable."""
    text = str(value or "")
    return pretty_number(text) if text.startswith("+") else text


def _people(values: object) -> str:
    if not isinstance(values, list | tuple):
        return _who(values)
    return ", ".join(_who(v) for v in values) or _("nobody")


def _yes(value: object) -> str:
    return _("yes") if value else _("no")


def _ring(what: str) -> Callable[[Detail], str]:
    def sentence(d: Detail) -> str:
        text = _(what) % {"who": _people(d.get("targets", [])), "queue": d.get("queue", "")}
        if d.get("covering_for"):
            text += " " + _("(covering for %(who)s)") % {"who": _people(d["covering_for"])}
        if d.get("slot"):
            text += " " + _("(slot %(slot)s)") % {"slot": d["slot"]}
        return text

    return sentence


SENTENCES: dict[str, Callable[[Detail], str]] = {
    HistoryKind.STARTED: lambda d: (
        _("%(caller)s called %(called)s")
        % {"caller": _who(d.get("caller")) or _("a withheld number"), "called": _who(d.get("called"))}
    ),
    HistoryKind.ANSWERED: lambda d: _("The call was answered"),
    HistoryKind.ENDED: lambda d: (
        _("The call ended: %(outcome)s") % {"outcome": _outcome(d.get("outcome"))}
        + (f" ({cause_text(d['cause'])})" if d.get("cause") else "")
    ),
    HistoryKind.LOST: lambda d: _("Centrala lost track of the call; it ended while the app was not following it"),
    HistoryKind.CALLBACK_TASK: lambda d: _("A callback is owed (%(reason)s)") % {"reason": _reason(d.get("reason"))},
    HistoryKind.ENCRYPTION: lambda d: (
        _("Phone %(who)s: encrypted connection %(tls)s, encrypted audio %(srtp)s")
        % {"who": d.get("extension", ""), "tls": _yes(d.get("tls")), "srtp": _yes(d.get("srtp"))}
    ),
    StepKind.HOURS: lambda d: (
        _("Opening hours: %(state)s (%(why)s)") % {"state": str(_STATES[str(d["state"])]), "why": _why(d.get("why"))}
        if str(d.get("state")) in _STATES
        else _("Opening hours: %(why)s") % {"why": _why(d.get("why"))}
    ),
    StepKind.ANNOUNCEMENT: lambda d: _("Played a message"),
    StepKind.MENU: lambda d: _("Menu played"),
    StepKind.MENU_CHOICE: lambda d: _("Menu: key %(digit)s pressed") % {"digit": d.get("digit", "")},
    StepKind.MENU_INVALID: lambda d: _("Menu: a wrong key, the menu plays again"),
    StepKind.MENU_NO_INPUT: lambda d: _("Menu: no key pressed, the menu plays again"),
    StepKind.MENU_GAVE_UP: lambda d: _("Menu: given up (%(why)s)") % {"why": _why(d.get("why"))},
    StepKind.RING_EXTENSION: _ring(gettext_noop("Rings %(who)s")),
    StepKind.RING_QUEUE: _ring(gettext_noop("Queue %(queue)s: rings %(who)s")),
    StepKind.RING_PLAN_B: _ring(gettext_noop("Plan B: rings the mobiles of %(who)s")),
    StepKind.RING_TRANSFER: _ring(gettext_noop("Transfer: rings %(who)s")),
    StepKind.RING_EXTERNAL: _ring(gettext_noop("Forwarded to %(who)s")),
    StepKind.RING_OUTBOUND: _ring(gettext_noop("Dials %(who)s")),
    StepKind.RING_EMERGENCY: _ring(gettext_noop("Emergency call: dials %(who)s")),
    StepKind.RING_PARKED: _ring(gettext_noop("Parked; then rings %(who)s again")),
    StepKind.QUEUE_PLACE: lambda d: (
        _("Told the caller their place in the queue: %(place)s") % {"place": d.get("place", "")}
    ),
    StepKind.LEG_FAILED: lambda d: _("%(who)s did not answer") % {"who": _who(d.get("target"))},
    StepKind.NOT_ANSWERED: lambda d: _("Nobody answered (%(why)s)") % {"why": _why(d.get("why"))},
    StepKind.CONNECTED: lambda d: _("Connected with %(who)s") % {"who": _who(d.get("target"))},
    StepKind.STAFF_HUNG_UP: lambda d: _("%(who)s hung up") % {"who": _who(d.get("target"))},
    StepKind.TRANSFERRED: lambda d: (
        (
            _("%(by)s consulted %(to)s, then transferred the call")
            if d.get("attended")
            else _("%(by)s transferred the call to %(to)s")
        )
        % {"by": _who(d.get("by")), "to": _who(d.get("to"))}
    ),
    StepKind.TRANSFER_REFUSED: lambda d: _("A transfer by %(by)s was refused") % {"by": _who(d.get("by"))},
    StepKind.HANDED_OVER: lambda d: (
        _("The caller %(caller)s was handed over to %(to)s")
        % {"caller": _who(d.get("caller")), "to": _who(d.get("to"))}
    ),
    StepKind.VOICEMAIL: lambda d: _("Voicemail: the caller may leave a message"),
    StepKind.CALLBACK_OFFER: lambda d: _("Offered a callback"),
    StepKind.CALLBACK_DECLINED: lambda d: _("The caller did not ask for a callback"),
    StepKind.CALLBACK_INSTEAD: lambda d: _("The caller asked to be called back instead of waiting"),
    StepKind.RECORDING: lambda d: _("Recording started (rule %(rule)s)") % {"rule": d.get("rule", "")},
    StepKind.RECORDING_NOTICE: lambda d: _("Recording announced (rule %(rule)s)") % {"rule": d.get("rule", "")},
    StepKind.RECORDING_OBJECTION: lambda d: (
        _("The caller objected to recording (key %(key)s)") % {"key": d.get("key", "")}
    ),
    StepKind.RECORDING_PAUSED: lambda d: _("Recording paused by %(by)s") % {"by": d.get("by", "")},
    StepKind.RECORDING_RESUMED: lambda d: _("Recording resumed by %(by)s") % {"by": d.get("by", "")},
    StepKind.RECORDING_FAILED: lambda d: _("Recording failed"),
    StepKind.NOT_RECORDED: lambda d: _("Not recorded (rule %(rule)s)") % {"rule": d.get("rule", "")},
    StepKind.CALLER_ID: lambda d: _("Number shown: %(shown)s") % {"shown": _who(d.get("shown")) or _("withheld")},
    StepKind.TOLL_ALERT: lambda d: _("Toll-fraud alert"),
    StepKind.OUTBOUND_BLOCKED: lambda d: _("Outside call to %(number)s refused") % {"number": _who(d.get("number"))},
    StepKind.OUTBOUND_CUT: lambda d: _("Outside call cut off: %(why)s") % {"why": _why(d.get("reason"))},
    StepKind.EMERGENCY_CALL: lambda d: (
        _("Emergency call to %(number)s from %(who)s") % {"number": d.get("number", ""), "who": d.get("extension", "")}
    ),
    StepKind.NOT_IN_SERVICE: lambda d: _("The number dialled is not in service"),
    StepKind.BAD_ARGUMENTS: lambda d: _("Refused: a malformed call"),
    StepKind.LOOP_STOPPED: lambda d: _("Stopped: the scenario went round in a loop"),
    StepKind.COMMAND_FAILED: lambda d: _("Asterisk refused a step of the call"),
    StepKind.CALLER_HUNG_UP: lambda d: (
        _("The caller hung up") + (f" ({cause_text(d['cause'])})" if d.get("cause") else "")
    ),
    StepKind.HANGUP: lambda d: _("Centrala ended the call"),
    StepKind.DND: lambda d: _("%(who)s is in do-not-disturb: not rung") % {"who": d.get("extension", "")},
    StepKind.FORWARDED: lambda d: (
        _("%(who)s's calls are forwarded (%(why)s)") % {"who": d.get("extension", ""), "why": _why(d.get("why"))}
    ),
    StepKind.FORWARD_REFUSED: lambda d: _("A forward to %(to)s was refused") % {"to": _who(d.get("to"))},
    StepKind.PICKED_UP: lambda d: _("%(by)s picked the call up from their own phone") % {"by": d.get("by", "")},
    StepKind.PHONE_SERVICE: lambda d: _("Phone service %(service)s") % {"service": d.get("service", "")},
    StepKind.PIN_WRONG: lambda d: _("Wrong PIN"),
    StepKind.PIN_ACCEPTED: lambda d: _("PIN accepted"),
    StepKind.PIN_LOCKED: lambda d: _("Refused: too many wrong PINs in the last hour"),
    StepKind.PROMPT_RECORDED: lambda d: _("A prompt was recorded on the phone"),
    StepKind.MESSAGE_PLAYED: lambda d: _("A voicemail message was played on the phone"),
    StepKind.RESUMED: lambda d: (
        _("Interrupted by a restart of Centrala; %(what)s")
        % {"what": _(_WHERE.get(str(d.get("where")), "the call was taken back"))}
    ),
}


def _outcome(value: object) -> str:
    from pbx.models import Call  # the labels live with the model

    try:
        return str(Call.Outcome(str(value)).label)
    except ValueError:
        return str(value or "")


def _reason(value: object) -> str:
    from pbx.models import CallbackTask

    try:
        return str(CallbackTask.Reason(str(value)).label)
    except (ValueError, AttributeError):
        return str(value or "")


def describe(kind: str, detail: Detail | None, label: str = "") -> str:
    """The event as one sentence; its label (the kind's name in the office's language) when
    this has no sentence for it."""
    sentence = SENTENCES.get(kind)
    if sentence is None:
        return label or kind
    try:
        return sentence(detail or {})
    except (TypeError, ValueError, KeyError):
        return label or kind


__all__ = ["cause_text", "describe"]


# Django's own "Add another %(verbose_name)s" reads "Dodaj kolejne(go)(-ną)(-ny) ..." in Polish;
# Centrala's catalogue (first in LOCALE_PATHS) says it plainly for every inline.
ADD_ANOTHER = gettext_noop("Add another %(verbose_name)s")
