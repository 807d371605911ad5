import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from compliance import admin_people  # noqa: F401 - users and roles with Polish permission names
from compliance.admin_audit import AuditedModelAdmin, ReadOnlyAdmin
from compliance.audit_words import action_text, target_text
from compliance.dsar import RequestNotOpen, do_carry_out_erasure, do_export_to_stream
from compliance.models import AuditEntry, DataSubjectRequest, ProcessingPurpose, RecordingTombstone
from pbx.phone import InvalidPhoneNumber, to_e164


class ActionFilter(admin.SimpleListFilter):
    title = _("what happened")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        actions = AuditEntry.objects.order_by().values_list("action", flat=True).distinct()
        return sorted(((a, action_text(a)) for a in actions), key=lambda pair: pair[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only for everyone, superusers included: the log is evidence. Shown in words
    (compliance/audit_words.py); the codes stay in the entry."""

    list_display = ["seq", "at", "actor", "what_happened", "done_to", "source"]
    fields = readonly_fields = ("seq", "at", "actor", "what_happened", "done_to", "source", "recorded")
    list_filter = [ActionFilter]
    search_fields = ["actor", "target"]
    date_hierarchy = "at"

    @admin.display(description=_("what happened"), ordering="action")
    def what_happened(self, obj: AuditEntry) -> str:
        return action_text(obj.action)

    @admin.display(description=_("what"), ordering="target")
    def done_to(self, obj: AuditEntry) -> str:
        return format_html('<span title="{}">{}</span>', obj.target, target_text(obj.target, obj.action))

    @admin.display(description=_("as recorded"))
    def recorded(self, obj: AuditEntry) -> str:
        """The entry's own codes and detail, as the hash chain covers them (for support)."""
        detail = json.dumps(obj.detail, ensure_ascii=False, sort_keys=True)
        return format_html("<code>{} {} {}</code>", obj.action, obj.target, detail)


@admin.register(ProcessingPurpose)
class ProcessingPurposeAdmin(AuditedModelAdmin):
    list_display = ["name", "legal_basis", "retention_days", "announcement"]
    filter_horizontal = ["listeners"]


@admin.register(RecordingTombstone)
class RecordingTombstoneAdmin(ReadOnlyAdmin):
    list_display = ["deleted_at", "recording_id", "purpose", "retention_days", "reason"]
    list_filter = ["purpose"]
    search_fields = ["recording_id", "sha256"]
    date_hierarchy = "deleted_at"


class DataSubjectRequestForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = DataSubjectRequest
        fields = ["kind", "number", "requester", "received_on", "extended", "status", "outcome"]

    def clean_number(self) -> str:
        """The number as the person gave it ("601 234 567"), kept in E.164 so that every call
        of theirs is found."""
        try:
            return to_e164(self.cleaned_data["number"])
        except InvalidPhoneNumber:
            raise forms.ValidationError(
                _("%(number)s is not a phone number. Write it as the person gave it, e.g. 601 234 567."),
                params={"number": self.cleaned_data["number"]},
            ) from None


@admin.register(DataSubjectRequest)
class DataSubjectRequestAdmin(AuditedModelAdmin):
    """The DPO's register of requests: received today by default, the deadline shown, and the
    export and the erasure one click away on the request itself."""

    form = DataSubjectRequestForm
    list_display = ["received_on", "kind", "number", "requester", "due", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["number", "requester"]
    readonly_fields = ["due"]
    actions = ["export_zip", "carry_out_erasure"]
    change_form_template = "admin/compliance/datasubjectrequest/change_form.html"

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"received_on": timezone.localdate(), **super().get_changeform_initial_data(request)}

    def get_urls(self) -> list[Any]:
        own = [
            path(
                "<int:pk>/export/",
                self.admin_site.admin_view(self.export_one),
                name="compliance_datasubjectrequest_export",
            ),
            path(
                "<int:pk>/erase/",
                self.admin_site.admin_view(self.erase_one),
                name="compliance_datasubjectrequest_erase",
            ),
        ]
        return own + super().get_urls()

    def export_one(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        subject = get_object_or_404(DataSubjectRequest, pk=pk)
        if not self.has_change_permission(request, subject):
            raise PermissionDenied
        response = self.export_zip(request, DataSubjectRequest.objects.filter(pk=pk))
        return response or redirect("admin:compliance_datasubjectrequest_change", pk)

    def erase_one(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        subject = get_object_or_404(DataSubjectRequest, pk=pk)
        if request.method != "POST" or not self.has_change_permission(request, subject):
            raise PermissionDenied
        self.carry_out_erasure(request, DataSubjectRequest.objects.filter(pk=pk))
        return redirect("admin:compliance_datasubjectrequest_change", pk)

    @admin.action(description=_("Export everything about the number (ZIP)"), permissions=["change"])
    def export_zip(self, request: HttpRequest, queryset: QuerySet[DataSubjectRequest]) -> HttpResponseBase | None:
        if queryset.count() != 1:
            messages.error(request, _("Choose exactly one request to export."))
            return None
        subject = queryset.get()
        name = f"dsar-{subject.number.lstrip('+').replace(' ', '')}-{timezone.localdate():%Y-%m-%d}.zip"
        archive, findings = do_export_to_stream(subject.number, name, actor=request.user.get_username())
        messages.success(
            request,
            _("Exported %(calls)d calls and %(recordings)d recordings.")
            % {"calls": len(findings.calls), "recordings": len(findings.recordings)},
        )
        return FileResponse(archive, as_attachment=True, filename=name, content_type="application/zip")

    @admin.action(description=_("Carry out erasure (recordings under legal hold are kept)"), permissions=["change"])
    def carry_out_erasure(self, request: HttpRequest, queryset: QuerySet[DataSubjectRequest]) -> None:
        for subject in queryset:
            try:
                do_carry_out_erasure(subject, actor=request.user.get_username())
            except RequestNotOpen:
                messages.error(request, _("%(r)s: only open erasure requests can be carried out.") % {"r": subject})
                continue
            messages.success(request, f"{subject}: {subject.outcome}")

    @admin.display(description=_("due"))
    def due(self, obj: DataSubjectRequest) -> str:
        return f"{obj.due_on:%Y-%m-%d}" if obj.received_on else ""
