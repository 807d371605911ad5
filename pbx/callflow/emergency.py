"""Emergency and helpline numbers: never refused, never delayed, never masked.

Polish law (Prawo komunikacji elektronicznej, after EECC art. 109) requires free access to
emergency numbers from every terminal, and the dispatcher must be able to call back, so these
numbers skip the toll-fraud guard (policy, hours, caps, new-country alerts) and always show
the firm's own number. They are also written into the dialplan (asterisk-conf/extensions.conf),
which dials them straight to the trunk when the Stasis app is not there: the one place where
the dialplan decides without Python.

Source: the national numbering plan's short numbers as listed by UKE and gov.pl (checked in
shared/research/legal-security.md, "Emergency numbers", 2024 PKE facts): 112 common emergency
number; 997 police, 998 fire brigade, 999 ambulance; 984 water rescue, 985 mountain and sea
rescue, 986 municipal police, 991 power, 992 gas, 993 heating, 994 water emergencies; and
the harmonised European helplines 116 000 (missing children), 116 111 (children's helpline),
116 123 (emotional support).
"""

from __future__ import annotations


def gettext_noop(text: str) -> str:
    """Marks a name for the translation catalog (makemessages reads the call); the core
    imports no Django, so the e-mails and pages translate it where they show it."""
    return text


EMERGENCY_NUMBERS: dict[str, str] = {
    "112": gettext_noop("emergency (112)"),
    "997": gettext_noop("police"),
    "998": gettext_noop("fire brigade"),
    "999": gettext_noop("ambulance"),
    "984": gettext_noop("water rescue"),
    "985": gettext_noop("mountain and sea rescue"),
    "986": gettext_noop("municipal police"),
    "991": gettext_noop("power emergency"),
    "992": gettext_noop("gas emergency"),
    "993": gettext_noop("heating emergency"),
    "994": gettext_noop("water and sewage emergency"),
    "116000": gettext_noop("missing children helpline"),
    "116111": gettext_noop("children's helpline"),
    "116123": gettext_noop("emotional support helpline"),
}
# Ringing an emergency centre is never given up on by Centrala: the caller or the centre ends it.
EMERGENCY_RING_SECONDS = 600


def emergency_number(dialled: str) -> str | None:
    """The short number when `dialled` is an emergency or helpline number, written as phones
    send it ('112', '+48112', '0048112', '116 111'); None otherwise."""
    digits = dialled.strip().replace(" ", "").replace("-", "")
    for prefix in ("+48", "0048"):
        if digits.startswith(prefix) and digits[len(prefix) :] in EMERGENCY_NUMBERS:
            digits = digits[len(prefix) :]
    return digits if digits in EMERGENCY_NUMBERS else None
