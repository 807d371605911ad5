"""Configuration changes made in the admin go to the audit log as well as Django's own history
(which an admin could delete): who added, changed or deleted what, and which fields."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from compliance.audit import client_address, do_audit


class AuditedModelAdmin(admin.ModelAdmin):
    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        _audit(request, "config.add", obj, change=message)
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        _audit(request, "config.change", obj, change=message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            _audit(request, "config.delete", obj)
        return super().log_deletions(request, queryset)


def _audit(request: HttpRequest, action: str, obj: Any, **detail: Any) -> None:
    target = f"{obj._meta.label_lower}:{obj.pk}"
    do_audit(request.user.get_username(), action, target, source=client_address(request), object=str(obj), **detail)


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record written only by Centrala itself (logs, alerts): nobody adds, edits or deletes."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
