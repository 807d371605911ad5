from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from pbx.access import calls_visible_to
from pbx.models import Call, CallEvent
from recordings.models import Recording


class CallEventInline(admin.TabularInline):
    model = CallEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "detail")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RecordingInline(admin.TabularInline):
    model = Recording
    extra = 0
    can_delete = False
    fields = ("player", "duration_seconds", "size_bytes", "sha256")
    readonly_fields = fields

    @admin.display(description=_("listen"))
    def player(self, obj: Recording) -> str:
        from recordings.admin import audio_player

        return audio_player(obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Recording]:
        from recordings.access import recordings_visible_to

        return recordings_visible_to(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    """Call history: written only by the Stasis app, so read-only here."""

    list_display = ["started_at", "direction", "caller", "called", "queue", "outcome_badge", "duration",
                    "hangup_cause_text"]  # fmt: skip
    list_filter = ["direction", "outcome", "started_at", ("queue", admin.RelatedOnlyFieldListFilter),
                   ("staff", admin.RelatedOnlyFieldListFilter)]  # fmt: skip
    search_fields = ["caller", "called", "channel_id", "sip_call_id", "staff__number"]
    readonly_fields = ["staff"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Call]:
        return calls_visible_to(request.user).select_related("queue")

    date_hierarchy = "started_at"
    inlines = [RecordingInline, CallEventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("outcome"), ordering="outcome")
    def outcome_badge(self, obj: Call) -> str:
        colour = {"answered": "#2e7d32", "missed": "#c62828", "in_progress": "#1565c0"}.get(obj.outcome, "#555")
        return format_html('<b style="color:{}">{}</b>', colour, obj.get_outcome_display())

    @admin.display(description=_("duration"))
    def duration(self, obj: Call) -> str:
        seconds = obj.duration_seconds
        return "" if seconds is None else f"{int(seconds) // 60}:{int(seconds) % 60:02d}"
