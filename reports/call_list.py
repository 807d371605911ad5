"""The call list as a table for export: the admin's own filters and search (the same query
string as on its page), the person's own scope, plain rows in the office's language and time.
Used by the web request (CSV, a small XLSX) and by the worker (a large XLSX)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from pbx.local_time import STAMP
from pbx.models import Call

COLUMNS = [
    *("started_at", "direction", "caller", "called", "queue__name", "answered_by", "waited", "outcome"),
    *("abandoned", "ended_at", "hangup_cause_text"),
]


def table(request: HttpRequest) -> tuple[QuerySet[Call], list[str], Iterator[list[Any]]]:
    """(the calls, the header, the rows as they are read) for `request`'s filters and user."""
    call_admin = admin.site.get_model_admin(Call)
    calls = call_admin.get_changelist_instance(request).get_queryset(request).order_by("-started_at")
    header = [
        _("started"),
        _("direction"),
        _("caller"),
        _("number called"),
        _("queue"),
        _("answered by"),
        _("waited (s)"),
        _("outcome"),
        _("caller gave up waiting"),
        _("duration (s)"),
        _("hangup cause"),
    ]
    # Translated now: a streamed response is read after the request's language is switched off.
    words = {k: str(v) for k, v in [*Call.Direction.choices, *Call.Outcome.choices]} | {"yes": _("yes"), "no": _("no")}
    return calls, header, _rows(calls, words)


def _rows(calls: QuerySet[Call], words: dict[str, str]) -> Iterator[list[Any]]:
    # Plain rows and one time zone: a million calls go out without a model instance each.
    office = timezone.get_current_timezone()
    for started, direction, caller, called, queue, person, waited, outcome, gave_up, ended, cause in calls.values_list(
        *COLUMNS
    ).iterator(chunk_size=5000):
        yield [
            started.astimezone(office).strftime(STAMP),
            words.get(direction, direction),
            caller,
            called,
            queue or "",
            person,
            round(waited.total_seconds()) if waited is not None else "",
            words.get(outcome, outcome),
            words["yes" if gave_up else "no"],
            round((ended - started).total_seconds()) if ended is not None else "",
            cause,
        ]
