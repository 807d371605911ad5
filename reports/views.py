"""The reports page (/admin/reports/) and the exports: a report and the call list as CSV or
XLSX, with the same filters as on screen. Each person sees the calls they may see
(pbx.access.calls_visible_to: a supervisor, their own queues)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pbx.access import calls_visible_to
from pbx.local_time import STAMP
from pbx.models import Call, Queue

from . import figures as f
from . import tables as t
from .export import FORMATS, table_response
from .periods import Period, PeriodError

# An XLSX is built whole before it is sent (openpyxl, about 4,000 rows a second here): beyond
# this many calls it would outlast a web request, so the sheet says to take CSV, which streams.
XLSX_CALLS = 50_000

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
        number_field = self.fields["number"]
        assert isinstance(number_field, forms.ChoiceField)
        number_field.choices = everything + list(t.number_names().items())
        queues = Queue.objects.all()
        if not user.has_perm("pbx.view_all_calls"):
            queues = queues.filter(supervisors=user.pk)
        queue_field = self.fields["queue"]
        assert isinstance(queue_field, forms.ModelChoiceField)
        queue_field.queryset = queues
        person_field = self.fields["person"]
        assert isinstance(person_field, forms.ChoiceField)
        person_field.choices = everything + list(t.person_names().items())

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
    everything = request.user.has_perm("pbx.view_all_calls")
    report = f.Report(visible, period, scope, summarised=everything)
    context |= {"period": period, "scope": scope, "report": report}
    return context


@staff_member_required
def report_page(request: HttpRequest) -> HttpResponse:
    context = _report_context(request)
    if "report" in context:
        period, report, scope = context["period"], context["report"], context["scope"]
        now, before = f.totals(report), f.totals(report.before())
        grid = f.heatmap(report)
        context |= {
            "now": now,
            "before": before,
            "rows": t.outcome_rows(now, before, t.links(period, scope)),
            "breakdowns": [
                (_("By number called"), t.named("number", f.by(report, "number"), period, scope)),
                (_("By queue"), t.named("queue", f.by(report, "queue"), period, scope)),
                (_("By person who answered"), t.named("person", f.by(report, "person"), period, scope)),
            ],
            "grid": t.shaded(grid),
            **t.per_day_chart(f.per_day(report)),
            "hours": range(24),
            "query": request.GET.urlencode(),
        }
    return render(
        request,
        "admin/reports/report.html",
        {**admin.site.each_context(request), "title": _("Reports"), "formats": FORMATS, **context},
    )


@staff_member_required
def report_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    if fmt not in FORMATS:
        raise Http404
    context = _report_context(request)
    if "report" not in context:
        return report_page(request)  # the form says what is wrong
    period = context["period"]
    header, rows = t.report_table(context["report"])
    name = f"raport-{period.first:%Y-%m-%d}-{period.last:%Y-%m-%d}"
    return table_response(fmt, name, _("Report"), header, rows)


@staff_member_required
def calls_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The call list as filtered on its page (the same query string), every row."""
    if fmt not in FORMATS:
        raise Http404
    if not request.user.has_perm("pbx.view_call"):
        raise PermissionDenied
    call_admin = admin.site.get_model_admin(Call)
    changelist = call_admin.get_changelist_instance(request)
    columns = [
        *("started_at", "direction", "caller", "called", "queue__name", "answered_by", "waited", "outcome"),
        *("abandoned", "ended_at", "hangup_cause_text"),
    ]
    calls = changelist.get_queryset(request).order_by("-started_at").values_list(*columns)
    directions = {k: str(v) for k, v in Call.Direction.choices}
    outcomes = {k: str(v) for k, v in Call.Outcome.choices}
    office = timezone.get_current_timezone()
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
        # Plain rows and one time zone: a million calls go out without a model instance each.
        for started, direction, caller, called, queue, person, waited, outcome, gave_up, ended, cause in calls.iterator(
            chunk_size=5000
        ):
            yield [
                started.astimezone(office).strftime(STAMP),
                directions.get(direction, direction),
                caller,
                called,
                queue or "",
                person,
                round(waited.total_seconds()) if waited is not None else "",
                outcomes.get(outcome, outcome),
                yes if gave_up else no,
                round((ended - started).total_seconds()) if ended is not None else "",
                cause,
            ]

    stamp = timezone.localtime().strftime("%Y-%m-%d")
    return table_response(fmt, f"polaczenia-{stamp}", _("Calls"), header, rows(), xlsx_rows=XLSX_CALLS)
