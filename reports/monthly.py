"""The monthly report by e-mail: on the first run of a month (the scheduler runs daily), the
month before goes to every office manager, once: the firm's figures against the month
before, each queue and person, the busiest hours, in HTML that mail programs show (tables, no
scripts or pictures to fetch), a plain-text part, and the whole report as XLSX."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pbx.models import Call
from security.actions import office_manager_emails

from . import figures as f
from . import tables as t
from .export import xlsx_file
from .models import MonthlyReport
from .periods import Period

log = logging.getLogger(__name__)


def do_send_monthly_report(today: date | None = None) -> bool:
    """E-mail last month's report unless it was sent; False when nothing was sent (sent
    already, or nobody to send it to: then it is tried again on the next run)."""
    today = today or timezone.localdate()
    period = Period.around("month", today.replace(day=1) - timedelta(days=1))
    if MonthlyReport.objects.filter(month=period.first).exists():
        return False
    recipients = office_manager_emails()
    if not recipients:
        log.warning("monthly report for %s: no office manager with an e-mail address", period.first)
        return False
    email = _email(period, recipients)
    try:
        with transaction.atomic():
            MonthlyReport.objects.create(month=period.first, sent_at=timezone.now(), recipients=", ".join(recipients))
            email.send()  # a failure undoes the record: tried again on the next run
    except IntegrityError:
        return False  # another run sent it meanwhile
    return True


def _email(period: Period, recipients: list[str]) -> EmailMultiAlternatives:
    report = f.Report(Call.objects.all(), period, summarised=True)
    with translation.override(settings.LANGUAGE_CODE):
        now, then = f.totals(report), f.totals(report.before())
        context = {
            "period": period,
            "now": now,
            "before": then,
            "rows": t.outcome_rows(now, then, t.links(period, {})),
            "sections": [
                (_("By queue"), t.named("queue", f.by(report, "queue"), period, {})),
                (_("By person who answered"), t.named("person", f.by(report, "person"), period, {})),
            ],
            "grid": t.shaded(f.heatmap(report)),
            "days": t.day_bars(f.per_day(report)),
            "hours": range(24),
            "site": settings.CENTRALA_URL,
            "report_url": f"{settings.CENTRALA_URL}/admin/reports/?kind=month&day={period.first:%Y-%m-%d}",
        }
        subject = _("Centrala: calls in %(month)s") % {"month": period.label()}
        html = render_to_string("reports/monthly_email.html", context)
        text = render_to_string("reports/monthly_email.txt", context)
        header, rows = t.report_table(report)
        workbook = xlsx_file(_("Report"), header, rows)
    email = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, recipients)
    email.attach_alternative(html, "text/html")
    with workbook:
        email.attach(
            f"raport-{period.first:%Y-%m}.xlsx",
            workbook.read(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return email
