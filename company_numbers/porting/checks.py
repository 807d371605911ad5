"""What is wrong with a porting request, all at once, before an operator rejects it.

Problems stop the request (a bad checksum, an identifier the subscriber type does not use);
warnings are for a person to look at (a name that differs from the operator's records only in
case, spacing or an abbreviation is still a different name to the operator's system).
"""

import difflib
import re
import unicodedata
from collections.abc import Callable

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.pl import nip, pesel, regon

StrOrPromise = str | Promise
IDENTIFIERS = {"pesel": pesel, "nip": nip, "regon": regon}

# Which identifiers each subscriber type needs (one of each inner tuple) and may not carry.
NEEDS: dict[str, list[tuple[str, ...]]] = {
    "person": [("pesel", "id_document")],
    "sole_trader": [("nip",), ("pesel", "regon")],
    "company": [("nip", "regon", "register_number")],
}
NOT_FOR: dict[str, tuple[str, ...]] = {
    "person": ("nip", "regon", "register_number"),
    "sole_trader": (),
    "company": ("pesel",),
}
LABELS = {
    "pesel": "PESEL",
    "nip": "NIP",
    "regon": "REGON",
    "register_number": gettext_lazy("register number (KRS/CEIDG)"),
    "id_document": gettext_lazy("identity document"),
}
KIND_NAMES = {
    "person": gettext_lazy("person"),
    "sole_trader": gettext_lazy("sole trader"),
    "company": gettext_lazy("company"),
}

LEGAL_FORMS = [
    (r"sp(ółka|\.)\s*z\s*o(graniczoną|\.)\s*o(dpowiedzialnością|\.)?", "sp. z o.o."),
    (r"sp(ółka|\.)\s*j(awna|\.)", "sp.j."),
    (r"sp(ółka|\.)\s*k(omandytowa|\.)", "sp.k."),
    (r"sp(ółka|\.)\s*a(kcyjna|\.)|\bs\.\s*a\.", "s.a."),
]


def identifier_problems(kind: str, values: dict[str, str]) -> list[str]:
    problems = []
    for name, module in IDENTIFIERS.items():
        value = values.get(name, "")
        if value:
            try:
                module.validate(value)
            except StdnumError as exc:
                problems.append(
                    _("%(label)s %(value)r is not valid: %(why)s") % {"label": LABELS[name], "value": value, "why": exc}
                )
    for group in NEEDS.get(kind, []):
        if not any(values.get(name) for name in group):
            needed = str(_(" or ")).join(str(LABELS[n]) for n in group)
            problems.append(_("A %(kind)s needs %(ids)s.") % {"kind": KIND_NAMES.get(kind, kind), "ids": needed})
    for name in NOT_FOR.get(kind, ()):
        if values.get(name):
            problems.append(
                _("%(label)s does not belong to a %(kind)s: check the subscriber type.")
                % {"label": LABELS[name], "kind": KIND_NAMES.get(kind, kind)}
            )
    return problems


def name_warnings(entered: str, on_record: str) -> list[str]:
    """How `entered` differs from what the operator has `on_record`; empty when identical.

    Nothing is changed: the request must carry the name exactly as the operator has it.
    """
    if not on_record or entered == on_record:
        return []
    a, b, kinds = entered, on_record, []
    for what, normalise in NORMALISATIONS:
        a2, b2 = normalise(a), normalise(b)
        if a2 == b2 or _likeness(a2, b2) > _likeness(a, b):  # this step explains part of the gap
            kinds.append(what)
        a, b = a2, b2
        if a == b:
            break
    if a != b:
        return [
            _("The name %(entered)r is not the name the operator has on record (%(record)r).")
            % {"entered": entered, "record": on_record}
        ]
    return [
        _(
            "The name differs from the operator's record (%(record)r) in %(kinds)s: use it exactly as on the "
            "operator's invoice, or the port will be rejected."
        )
        % {"record": on_record, "kinds": ", ".join(str(k) for k in kinds)}
    ]


def _likeness(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def _legal_form(text: str) -> str:
    for pattern, short in LEGAL_FORMS:
        text = re.sub(pattern, short, text, flags=re.IGNORECASE)
    return text


def _strip_diacritics(text: str) -> str:
    text = text.replace("ł", "l").replace("Ł", "L")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


# The ways a name can differ and still be the same name to a person, mildest first.
NORMALISATIONS: list[tuple[StrOrPromise, Callable[[str], str]]] = [
    (gettext_lazy("spacing"), lambda s: " ".join(s.split())),
    (gettext_lazy("quotation marks"), lambda s: re.sub(r"[\"'„”“«»`]", '"', s)),
    (gettext_lazy("letter case"), str.casefold),
    (gettext_lazy("legal-form abbreviation"), _legal_form),
    (gettext_lazy("Polish letters (diacritics)"), _strip_diacritics),
]
