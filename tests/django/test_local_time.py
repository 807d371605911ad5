"""Moments are written in the office's time zone, summer time included (pbx/local_time.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from pbx.local_time import office_stamp, office_time


def test_a_moment_is_written_in_office_time_winter_and_summer(settings):
    settings.TIME_ZONE = "Europe/Warsaw"
    assert office_time(datetime(2026, 12, 2, 7, 36, 5, tzinfo=UTC)) == "02.12.2026 08:36"  # CET, UTC+1
    assert office_time(datetime(2026, 7, 1, 22, 30, tzinfo=UTC), seconds=True) == "02.07.2026 00:30:00"  # CEST
    assert office_stamp(datetime(2026, 3, 29, 1, 0, tzinfo=UTC)) == "2026-03-29 03:00:00"  # the night clocks go forward
    assert office_time(None) == office_stamp(None) == ""
