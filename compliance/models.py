"""GDPR (RODO) records. The audit log is append-only and hash-chained."""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


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
        return f"#{self.seq} {self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.target}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly("audit log entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AuditLogIsAppendOnly("audit log entries cannot be deleted")
