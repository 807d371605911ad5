from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_q.models import Failure, Schedule, Success

from pbx.local_time import office_time


class DailyRun(models.Model):
    """A scheduled job started on an office day. The clocks going back repeat 02:00-02:59 on
    the last Sunday of October, and the scheduler then starts a 02:xx job a second time: the
    second start finds this row and does nothing (jobs/runner.py)."""

    job = models.CharField(_("job"), max_length=60)
    day = models.DateField(_("day"))
    started_at = models.DateTimeField(_("started"))

    class Meta:
        ordering = ["-day", "job"]
        constraints = [models.UniqueConstraint(fields=["job", "day"], name="job_once_a_day")]
        verbose_name = _("daily run")
        verbose_name_plural = _("daily runs")

    def __str__(self) -> str:
        return f"{self.job} {self.day:%d.%m.%Y}"


# django-q2's records, shown in the office's language (jobs/admin.py) instead of its own screens.
class FailedJob(Failure):
    class Meta:
        proxy = True
        verbose_name = _("failed job")
        verbose_name_plural = _("failed jobs")

    def __str__(self) -> str:
        return f"{job_title(self.func)}, {office_time(self.started)}"


class FinishedJob(Success):
    class Meta:
        proxy = True
        verbose_name = _("finished job")
        verbose_name_plural = _("finished jobs")

    def __str__(self) -> str:
        return f"{job_title(self.func)}, {office_time(self.started)}"


class PlannedJob(Schedule):
    class Meta:
        proxy = True
        verbose_name = _("planned job")
        verbose_name_plural = _("planned jobs")

    def __str__(self) -> str:
        return job_title(self.func)


def job_title(func: str) -> str:
    """What a job does, in the office's language ("jobs.runner.apply_retention" -> its title)."""
    from .schedule import JOBS

    name = func.rsplit(".", 1)[-1]
    titles = {job.name: job.title for job in JOBS}
    return gettext(titles[name]) if name in titles else func
