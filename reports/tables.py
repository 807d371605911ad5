"""What a report shows, for its page, its exports and the monthly e-mail: the firm's outcome
rows with the period before, each scope's line, the busiest hours' shading, and links from a
number to the call list filtered to the calls behind it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from company_numbers.models import CompanyNumber
from pbx.models import Call, Extension, Queue

from . import figures as f
from .periods import Period


def calls_link(period: Period, scope: dict[str, Any], **more: Any) -> str:
    """The call list, filtered to the calls a figure counts."""
    params = {
        "direction__exact": Call.Direction.INBOUND,
        "started_at__gte": period.start.isoformat(),
        "started_at__lt": period.end.isoformat(),
    }
    for name, value in {**scope, **more}.items():
        params[f"{name}__id__exact" if name == "queue" else f"{name}__exact"] = getattr(value, "pk", value)
    return "/admin/pbx/call/?" + urlencode(params)


def links(period: Period, scope: dict[str, Any]) -> dict[str, str]:
    links = {o: calls_link(period, scope, outcome=o) for o in f.OUTCOMES}
    return links | {"calls": calls_link(period, scope), "abandoned": calls_link(period, scope, abandoned=1)}


def trend(now: float | None, before: float | None) -> str:
    if now is None or before is None or now == before:
        return ""
    return f"{'+' if now > before else '-'}{abs(now - before):.0f}"


def outcome_rows(now: f.Figures, before: f.Figures, links: dict[str, str]) -> list[dict[str, Any]]:
    """The firm's figures, each with the period before and a link to its calls. The outcomes
    (answered, message, missed, each other) add up to the calls."""
    outcome_labels = dict(Call.Outcome.choices)
    rows: list[dict[str, Any]] = [
        {"label": _("Calls"), "value": now.calls, "before": before.calls, "link": links["calls"], "top": True},
        {
            "label": _("answered by a person"),
            "value": now.answered,
            "before": before.answered,
            "link": links["answered"],
        },
        {"label": _("left a message"), "value": now.voicemail, "before": before.voicemail, "link": links["voicemail"]},
        {"label": _("missed"), "value": now.missed, "before": before.missed, "link": links["missed"]},
        {
            "label": _("of which the caller gave up waiting"),
            "value": now.abandoned,
            "before": before.abandoned,
            "link": links["abandoned"],
            "part": True,
        },
    ]
    for outcome, n in now.others:
        rows.append(
            {
                "label": str(outcome_labels[outcome]),
                "value": n,
                "before": before.outcomes.get(outcome, 0),
                "link": links[outcome],
            }
        )
    for row in rows:
        row["trend"] = trend(row["value"], row["before"])
        row["share"] = now.share(row["value"]) if not row.get("top") else None
    return rows


def number_names() -> dict[str, str]:
    """Each company number as the report names it ('+48221230001 Biuro'), in order."""
    return {
        n: f"{n} {label}".strip() for n, label in CompanyNumber.objects.order_by("e164").values_list("e164", "label")
    }


def person_names() -> dict[str, str]:
    """Each extension as the report names it ('101 Anna'), in order."""
    return {n: f"{n} {name}" for n, name in Extension.objects.order_by("number").values_list("number", "display_name")}


def named(what: str, rows: list[tuple[Any, f.Figures]], period: Period, scope: dict[str, Any]) -> list[dict[str, Any]]:
    names: dict[Any, str]
    if what == "queue":
        names = dict(Queue.objects.values_list("pk", "name"))
    elif what == "person":
        names = person_names()
    else:
        names = number_names()
    column = {"number": "called", "queue": "queue", "person": "answered_by"}[what]
    return [
        {"name": names.get(key, key), "figures": figures, "link": calls_link(period, {**scope, column: key})}
        for key, figures in rows
    ]


def shaded(grid: list[list[int]]) -> list[tuple[str, list[tuple[int, str]]]]:
    """Each weekday's name and its hours as (calls, opacity of the cell's colour)."""
    top = max((n for row in grid for n in row), default=0) or 1
    days = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]
    return [(day, [(n, f"{0.85 * n / top:.2f}") for n in row]) for day, row in zip(days, grid, strict=True)]


COLOURS = {"answered": "#2e7d32", "voicemail": "#1565c0", "missed": "#c62828", "other": "#9e9e9e"}


def per_day_chart(days: list[tuple[date, dict[str, int]]]) -> dict[str, Any]:
    """The chart's data (labels, a series per outcome, its colour) and a sentence of the same
    for screen readers."""
    names = {
        "answered": _("answered by a person"),
        "voicemail": _("left a message"),
        "missed": _("missed"),
        "other": _("other outcomes"),
    }
    labels = [date_format(day, "D j.m") for day, _counts in days]
    series = [
        {"label": str(names[key]), "data": [counts[key] for _day, counts in days], "color": colour}
        for key, colour in COLOURS.items()
    ]
    busiest = max(days, key=lambda pair: sum(pair[1].values()), default=None)
    total = sum(sum(counts.values()) for _day, counts in days)
    summary = _("%(calls)d calls over %(days)d days") % {"calls": total, "days": len(days)}
    if busiest is not None and total:
        summary += "; " + _("the busiest day %(day)s with %(n)d") % {
            "day": date_format(busiest[0], "j E"),
            "n": sum(busiest[1].values()),
        }
    return {"per_day": {"labels": labels, "series": series}, "per_day_summary": summary}


def day_bars(days: list[tuple[date, dict[str, int]]]) -> list[tuple[str, int, int]]:
    """Each day as (its name, its calls, the bar's width in per cent of the busiest day): a
    chart made of a table, which every mail program shows."""
    top = max((sum(counts.values()) for _day, counts in days), default=0) or 1
    return [
        (date_format(day, "D j.m"), sum(counts.values()), round(100 * sum(counts.values()) / top))
        for day, counts in days
    ]


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def report_table(report: f.Report) -> tuple[list[str], Iterator[list[Any]]]:
    """The report as one table: a header, then the firm's line and each number's, queue's
    and person's (rows made as they are read)."""
    header = [
        _("scope"),
        _("calls"),
        _("answered by a person"),
        _("answered in time"),
        _("left a message"),
        _("missed"),
        _("of which the caller gave up waiting"),
        _("other outcomes"),
        _("average wait"),
        _("longest wait"),
        _("talk time"),
        _("called back"),
    ]

    def line(name: str, x: f.Figures) -> list[Any]:
        other = sum(n for _, n in x.others)
        return [
            name, x.calls, x.answered, x.answered_in_time, x.voicemail, x.missed, x.abandoned, other,
            duration(x.wait_average), duration(x.wait_longest), duration(x.talk_total), x.called_back,
        ]  # fmt: skip

    def rows() -> Iterator[list[Any]]:
        period, scope = report.period, report.scope
        yield line(_("the whole firm") + f" ({period.label()})", f.totals(report))
        scopes = (("number", _("number")), ("queue", _("queue")), ("person", pgettext("report scope", "person")))
        for what, title in scopes:
            for row in named(what, f.by(report, what), period, scope):
                yield line(f"{title}: {row['name']}", row["figures"])

    return header, rows()
