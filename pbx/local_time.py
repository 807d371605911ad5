"""How a moment is written for people: in the office's time zone (settings.TIME_ZONE, which
follows summer time), never UTC. One place, so an e-mail, a list, a page's title and an
export say the same moment the same way."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

__all__ = ["STAMP", "office_stamp", "office_time"]

STAMP = "%Y-%m-%d %H:%M:%S"  # sorts as text: exports and logs


def office_time(moment: datetime | None, *, seconds: bool = False) -> str:
    """'02.12.2026 08:36' (with ':05' seconds if asked), as Poles write a date; '' for none."""
    if moment is None:
        return ""
    return (
        f"{timezone.localtime(moment):%d.%m.%Y %H:%M:%S}" if seconds else f"{timezone.localtime(moment):%d.%m.%Y %H:%M}"
    )


def office_stamp(moment: datetime | None) -> str:
    """'2026-12-02 08:36:05': the same moment in an order that sorts, for exports and logs
    read by a spreadsheet; '' for none."""
    return timezone.localtime(moment).strftime(STAMP) if moment is not None else ""
