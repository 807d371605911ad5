from django.db import models
from django.utils.translation import gettext_lazy as _


class MonthlyReport(models.Model):
    """A month whose report was e-mailed (reports/monthly.py): sent once, however often the
    scheduler asks."""

    month = models.DateField(_("month"), unique=True)  # its first day
    sent_at = models.DateTimeField(_("sent"))
    recipients = models.TextField(_("sent to"))

    class Meta:
        ordering = ["-month"]
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")

    def __str__(self) -> str:
        return f"{self.month:%m.%Y}"
