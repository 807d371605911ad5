from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from pbx.actions import do_create_extension
from pbx.ari.client import AriError
from pbx.asterisk_config import ConfigError, apply_config
from pbx.models import Call, CallEvent, Extension, Prompt
from recordings.models import Recording


def apply_config_and_report(request: HttpRequest) -> None:
    """Push configuration changes to Asterisk; tell the manager plainly if that failed."""
    try:
        apply_config()
    except (ConfigError, AriError) as exc:
        messages.warning(request, _("Saved, but Asterisk has not picked it up yet: %(e)s") % {"e": exc})


class ExtensionAddForm(forms.ModelForm):
    class Meta:
        model = Extension
        fields = ["number", "display_name"]


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin):
    list_display = ["number", "display_name", "created_at"]
    search_fields = ["number", "display_name"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = ExtensionAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request: HttpRequest, obj: Extension, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
        else:
            created, password = do_create_extension(obj.number, obj.display_name)
            obj.pk = created.pk
            messages.success(
                request,
                _("SIP password for extension %(n)s: %(p)s. It is shown only now: enter it in the phone.")
                % {"n": created.number, "p": password},
            )
        transaction.on_commit(lambda: apply_config_and_report(request))

    def delete_model(self, request: HttpRequest, obj: Extension) -> None:
        super().delete_model(request, obj)
        transaction.on_commit(lambda: apply_config_and_report(request))


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ["name", "sound"]


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

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    """Call history: written only by the Stasis app, so read-only here."""

    list_display = ["started_at", "direction", "caller", "called", "outcome_badge", "duration", "hangup_cause_text"]
    list_filter = ["direction", "outcome", "started_at"]
    search_fields = ["caller", "called", "channel_id", "sip_call_id"]
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
