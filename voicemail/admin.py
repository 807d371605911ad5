"""Voicemail in the admin: the boxes (the office manager's), and the messages, each visible to
whoever may hear it (its box's owners, whoever calls the caller back, the data-protection
officer); playing one as its person marks it heard."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from compliance.admin_audit import AuditedModelAdmin
from recordings.access import recordings_visible_to
from recordings.admin import audio_player
from voicemail.actions import counts
from voicemail.models import Mailbox, Message, MissedCallDigest


@admin.register(Mailbox)
class MailboxAdmin(AuditedModelAdmin):
    list_display = ["name", "owner_list", "new_messages", "email_owners", "attach_audio"]
    filter_horizontal = ["owners"]
    fields = ["name", "owners", "greeting", "purpose", "email_owners", "attach_audio"]

    @admin.display(description=_("owners"))
    def owner_list(self, mailbox: Mailbox) -> str:
        return ", ".join(str(x) for x in mailbox.owners.all()) or "—"

    @admin.display(description=_("new messages"))
    def new_messages(self, mailbox: Mailbox) -> int:
        return counts(mailbox.pk)[0]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Messages arrive only from calls: nobody adds or edits them here."""

    list_display = ["left_at", "player", "mailbox", "caller", "length", "heard"]
    list_filter = ["mailbox", ("heard_at", admin.EmptyFieldListFilter)]
    search_fields = ["caller", "mailbox__name"]
    date_hierarchy = "left_at"
    fields = ["mailbox", "caller", "left_at", "length", "player", "heard_at", "heard_by", "call_link"]
    readonly_fields = ("mailbox", "caller", "left_at", "length", "player", "heard_at", "heard_by", "call_link")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Message]:
        visible = recordings_visible_to(request.user)
        return super().get_queryset(request).select_related("mailbox", "recording").filter(recording__in=visible)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # erasure goes through the recording (retention, data-subject requests)

    @admin.display(description=_("length"))
    def length(self, message: Message) -> str:
        return f"{message.recording.duration_seconds:.0f} s"

    @admin.display(description=_("heard"), boolean=True)
    def heard(self, message: Message) -> bool:
        return message.heard_at is not None

    @admin.display(description=_("listen"))
    def player(self, message: Message) -> str:
        return audio_player(message.recording)

    @admin.display(description=_("call"))
    def call_link(self, message: Message) -> str:
        url = reverse("admin:pbx_call_change", args=[message.recording.call_id])
        return format_html('<a href="{}">{}</a>', url, _("the call"))


@admin.register(MissedCallDigest)
class MissedCallDigestAdmin(AuditedModelAdmin):
    list_display = ["name", "queue", "extension", "recipient_list", "active", "last_sent_at"]
    filter_horizontal = ["recipients"]
    fields = ["name", "queue", "extension", "recipients", "active", "last_sent_at"]
    readonly_fields = ["last_sent_at"]

    @admin.display(description=_("sent to"))
    def recipient_list(self, digest: MissedCallDigest) -> str:
        return ", ".join(str(x) for x in digest.recipients.all()) or "—"
