"""Background jobs in the admin, in the office's language: what is planned and when (office
time), what ran with its outcome, and what failed with its error. django-q2's own screens
(English, UTC) are replaced by these, on proxy models (jobs/models.py). All read-only: the
schedules live in jobs/schedule.py."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_q.models import Failure, OrmQ, Schedule, Success

from compliance.admin_audit import ReadOnlyAdmin
from pbx.local_time import office_time

from .models import FailedJob, FinishedJob, PlannedJob, job_title


def replace_vendor_screens(site: admin.AdminSite) -> None:
    """Called once every admin module is loaded (config/admin_site.py)."""
    for original in (Failure, Success, Schedule, OrmQ):
        if site.is_registered(original):
            site.unregister(original)


class ReadOnly(ReadOnlyAdmin):
    @admin.display(description=_("job"))
    def job(self, obj: Any) -> str:
        return job_title(obj.func)


class RunAdmin(ReadOnly):
    list_display = ["job", "started_at", "took", "outcome"]
    fields = ["job", "started_at", "took", "outcome", "attempts"]
    readonly_fields = ["job", "started_at", "took", "outcome", "attempts"]

    @admin.display(description=_("started"), ordering="started")
    def started_at(self, obj: Any) -> str:
        return office_time(obj.started, seconds=True)

    @admin.display(description=_("took"))
    def took(self, obj: Any) -> str:
        return f"{(obj.stopped - obj.started).total_seconds():.1f} s" if obj.stopped else ""

    @admin.display(description=_("times tried"))
    def attempts(self, obj: Any) -> int:
        return int(obj.attempt_count)


@admin.register(FailedJob)
class FailedJobAdmin(RunAdmin):
    """The error is the traceback's last line in the list, the whole of it on the job's page."""

    @admin.display(description=_("error"))
    def outcome(self, obj: Any) -> str:
        """Python's own words, for the IT person, marked as such."""
        return format_html(
            "{}<pre style='white-space: pre-wrap'><code>{}</code></pre>",
            _("Technical details (for the IT person):"),
            str(obj.result or "").strip(),
        )

    list_display = ["job", "started_at", "took", "error_line"]

    @admin.display(description=_("error"))
    def error_line(self, obj: Any) -> str:
        lines = str(obj.result or "").strip().splitlines()
        return format_html("<code>{}</code>", lines[-1]) if lines else ""


@admin.register(FinishedJob)
class FinishedJobAdmin(RunAdmin):
    @admin.display(description=_("outcome"))
    def outcome(self, obj: Any) -> str:
        return str(obj.result or "")


@admin.register(PlannedJob)
class PlannedJobAdmin(ReadOnly):
    list_display = ["job", "when", "next_run_at"]
    fields = ["job", "when", "next_run_at"]
    readonly_fields = ["job", "when", "next_run_at"]
    ordering = ["next_run"]

    @admin.display(description=_("when (cron, office time)"))
    def when(self, obj: Any) -> str:
        return str(obj.cron or _("once"))

    @admin.display(description=_("next run"), ordering="next_run")
    def next_run_at(self, obj: Any) -> str:
        return office_time(obj.next_run) if obj.next_run else ""
