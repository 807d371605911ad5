import json
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from compliance.audit import client_address
from pbx.access import calls_visible_to
from pbx.actions import do_add_call_note
from pbx.models import Call, CallEvent, CallNote
from pbx.phone import InvalidPhoneNumber, to_e164
from pbx.timeline import cause_text, describe
from recordings.access import recordings_visible_to
from recordings.admin import audio_player
from recordings.models import Recording


class CallEventInline(admin.TabularInline):
    """The call's timeline as sentences (pbx/timeline.py); the raw detail folded away, for
    support."""

    model = CallEvent
    extra = 0
    can_delete = False
    fields = ("at", "what", "raw")
    readonly_fields = fields
    verbose_name = _("what happened")
    verbose_name_plural = _("what happened")

    @admin.display(description=_("what happened"))
    def what(self, obj: CallEvent) -> str:
        return describe(obj.kind, obj.detail, obj.get_kind_display())

    @admin.display(description=_("details for support"))
    def raw(self, obj: CallEvent) -> str:
        if not obj.detail:
            return ""
        return format_html(
            "<details><summary>{}</summary><code>{}</code></details>",
            _("show"),
            json.dumps(obj.detail, ensure_ascii=False, sort_keys=True),
        )

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
        return audio_player(obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Recording]:
        return recordings_visible_to(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CallNoteInline(admin.TabularInline):
    """Staff write what was agreed. Notes are kept as written: added, never edited or deleted."""

    model = CallNote
    extra = 1
    can_delete = False
    fields = ("text", "author_name", "created_at")
    readonly_fields = ("author_name", "created_at")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("pbx.view_call")


class SeenOnCalls(admin.RelatedOnlyFieldListFilter):
    """The queues (or people) to filter the call list by: for someone who sees every call,
    all of them (a firm has a handful: no scan of a million calls to find which occur); for a
    supervisor or an agent, only those on the calls they may see."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        if request.user.has_perm("pbx.view_all_calls"):
            return admin.RelatedFieldListFilter.field_choices(self, field, request, model_admin)
        return super().field_choices(field, request, model_admin)


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    """Call history: written only by the Stasis app, so read-only here."""

    list_display = [
        "started_at",
        "direction",
        "caller",
        "called",
        "queue",
        "outcome_badge",
        "duration",
        "hangup_cause_text",
    ]
    list_filter = [
        "direction",
        "outcome",
        "abandoned",
        "started_at",
        ("queue", SeenOnCalls),
        ("staff", SeenOnCalls),
    ]
    search_fields = ["caller", "called", "channel_id", "sip_call_id", "staff__number"]
    readonly_fields = ["staff"]

    show_full_result_count = False  # one count of a million rows per page is enough

    def get_queryset(self, request: HttpRequest) -> QuerySet[Call]:
        return calls_visible_to(request.user).select_related("queue")

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Call], search_term: str) -> Any:
        """A phone number in any usual form finds its calls through the indexes (a substring
        search over a million calls takes seconds); anything else searches as usual."""
        try:
            number = to_e164(search_term)
        except InvalidPhoneNumber:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(Q(caller=number) | Q(called=number)), False

    date_hierarchy = "started_at"
    inlines = [CallNoteInline, RecordingInline, CallEventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only so that notes can be added to a call one may see; the call itself stays read-only.
        return obj is not None and request.user.has_perm("pbx.view_call")

    # Who called whom, how it ended and who talked first; the machinery's ids folded away.
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "direction",
                    "caller",
                    "called",
                    "started_at",
                    "answered_at",
                    "connected_at",
                    "answered_by",
                    "waited",
                    "ended_at",
                    "outcome",
                    "abandoned",
                    "how_it_ended",
                    "queue",
                    "staff",
                ]
            },
        ),
        (
            _("Technical details (for support)"),
            {"classes": ["collapse"], "fields": ["id", "channel_id", "sip_call_id"]},
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Call._meta.concrete_fields] + ["staff", "how_it_ended"]

    @admin.display(description=_("how it ended"))
    def how_it_ended(self, obj: Call) -> str:
        who = obj.get_hung_up_by_display() if obj.hung_up_by else ""
        cause = cause_text(obj.hangup_cause) if obj.hangup_cause else ""
        return ", ".join(part for part in (str(who), cause) if part)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> Any:
        # The history is read-only (notes are added, never the call changed): "Call ...", not "Change call".
        call = self.get_object(request, object_id)
        title = _("Call %(call)s") % {"call": call} if call is not None else None
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "title": title})

    def save_model(self, request: HttpRequest, obj: Call, form: Any, change: bool) -> None:
        pass  # nothing of the call itself is ever changed here

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for note in formset.save(commit=False):
            if note.pk is None:  # notes are added, never edited
                do_add_call_note(note.call, request.user, note.text, source=client_address(request))

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None  # the note and its audit entry are the record

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
