"""Callers' numbers to E.164 (pbx.phone): the shortcut for Polish numbers already in E.164
form gives what phonenumbers gives, valid or not."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from pbx.phone import caller_to_e164, parsed_caller_to_e164


def test_poland_has_no_national_prefix_for_phonenumbers_to_strip():
    """The shortcut's premise: after +48 phonenumbers takes every digit as the national number."""
    poland = phonenumbers.PhoneMetadata.metadata_for_region("PL")
    assert poland is not None
    assert (poland.national_prefix, poland.national_prefix_for_parsing) == (None, None)


def test_a_polish_number_in_e164_form_comes_back_as_phonenumbers_gives_it():
    chance = random.Random(24)
    numbers = ["+48221234567", "+48601234567", "+48800123456", "+48112", "+48999", "+48", "+480221234567"]
    numbers += [
        "+48" + "".join(chance.choice("0123456789") for _ in range(length))
        for length in range(1, 18)
        for _ in range(300)
    ]
    for number in numbers:
        assert caller_to_e164(f" {number} ") == parsed_caller_to_e164(f" {number} ") == number.strip(), number


@pytest.mark.parametrize(
    ("sent", "e164"),
    [
        ("+48 22 123 45 67", "+48221234567"),  # spaced: parsed
        ("0048221234567", "+48221234567"),
        ("221234567", "+48221234567"),
        ("0221234567", "+48221234567"),  # a stray trunk zero
        ("+4930123456", "+4930123456"),  # another country: parsed
        ("+48\uff12\uff12\uff11\uff12\uff13\uff14\uff15\uff16\uff17", "+48221234567"),  # wide digits: parsed
        ("anonymous", "anonymous"),
        ("", ""),
    ],
)
def test_other_forms_are_parsed(sent, e164):
    assert caller_to_e164(sent) == e164
