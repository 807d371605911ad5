from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from compliance.models import AuditEntry, DataSubjectRequest, ProcessingPurpose, RecordingTombstone


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only for everyone, superusers included: the log is evidence."""

    list_display = ["seq", "at", "actor", "action", "target", "source"]
    list_filter = ["action"]
    search_fields = ["actor", "target"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProcessingPurpose)
class ProcessingPurposeAdmin(admin.ModelAdmin):
    list_display = ["name", "legal_basis", "retention_days", "announcement"]
    filter_horizontal = ["listeners"]


@admin.register(RecordingTombstone)
class RecordingTombstoneAdmin(AuditEntryAdmin):
    list_display = ["deleted_at", "recording_id", "purpose", "retention_days", "reason"]
    list_filter = ["purpose"]
    search_fields = ["recording_id", "sha256"]
    date_hierarchy = "deleted_at"


@admin.register(DataSubjectRequest)
class DataSubjectRequestAdmin(admin.ModelAdmin):
    list_display = ["received_on", "kind", "number", "requester", "due", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["number", "requester"]

    @admin.display(description=_("due"))
    def due(self, obj: DataSubjectRequest) -> str:
        return f"{obj.due_on:%Y-%m-%d}"
