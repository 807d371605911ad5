import uuid
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from compliance.admin_audit import AuditedModelAdmin
from compliance.audit import client_address
from compliance.retention import HoldError, do_release_legal_hold, do_set_legal_hold
from recordings.access import log_refusal, recordings_visible_to
from recordings.models import Recording, RecordingRule


class HoldActionForm(ActionForm):
    reason = forms.CharField(label=_("reason"), required=False, max_length=200)


def audio_player(recording: Recording) -> str:
    url = reverse("recordings:audio", args=[recording.pk])
    return format_html('<audio controls preload="none" src="{}"></audio>', url)


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    """Recordings arrive only from calls; nobody adds or edits them by hand."""

    list_display = ["created_at", "player", "call", "kind", "purpose", "duration_seconds", "expires_at", "hold_reason"]
    list_filter = [
        "kind",
        "purpose",
        ("call__queue", admin.RelatedOnlyFieldListFilter),
        ("call__staff", admin.RelatedOnlyFieldListFilter),
    ]
    actions = ["place_hold", "release_hold"]
    action_form = HoldActionForm

    @admin.action(
        description=_("Place on legal hold (give the reason in the field beside the action)"),
        permissions=["legal_hold"],
    )
    def place_hold(self, request: HttpRequest, queryset: QuerySet[Recording]) -> None:
        reason = request.POST.get("reason", "")
        for recording in queryset:
            try:
                do_set_legal_hold(recording, request.user, reason)  # type: ignore[arg-type]
            except HoldError as exc:
                messages.error(request, str(exc))
                return
        messages.success(request, _("%(n)d recording(s) placed on legal hold.") % {"n": queryset.count()})

    search_fields = [
        "call__caller",
        "call__called",
        "call__staff__number",
        "call__queue__name",
        "asterisk_name",
        "sha256",
    ]
    date_hierarchy = "created_at"
    exclude = ["file"]

    readonly_fields = ("player",)

    @admin.display(description=_("listen"))
    def player(self, obj: Recording) -> str:
        return audio_player(obj)

    @admin.action(description=_("Release legal hold (needs a second person)"), permissions=["legal_hold"])
    def release_hold(self, request: HttpRequest, queryset: QuerySet[Recording]) -> None:
        for recording in queryset:
            try:
                do_release_legal_hold(recording, request.user)  # type: ignore[arg-type]
            except HoldError as exc:
                messages.error(request, f"{recording}: {exc}")
            else:
                messages.success(request, _("Hold released: %(r)s") % {"r": recording})

    def get_queryset(self, request: HttpRequest) -> QuerySet[Recording]:
        return recordings_visible_to(request.user).select_related("call", "purpose")

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Recording | None:
        """Out of the person's scope: the admin says it does not exist, and the log says who tried."""
        found = super().get_object(request, object_id, from_field)
        if found is None and _is_uuid(object_id):
            other = Recording.objects.filter(pk=object_id).first()
            if other is not None:
                log_refusal(request.user, other, source=client_address(request))
        return found

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_legal_hold_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("recordings.legal_hold")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@admin.register(RecordingRule)
class RecordingRuleAdmin(AuditedModelAdmin):
    list_display = ["priority", "name", "direction", "company_number", "destination", "extension", "mode", "purpose"]
    list_editable = ["priority"]
    list_display_links = ["name"]
