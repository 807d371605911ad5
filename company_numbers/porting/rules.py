"""The legal deadlines for number porting, in one place.

Source and status (see shared research, legal-security.md section 1): the figures come from the
Telecommunications Law era (PT art. 71 and its 2010/2018 regulations, as summarised by UKE) and
the EU Code (EECC art. 106). The Electronic Communications Law (PKE, Dz.U. 2024 poz. 1221,
art. 325 and following) replaced PT; its text must be checked and these values changed here,
or per installation with settings.PORTING_RULES = {"field": value, ...}, if it differs.
A "working day" is Monday to Friday minus Polish public holidays (the regulation's own
definition was not confirmed).
"""

from dataclasses import dataclass, fields, replace

from django.conf import settings


@dataclass(frozen=True)
class PortingRules:
    # The new provider decides on a request made at a distance: fixed lines / mobile numbers.
    decision_working_days_fixed: int = 14
    decision_working_days_mobile: int = 3
    # The number works at the new provider within this many working days of the agreed date
    # (EECC art. 106(5)).
    activation_working_days: int = 1
    # The subscriber may withdraw no later than this many days before the porting date.
    withdrawal_days_before: int = 2
    # After the old contract ends the number may still be ported for this long (PT art. 71(1b)).
    months_to_port_after_contract_end: int = 1


def porting_rules() -> PortingRules:
    overrides = getattr(settings, "PORTING_RULES", {}) or {}
    known = {f.name for f in fields(PortingRules)}
    unknown = set(overrides) - known
    if unknown:
        raise ValueError(f"settings.PORTING_RULES: unknown keys {sorted(unknown)}; known: {sorted(known)}")
    return replace(PortingRules(), **overrides)
