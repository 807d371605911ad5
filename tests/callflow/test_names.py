"""What Centrala creates in Asterisk is named in one place, and read back the same way."""

from __future__ import annotations

import pytest

from pbx.callflow import names

KEY = "5f0c2a9e-8b1d-4c3e-a7f6-0d9e8c7b6a5f"


def test_the_names_made_are_the_names_recognised():
    assert names.is_our_bridge(names.bridge(KEY))
    for kind in names.RECORDING_KINDS:
        assert names.parse_recording(names.recording(KEY, kind)) == (KEY, kind)


@pytest.mark.parametrize(
    "name", ["", "call-1-bridge", f"{KEY}-bridge2", f"x{KEY}-bridge", f"{KEY.upper()}-bridge", f"{KEY}-leg1"]
)
def test_a_bridge_someone_else_made_is_not_ours(name):
    assert not names.is_our_bridge(name)


@pytest.mark.parametrize("name", ["", f"{KEY}-voicemail.wav", f"{KEY}-call-2", "call-1-call", f"{KEY}-p3"])
def test_a_recording_someone_else_made_is_not_ours(name):
    assert names.parse_recording(name) is None


def test_no_recording_kind_is_made_up():
    with pytest.raises(ValueError, match="no recording kind"):
        names.recording(KEY, "secret")


def test_legs_and_playbacks_carry_the_call_key_and_a_number():
    assert (names.leg(KEY, 3), names.playback(KEY, 4)) == (f"{KEY}-leg3", f"{KEY}-p4")
