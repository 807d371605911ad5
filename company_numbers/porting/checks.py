"""What is wrong with a porting request, all at once, before an operator rejects it.

Problems stop the request (a bad checksum, an identifier the subscriber type does not use);
warnings are for a person to look at (a name that differs from the operator's records only in
case, spacing or an abbreviation is still a different name to the operator's system).
"""

import difflib
import re
import unicodedata
from collections.abc import Callable

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.pl import nip, pesel, regon

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
LABELS = {"pesel": "PESEL", "nip": "NIP", "regon": "REGON", "register_number": "register number (KRS/CEIDG)",
          "id_document": "identity document"}  # fmt: skip

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
                problems.append(f"{LABELS[name]} {value!r} is not valid: {exc}")
    for group in NEEDS.get(kind, []):
        if not any(values.get(name) for name in group):
            problems.append(f"A {kind.replace('_', ' ')} needs {' or '.join(LABELS[n] for n in group)}.")
    for name in NOT_FOR.get(kind, ()):
        if values.get(name):
            problems.append(f"{LABELS[name]} does not belong to a {kind.replace('_', ' ')}: check the subscriber type.")
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
        return [f"The name {entered!r} is not the name the operator has on record ({on_record!r})."]
    return [f"The name differs from the operator's record ({on_record!r}) in {', '.join(kinds)}: use it "
            "exactly as on the operator's invoice, or the port will be rejected."]  # fmt: skip


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
NORMALISATIONS: list[tuple[str, Callable[[str], str]]] = [
    ("spacing", lambda s: " ".join(s.split())),
    ("quotation marks", lambda s: re.sub(r"[\"'„”“«»`]", '"', s)),
    ("letter case", str.casefold),
    ("legal-form abbreviation", _legal_form),
    ("Polish letters (diacritics)", _strip_diacritics),
]
