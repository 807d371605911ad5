"""Phone numbers in E.164, read the way Polish callers and carriers write them."""

import functools
import re

import phonenumbers

DEFAULT_REGION = "PL"
# A Polish number already written in E.164 ('+48' and digits), as carriers send callers' numbers.
_POLISH_E164 = re.compile(r"\+48[0-9]+")


class InvalidPhoneNumber(ValueError):
    pass


def to_e164(raw: str, region: str = DEFAULT_REGION) -> str:
    """Normalise '22 123 45 67', '0048221234567', '+48 22-123-45-67' to '+48221234567'.

    Raises InvalidPhoneNumber naming the input when it is not a valid number.
    """
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"'{raw}' is not a phone number ({exc})") from exc
    if not phonenumbers.is_valid_number(parsed) and text.startswith("0"):
        # A stray trunk prefix ('0 22 ...') is common in Poland, where none is used.
        return to_e164(text.lstrip("0"), region)
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(f"'{raw}' is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def caller_to_e164(raw: str, region: str = DEFAULT_REGION) -> str:
    """Best effort for caller IDs: E.164 when the number is valid, else the digits as sent.

    A Polish number in E.164 form comes back as it is, without phonenumbers: valid, it is its own
    E.164; not valid, it is returned as sent. (So only while Poland has no national prefix for
    phonenumbers to strip after +48: tests/test_phone.py checks the shortcut against the parse.)
    Parsing every caller's number was a twentieth of the Stasis app's CPU per call."""
    text = raw.strip()
    if _POLISH_E164.fullmatch(text):
        return text
    return parsed_caller_to_e164(raw, region)


@functools.lru_cache(maxsize=4096)
def parsed_caller_to_e164(raw: str, region: str = DEFAULT_REGION) -> str:
    """`caller_to_e164` through phonenumbers. Remembered (the number dialled, a regular caller)."""
    try:
        return to_e164(raw, region)
    except InvalidPhoneNumber:
        return raw.strip()


def pretty_number(e164: str) -> str:
    """A number as people write it: '+48 601 234 567'; anything not a number as it is."""
    try:
        parsed = phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return e164
    if not phonenumbers.is_valid_number(parsed):
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
