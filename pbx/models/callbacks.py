"""Callback tasks: calls the firm owes its callers."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from company_numbers.fields import E164Field

from .calls import Call
from .people import Extension


class CallbackTask(models.Model):
    class Reason(models.TextChoices):
        REQUESTED = "requested", _("caller asked (pressed 1)")
        VOICEMAIL = "voicemail", _("left a message")
        ABANDONED = "abandoned", _("hung up while waiting")
        NO_ANSWER = "no_answer", _("nobody answered")
        CLICK_TO_CALL = "click", _("click-to-call (CRM)")
        INTERRUPTED = "interrupted", _("cut off by a restart of Centrala")

    class Status(models.TextChoices):
        OPEN = "open", _("to call back")
        DIALLING = "dialling", _("calling now")
        DONE = "done", _("called back")
        CANCELLED = "cancelled", _("cancelled")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    call = models.ForeignKey(Call, verbose_name=_("call"), null=True, blank=True, on_delete=models.SET_NULL)
    number = E164Field(_("number to call"))
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    requested_at = models.DateTimeField(_("requested"), db_index=True)
    assigned_to = models.ForeignKey(
        Extension, verbose_name=_("assigned to"), null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(_("called back at"), null=True, blank=True)

    class Meta:
        ordering = ["status", "requested_at"]
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")

    def __str__(self) -> str:
        return f"{self.number} ({self.get_reason_display()})"
