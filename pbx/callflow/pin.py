"""The PIN a staff member types on their phone for its own services (voicemail, recording a
prompt): kept as a salted SHA-256, checked in the call flow without I/O. A PIN is a few digits,
so the hash alone guards little; the real guard is the three tries per call (services.py) and
each wrong PIN on the call's timeline."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

PIN_PATTERN = re.compile(r"^[0-9]{4,8}$")


def pin_digest(pin: str, salt: str | None = None) -> str:
    """The stored form of `pin` (4 to 8 digits; ValueError otherwise)."""
    if not PIN_PATTERN.match(pin):
        raise ValueError("a PIN is 4 to 8 digits")
    salt = salt or secrets.token_hex(8)
    return f"{salt}${hashlib.sha256(f'{salt}:{pin}'.encode()).hexdigest()}"


def pin_matches(pin: str, digest: str) -> bool:
    """Whether `pin` is the one `digest` was made from; False for an empty digest."""
    salt, _, _ = digest.partition("$")
    if not digest or not PIN_PATTERN.match(pin):
        return False
    return hmac.compare_digest(pin_digest(pin, salt), digest)
