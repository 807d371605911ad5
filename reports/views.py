"""The reports page (/admin/reports/) and the exports: a report and the call list as CSV or
XLSX, with the same filters as on screen. Each person sees the calls they may see
(pbx.access.calls_visible_to: a supervisor, their own queues)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from company_numbers.models import CompanyNumber
from pbx.access import calls_visible_to
from pbx.local_time import office_stamp
from pbx.models import Call, Extension, Queue

from . import figures as f
from .export import FORMATS, table_response
from .periods import Period, PeriodError

KIND_LABELS = {
    "day": gettext_lazy("day"),
    "week": gettext_lazy("week"),
    "month": gettext_lazy("month"),
    "custom": gettext_lazy("chosen days"),
}


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("period"), choices=list(KIND_LABELS.items()), initial="month")
    day = forms.DateField(
        label=gettext_lazy("that holds the day"), required=False, widget=forms.DateInput({"type": "date"})
    )
    first = forms.DateField(label=gettext_lazy("from"), required=False, widget=forms.DateInput({"type": "date"}))
    last = forms.DateField(label=gettext_lazy("to"), required=False, widget=forms.DateInput({"type": "date"}))
    number = forms.ChoiceField(label=gettext_lazy("number called"), required=False)
    queue = forms.ModelChoiceField(label=gettext_lazy("queue"), queryset=Queue.objects.none(), required=False)
    person = forms.ChoiceField(label=gettext_lazy("answered by"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everything = [("", _("all"))]
        numbers = CompanyNumber.objects.order_by("e164").values_list("e164", "label")
        number_field = self.fields["number"]
        assert isinstance(number_field, forms.ChoiceField)
        number_field.choices = everything + [(n, f"{n} {label}".strip()) for n, label in numbers]
        queues = Queue.objects.all()
        if not user.has_perm("pbx.view_all_calls"):
            queues = queues.filter(supervisors=user.pk)
        queue_field = self.fields["queue"]
        assert isinstance(queue_field, forms.ModelChoiceField)
        queue_field.queryset = queues
        people = Extension.objects.order_by("number").values_list("number", "display_name")
        person_field = self.fields["person"]
        assert isinstance(person_field, forms.ChoiceField)
        person_field.choices = everything + [(n, f"{n} {name}") for n, name in people]

    def period(self) -> Period:
        data = self.cleaned_data
        today = timezone.localdate()
        if data["kind"] == "custom":
            if not data.get("first") or not data.get("last"):
                raise PeriodError(_("Give the first and the last day of the period."))
            return Period.custom(data["first"], data["last"])
        return Period.around(data["kind"], data.get("day") or today)


def _report_context(request: HttpRequest) -> dict[str, Any]:
    if not request.user.has_perm("pbx.view_call"):
        raise PermissionDenied
    form = ReportForm(request.GET or {"kind": "month"}, user=request.user)
    context: dict[str, Any] = {"form": form}
    if not form.is_valid():
        return context
    try:
        period = form.period()
    except PeriodError as error:
        context["period_error"] = str(error)
        return context
    visible = calls_visible_to(request.user)  # type: ignore[arg-type]
    scope: dict[str, Any] = {}
    if form.cleaned_data["number"]:
        scope["called"] = form.cleaned_data["number"]
    if form.cleaned_data["queue"]:
        scope["queue"] = form.cleaned_data["queue"]
    if form.cleaned_data["person"]:
        scope["answered_by"] = form.cleaned_data["person"]
    calls = f.inbound(visible, period).filter(**scope)
    context |= {"period": period, "scope": scope, "calls": calls}
    return context


@staff_member_required
def report_page(request: HttpRequest) -> HttpResponse:
    context = _report_context(request)
    if "calls" in context:
        period, calls, scope = context["period"], context["calls"], context["scope"]
        visible = calls_visible_to(request.user)  # type: ignore[arg-type]
        now = f.totals(calls)
        before = f.totals(f.inbound(visible, period.previous()).filter(**scope))
        grid = f.heatmap(calls)
        context |= {
            "now": now,
            "before": before,
            "rows": _rows(now, before, _links(period, scope)),
            "breakdowns": [
                (_("By number called"), _named("number", f.by(calls, "number"), period, scope)),
                (_("By queue"), _named("queue", f.by(calls, "queue"), period, scope)),
                (_("By person who answered"), _named("person", f.by(calls, "person"), period, scope)),
            ],
            "grid": _shaded(grid),
            "hours": range(24),
            "query": request.GET.urlencode(),
        }
    return render(
        request,
        "admin/reports/report.html",
        {**admin.site.each_context(request), "title": _("Reports"), "formats": FORMATS, **context},
    )


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


def _links(period: Period, scope: dict[str, Any]) -> dict[str, str]:
    links = {o: calls_link(period, scope, outcome=o) for o in f.OUTCOMES}
    return links | {"calls": calls_link(period, scope), "abandoned": calls_link(period, scope, abandoned=1)}


def _trend(now: float | None, before: float | None) -> str:
    if now is None or before is None or now == before:
        return ""
    return f"{'+' if now > before else '-'}{abs(now - before):.0f}"


def _rows(now: f.Figures, before: f.Figures, links: dict[str, str]) -> list[dict[str, Any]]:
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
        row["trend"] = _trend(row["value"], row["before"])
        row["share"] = now.share(row["value"]) if not row.get("top") else None
    return rows


def _named(what: str, rows: list[tuple[Any, f.Figures]], period: Period, scope: dict[str, Any]) -> list[dict[str, Any]]:
    names: dict[Any, str]
    if what == "queue":
        names = dict(Queue.objects.values_list("pk", "name"))
    elif what == "person":
        names = {n: f"{n} {name}" for n, name in Extension.objects.values_list("number", "display_name")}
    else:
        names = {n: f"{n} {label}".strip() for n, label in CompanyNumber.objects.values_list("e164", "label")}
    column = {"number": "called", "queue": "queue", "person": "answered_by"}[what]
    return [
        {"name": names.get(key, key), "figures": figures, "link": calls_link(period, {**scope, column: key})}
        for key, figures in rows
    ]


def _shaded(grid: list[list[int]]) -> list[tuple[str, list[tuple[int, str]]]]:
    """Each weekday's name and its hours as (calls, opacity of the cell's colour)."""
    top = max((n for row in grid for n in row), default=0) or 1
    days = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]
    return [(day, [(n, f"{0.85 * n / top:.2f}") for n in row]) for day, row in zip(days, grid, strict=True)]


# --- exports ------------------------------------------------------------------------------------


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


@staff_member_required
def report_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    if fmt not in FORMATS:
        raise Http404
    context = _report_context(request)
    if "calls" not in context:
        return report_page(request)  # the form says what is wrong
    period, calls = context["period"], context["calls"]
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
            _duration(x.wait_average), _duration(x.wait_longest), _duration(x.talk_total), x.called_back,
        ]  # fmt: skip

    def rows() -> Iterator[list[Any]]:
        yield line(_("the whole firm") + f" ({period.label()})", f.totals(calls))
        scopes = (("number", _("number")), ("queue", _("queue")), ("person", pgettext("report scope", "person")))
        for what, title in scopes:
            for row in _named(what, f.by(calls, what), period, context["scope"]):
                yield line(f"{title}: {row['name']}", row["figures"])

    name = f"raport-{period.first:%Y-%m-%d}-{period.last:%Y-%m-%d}"
    return table_response(fmt, name, _("Report"), header, rows())


@staff_member_required
def calls_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The call list as filtered on its page (the same query string), every row."""
    if fmt not in FORMATS:
        raise Http404
    if not request.user.has_perm("pbx.view_call"):
        raise PermissionDenied
    call_admin = admin.site._registry[Call]
    changelist = call_admin.get_changelist_instance(request)
    calls = changelist.get_queryset(request).select_related("queue").order_by("-started_at")
    directions, outcomes = dict(Call.Direction.choices), dict(Call.Outcome.choices)
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
    yes, no = _("yes"), _("no")

    def rows() -> Iterator[list[Any]]:
        for call in calls.iterator(chunk_size=2000):
            duration = call.duration_seconds
            yield [
                office_stamp(call.started_at),
                str(directions.get(call.direction, call.direction)),
                call.caller,
                call.called,
                call.queue.name if call.queue else "",
                call.answered_by,
                round(call.waited.total_seconds()) if call.waited is not None else "",
                str(outcomes.get(call.outcome, call.outcome)),
                yes if call.abandoned else no,
                round(duration) if duration is not None else "",
                call.hangup_cause_text,
            ]

    stamp = timezone.localtime().strftime("%Y-%m-%d")
    return table_response(fmt, f"polaczenia-{stamp}", _("Calls"), header, rows())
