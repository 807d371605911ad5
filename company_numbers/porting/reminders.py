"""Porting deadlines by e-mail, run daily by the scheduler (`manage.py porting remind`).

A deadline is announced once when it comes within `PORTING_REMINDER_DAYS`, and once more if
it passes with nothing done where something must be done: the operator's decision not
recorded, or the numbers not yet marked working here. Each reminder sent is stored, so the
daily run never repeats one; a rescheduled date is a new deadline. One e-mail per run lists
them all, in the office's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from company_numbers.models import PortingReminder, PortingRequest
from company_numbers.porting.flow import OPEN, Deadline, PortingError, deadlines
from compliance.audit import do_audit
from security.actions import office_manager_emails

# Deadlines whose passing asks for an action; the others (the last day to withdraw) only pass.
ACT_WHEN_OVERDUE = {"decision", "activation"}


@dataclass(frozen=True)
class Reminder:
    request: PortingRequest
    deadline: Deadline
    kind: str  # PortingReminder.Kind

    def text(self) -> str:
        request, d = self.request, self.deadline
        numbers = ", ".join(p.number.e164 for p in request.numbers.all())
        head = _("Porting request #%(id)s (%(name)s; %(numbers)s)") % {
            "id": request.pk,
            "name": request.subscriber_name,
            "numbers": numbers,
        }
        if self.kind == PortingReminder.Kind.SOON:
            body = _("%(what)s on %(due)s (%(note)s). The request is %(state)s.") % {
                "what": d.what,
                "due": d.due.isoformat(),
                "note": d.note,
                "state": request.get_state_display(),
            }
        elif d.key == "decision":
            body = _(
                "the operator's decision was due on %(due)s and is not recorded. Ask the current operator, "
                "then record it (accepted or rejected)."
            ) % {"due": d.due.isoformat()}
        else:
            body = _(
                "the numbers should work here since %(due)s, but the request is still %(state)s. Call a "
                "ported number to check, then mark the request completed, or agree a new date."
            ) % {"due": d.due.isoformat(), "state": request.get_state_display()}
        return f"{head}: {body}"


def reminders_due(today: date, horizon_days: int) -> list[Reminder]:
    """What to announce today that was not announced before, oldest deadline first."""
    sent = set(PortingReminder.objects.values_list("request_id", "deadline", "due", "kind"))
    out = []
    for request in PortingRequest.objects.filter(state__in=OPEN).prefetch_related("numbers__number"):
        for deadline in deadlines(request):
            if today <= deadline.due <= today + timedelta(days=horizon_days):
                kind = PortingReminder.Kind.SOON
            elif deadline.due < today and deadline.key in ACT_WHEN_OVERDUE:
                kind = PortingReminder.Kind.OVERDUE
            else:
                continue
            if (request.pk, deadline.key, deadline.due, kind) not in sent:
                out.append(Reminder(request, deadline, kind))
    return sorted(out, key=lambda r: (r.deadline.due, r.request.pk))


def reminder_recipients() -> list[str]:
    """PORTING_REMINDER_EMAILS, else every office manager and superuser with an e-mail address."""
    return list(settings.PORTING_REMINDER_EMAILS) or office_manager_emails()


def do_send_reminders(
    *, today: date | None = None, horizon_days: int | None = None, actor: str = "scheduler", dry_run: bool = False
) -> list[str]:
    """Send today's reminders in one e-mail; returns their texts. Raises PortingError when there
    is nobody to send them to; a failed send raises too, and nothing is marked sent (the next
    run tries again)."""
    today = today or timezone.localdate()
    days = settings.PORTING_REMINDER_DAYS if horizon_days is None else horizon_days
    if days < 0:
        raise PortingError(_("The reminder horizon must be 0 days or more, not %(days)s.") % {"days": days})
    with translation.override(settings.LANGUAGE_CODE):
        due = reminders_due(today, days)
        texts = [reminder.text() for reminder in due]
        subject = _("Centrala: %(n)s porting deadline(s)") % {"n": len(due)}
    if not due or dry_run:
        return texts
    recipients = reminder_recipients()
    if not recipients:
        raise PortingError(
            _("Nobody to remind: set PORTING_REMINDER_EMAILS or give an office manager an e-mail address.")
        )
    send_mail(subject, "\n\n".join(f"- {text}" for text in texts), None, recipients)
    now = timezone.now()
    with transaction.atomic():
        PortingReminder.objects.bulk_create(
            [
                PortingReminder(
                    request=r.request,
                    deadline=r.deadline.key,
                    due=r.deadline.due,
                    kind=r.kind,
                    sent_at=now,
                    sent_to=", ".join(recipients),
                )
                for r in due
            ],
            ignore_conflicts=True,
        )
        do_audit(
            actor,
            "porting.remind",
            "porting",
            count=len(due),
            to=recipients,
            requests=sorted({r.request.pk for r in due}),
        )
    return texts
