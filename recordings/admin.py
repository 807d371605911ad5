from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from recordings.models import Recording


def audio_player(recording: Recording) -> str:
    url = reverse("recordings:audio", args=[recording.pk])
    return format_html('<audio controls preload="none" src="{}"></audio>', url)


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    """Recordings arrive only from calls; nobody adds or edits them by hand."""

    list_display = ["created_at", "call", "duration_seconds", "size_bytes", "player"]
    search_fields = ["call__caller", "call__called", "asterisk_name", "sha256"]
    date_hierarchy = "created_at"
    exclude = ["file"]

    readonly_fields = ("player",)

    @admin.display(description=_("listen"))
    def player(self, obj: Recording) -> str:
        return audio_player(obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
