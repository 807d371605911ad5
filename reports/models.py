import uuid

from django.conf import settings
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


class SummarisedDay(models.Model):
    """An office day whose inbound calls are counted in CallTally (reports/summary.py). Only a
    closed day is summarised: it is over and none of its calls is still going on. A change to
    one of its calls afterwards deletes this row, and its tallies with it; the day is then
    counted again when a report or the nightly run needs it."""

    day = models.DateField(_("day"), primary_key=True)
    built_at = models.DateTimeField(_("counted"))
    calls = models.PositiveIntegerField(_("calls"))

    class Meta:
        ordering = ["-day"]
        verbose_name = _("summarised day")
        verbose_name_plural = _("summarised days")

    def __str__(self) -> str:
        return f"{self.day:%d.%m.%Y}"


class CallTally(models.Model):
    """The inbound calls of one hour of a summarised day that share a number called, a queue,
    the person who answered and an outcome: how many, and the sums the report's averages come
    from. A year of calls is then a few hundred thousand of these rows instead of a million
    calls. Whether a call was answered in time is decided with its queue's service level when
    the day is counted."""

    day = models.ForeignKey(SummarisedDay, on_delete=models.CASCADE, related_name="tallies", db_column="day")
    hour = models.PositiveSmallIntegerField()
    called = models.CharField(max_length=32, blank=True)
    queue = models.ForeignKey("pbx.Queue", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answered_by = models.CharField(max_length=32, blank=True)
    outcome = models.CharField(max_length=20)
    calls = models.PositiveIntegerField()
    in_time = models.PositiveIntegerField()  # answered within the queue's service level
    gave_up = models.PositiveIntegerField()  # hung up while the firm rang or in a queue
    gave_up_after = models.DurationField()  # the sum over those
    waits = models.PositiveIntegerField()  # answered calls with a known wait
    waited = models.DurationField()  # the sum of those waits
    waited_longest = models.DurationField(null=True)
    talked = models.DurationField()  # the sum over answered calls

    class Meta:
        verbose_name = _("call tally")
        verbose_name_plural = _("call tallies")

    def __str__(self) -> str:
        return f"{self.day_id} {self.hour}:00 {self.outcome} x{self.calls}"


class Export(models.Model):
    """An XLSX of the call list too large to build in a web request: the worker builds it
    (reports/exports.py), encrypted at rest like the recordings; only the person who asked may
    download it, and it is deleted a day later (it holds callers' numbers)."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("being prepared")
        READY = "ready", _("ready to download")
        FAILED = "failed", _("could not be prepared")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("asked by"), on_delete=models.CASCADE)
    query = models.TextField(_("filters"), blank=True)  # the call list's query string
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.WAITING)
    rows = models.PositiveIntegerField(_("calls"), null=True)
    file = models.FileField(_("file"), upload_to="exports/", max_length=200, blank=True)
    wrapped_key = models.BinaryField(_("key"), blank=True, default=b"")
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("asked"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("call list export")
        verbose_name_plural = _("call list exports")

    def __str__(self) -> str:
        return f"{self.get_status_display()} ({self.pk})"
