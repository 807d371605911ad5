"""GDPR (RODO) records. The audit log is append-only and hash-chained."""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from compliance.deadlines import add_months
from config.fields import HttpsURLField
from pbx.local_time import office_time


class AuditLogIsAppendOnly(Exception):
    pass


class AuditEntry(models.Model):
    """One thing that happened: who listened to which recording, who changed what, retention runs.

    Each entry stores the hash of the one before it, so removing or editing an entry anywhere
    breaks the chain from there on (`manage.py verify_audit_log` finds the first break).
    """

    seq = models.PositiveBigIntegerField(_("number"), unique=True, editable=False)
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.CharField(_("who"), max_length=150)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    target = models.CharField(_("what"), max_length=200, db_index=True)
    source = models.CharField(_("from where"), max_length=100, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    previous_hash = models.CharField(max_length=64, editable=False)
    entry_hash = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"#{self.seq}, {office_time(self.at, seconds=True)}, {self.actor}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly("audit log entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AuditLogIsAppendOnly("audit log entries cannot be deleted")


class ProcessingPurpose(models.Model):
    """Why calls are recorded (GDPR art. 5(1)(b)), on what legal basis, and for how long."""

    class LegalBasis(models.TextChoices):
        CONSENT = "6.1.a", _("art. 6(1)(a) consent")
        CONTRACT = "6.1.b", _("art. 6(1)(b) performance of a contract")
        OBLIGATION = "6.1.c", _("art. 6(1)(c) legal obligation")
        LEGITIMATE_INTEREST = "6.1.f", _("art. 6(1)(f) legitimate interest")

    name = models.CharField(_("name"), max_length=80, unique=True)
    legal_basis = models.CharField(_("legal basis"), max_length=6, choices=LegalBasis.choices)
    retention_days = models.PositiveIntegerField(_("keep recordings for (days)"))
    announcement = models.ForeignKey(
        "pbx.Prompt",
        verbose_name=_("announcement to callers"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Played before recording starts."),
    )
    notice_text = models.TextField(_("information notice (art. 13)"))
    announce_to_called = models.BooleanField(
        _("tell the called party too"),
        default=True,
        help_text=_(
            "On outgoing and internal calls recorded for this purpose, the person called hears the "
            "announcement when they answer, and may object, before the call is connected."
        ),
    )
    notice_url = HttpsURLField(_("where callers can read it"), blank=True)
    listeners = models.ManyToManyField(
        "auth.Group", verbose_name=_("who may listen"), blank=True, related_name="purposes"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("processing purpose")
        verbose_name_plural = _("processing purposes")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.retention_days is not None and not 1 <= self.retention_days <= 3650:
            raise ValidationError({"retention_days": _("Keep recordings between 1 day and 10 years.")})


class RecordingTombstone(models.Model):
    """What is left of a deleted recording: what it was, when and why it went."""

    recording_id = models.UUIDField(_("recording"), unique=True)
    call_id = models.UUIDField(_("call"), null=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    duration_seconds = models.FloatField(_("duration (s)"))
    purpose = models.CharField(_("purpose"), max_length=80, blank=True)
    retention_days = models.PositiveIntegerField(_("retention (days)"), null=True)
    recorded_at = models.DateTimeField(_("recorded"))
    deleted_at = models.DateTimeField(_("deleted"))
    reason = models.CharField(_("why"), max_length=120)

    class Meta:
        ordering = ["-deleted_at"]
        verbose_name = _("deleted recording")
        verbose_name_plural = _("deleted recordings")

    def __str__(self) -> str:
        return f"{office_time(self.recorded_at)} ({self.reason})"


class DataSubjectRequest(models.Model):
    """A caller exercising their GDPR rights about a phone number (art. 15, 17, 18, 21)."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("access (art. 15)")
        ERASURE = "erasure", _("erasure (art. 17)")
        RESTRICTION = "restriction", _("restriction (art. 18)")
        OBJECTION = "objection", _("objection (art. 21)")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")
        REFUSED = "refused", _("refused (with reason)")

    kind = models.CharField(_("request"), max_length=12, choices=Kind.choices)
    number = models.CharField(_("phone number (E.164)"), max_length=16, db_index=True)
    requester = models.CharField(_("who asked"), max_length=120)
    received_on = models.DateField(_("received"))
    extended = models.BooleanField(
        _("deadline extended by two months"), default=False, help_text=_("Art. 12(3): tell the person why.")
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    outcome = models.TextField(_("what was done and why"), blank=True)

    class Meta:
        ordering = ["status", "received_on"]
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    @property
    def due_on(self):  # type: ignore[no-untyped-def]
        """One month from receipt (art. 12(3)), three when extended."""
        return add_months(self.received_on, 3 if self.extended else 1)
