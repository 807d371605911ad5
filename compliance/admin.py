from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy as _

from compliance.admin_audit import AuditedModelAdmin, ReadOnlyAdmin
from compliance.dsar import RequestNotOpen, do_carry_out_erasure, do_export_to_stream
from compliance.models import AuditEntry, DataSubjectRequest, ProcessingPurpose, RecordingTombstone


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only for everyone, superusers included: the log is evidence."""

    list_display = ["seq", "at", "actor", "action", "target", "source"]
    list_filter = ["action"]
    search_fields = ["actor", "target"]
    date_hierarchy = "at"


@admin.register(ProcessingPurpose)
class ProcessingPurposeAdmin(AuditedModelAdmin):
    list_display = ["name", "legal_basis", "retention_days", "announcement"]
    filter_horizontal = ["listeners"]


@admin.register(RecordingTombstone)
class RecordingTombstoneAdmin(AuditEntryAdmin):
    list_display = ["deleted_at", "recording_id", "purpose", "retention_days", "reason"]
    list_filter = ["purpose"]
    search_fields = ["recording_id", "sha256"]
    date_hierarchy = "deleted_at"


@admin.register(DataSubjectRequest)
class DataSubjectRequestAdmin(AuditedModelAdmin):
    list_display = ["received_on", "kind", "number", "requester", "due", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["number", "requester"]
    actions = ["export_zip", "carry_out_erasure"]

    @admin.action(description=_("Export everything about the number (ZIP)"), permissions=["change"])
    def export_zip(self, request: HttpRequest, queryset: QuerySet[DataSubjectRequest]) -> HttpResponseBase | None:
        if queryset.count() != 1:
            messages.error(request, _("Choose exactly one request to export."))
            return None
        subject = queryset.get()
        name = f"dsar-{subject.number.lstrip('+')}.zip"
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
        return f"{obj.due_on:%Y-%m-%d}"
