"""The reports page (/admin/reports/) and the exports: a report and the call list as CSV or
XLSX, with the same filters as on screen. Each person sees the calls they may see
(pbx.access.calls_visible_to: a supervisor, their own queues)."""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pbx.access import calls_visible_to
from pbx.local_time import office_time
from pbx.models import Queue

from . import call_list, exports
from . import figures as f
from . import tables as t
from .export import FORMATS, table_response
from .periods import Period, PeriodError

# An XLSX is built whole before it is sent (openpyxl, about 4,000 rows a second here): beyond
# this many calls it would outlast a web request, so the worker builds it (reports/exports.py).
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
    """The call list as filtered on its page (the same query string), every row. An XLSX of
    more calls than a request can build in time is made by the worker (reports/exports.py):
    the person is sent to a page that shows it coming, then offers it."""
    if fmt not in FORMATS:
        raise Http404
    if not request.user.has_perm("pbx.view_call"):
        raise PermissionDenied
    calls, header, rows = call_list.table(request)
    if fmt == "xlsx" and calls.count() > XLSX_CALLS:
        export = exports.do_request_calls_export(request.user, request.GET.urlencode())
        return redirect("calls-export-status", export.pk)
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    return table_response(fmt, f"polaczenia-{stamp}", _("Calls"), header, rows)


def _own_export(request: HttpRequest, pk: str) -> exports.Export:
    export = exports.Export.objects.filter(pk=pk).first()
    if export is None or export.requested_by_id != request.user.pk:
        raise Http404  # another person's export is not theirs to see, nor to know of
    return export


@staff_member_required
def calls_export_status(request: HttpRequest, pk: str) -> HttpResponse:
    """The large XLSX on its way: this page reloads itself until the file is ready."""
    export = _own_export(request, pk)
    context = {
        **admin.site.each_context(request),
        "title": _("Call list export (XLSX)"),
        "export": export,
        "asked": office_time(export.created_at),
        "kept_hours": int(exports.KEPT.total_seconds() // 3600),
    }
    return render(request, "admin/reports/export.html", context)


@staff_member_required
def calls_export_download(request: HttpRequest, pk: str) -> HttpResponseBase:
    export = _own_export(request, pk)
    if export.status != export.Status.READY:
        return redirect("calls-export-status", export.pk)
    stamp = timezone.localtime(export.created_at).strftime("%Y-%m-%d")
    return FileResponse(io.BytesIO(exports.workbook(export)), as_attachment=True, filename=f"polaczenia-{stamp}.xlsx")
