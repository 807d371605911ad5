from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from compliance.admin_audit import AuditedModelAdmin
from pbx.access import callbacks_visible_to, extension_to_ring
from pbx.ari.client import AriError
from pbx.callbacks import CallbackError, do_start_callback
from pbx.models import CallbackTask
from voicemail.models import Message


@admin.register(CallbackTask)
class CallbackTaskAdmin(AuditedModelAdmin):
    list_display = ["requested_at", "number", "reason", "assigned_to", "status", "done_at", "call"]
    list_filter = ["status", "reason", "assigned_to"]
    search_fields = ["number"]
    actions = ["call_back"]
    readonly_fields = ["call", "requested_at", "done_at", "voicemail_message"]

    @admin.display(description=_("voicemail message"))
    def voicemail_message(self, task: CallbackTask) -> str:
        """The message the caller left, if they did: whoever calls back hears it first."""
        message = Message.objects.filter(recording__call_id=task.call_id).first() if task.call_id else None
        if message is None:
            return "—"
        url = reverse("admin:voicemail_message_change", args=[message.pk])
        return format_html('<a href="{}">{}</a>', url, _("listen to the message"))

    @admin.action(description=_("Call back now: ring the assigned phone, then the customer"), permissions=["change"])
    def call_back(self, request: HttpRequest, queryset: QuerySet[CallbackTask]) -> None:
        if queryset.count() != 1:
            messages.error(request, _("Choose exactly one callback: one phone rings at a time."))
            return
        task = queryset.get()
        target = extension_to_ring(request.user, task, None)
        if target is None:
            messages.error(request, _("You can ring only your own extension."))
            return
        try:
            extension = do_start_callback(task, target.number, actor=request.user.get_username())
        except (CallbackError, AriError) as exc:
            messages.error(request, str(exc))
            return
        messages.success(
            request,
            _("Extension %(x)s is ringing; when answered, %(n)s will be called.") % {"x": extension, "n": task.number},
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[CallbackTask]:
        """As in the API: agents see their own tasks and those assigned to nobody."""
        return callbacks_visible_to(request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """Who and whom to call is the office's decision: an agent changes a task's status only."""
        if obj is not None and not request.user.has_perm("pbx.view_all_calls"):
            return [*self.readonly_fields, "number", "reason", "assigned_to"]
        return self.readonly_fields
