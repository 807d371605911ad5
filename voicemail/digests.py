"""Missed-call digests (voicemail.models.MissedCallDigest): once a day, each active digest
e-mails its recipients the calls nobody answered and where no message was left since it last
covered them, in office time, each with a link. `manage.py send_digests` (the scheduler)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pbx.callflow.vocabulary import StepKind
from pbx.local_time import office_time
from pbx.models import Call, CallbackTask
from voicemail.models import MissedCallDigest

log = logging.getLogger(__name__)

FIRST_WINDOW = timedelta(days=1)  # a new digest's first e-mail covers the day before
RING_KINDS = (StepKind.RING_EXTENSION, StepKind.RING_QUEUE, StepKind.RING_TRANSFER)


def missed_calls(digest: MissedCallDigest, since: datetime, until: datetime) -> list[Call]:
    """The inbound calls that ended missed (nobody talked to the caller, no message) in
    [since, until), of the digest's queue or person, oldest first."""
    calls = Call.objects.filter(
        direction=Call.Direction.INBOUND, outcome=Call.Outcome.MISSED, ended_at__gte=since, ended_at__lt=until
    ).order_by("started_at")
    if digest.queue_id is not None:
        return list(calls.filter(queue_id=digest.queue_id))
    if digest.extension_id is not None:
        number = digest.extension.number  # type: ignore[union-attr]
        return [c for c in calls.prefetch_related("events") if _rang(c, number)]
    return list(calls)


def _rang(call: Call, extension: str) -> bool:
    """Whether the call rang `extension` (its timeline's ringing steps name their targets)."""
    return any(extension in e.detail.get("targets", []) for e in call.events.all() if e.kind in RING_KINDS)


def do_send_digests(now: datetime | None = None) -> int:
    """Send every active digest with calls to report; returns how many e-mails went. Each
    digest moves on to `now` whether or not it had calls, so no call is reported twice."""
    now = now or timezone.now()
    sent = 0
    for digest in MissedCallDigest.objects.filter(active=True).select_related("queue", "extension"):
        since = digest.last_sent_at or now - FIRST_WINDOW
        calls = missed_calls(digest, since, now)
        recipients = sorted(
            set(
                User.objects.filter(is_active=True, extension__missed_call_digests=digest)
                .exclude(email="")
                .values_list("email", flat=True)
            )
        )
        if calls and recipients:
            _email(digest, calls, recipients).send()
            sent += 1
        elif calls:
            log.warning("digest %r: %d missed calls, nobody with an e-mail address to tell", digest.name, len(calls))
        MissedCallDigest.objects.filter(pk=digest.pk).update(last_sent_at=now)
    return sent


def _email(digest: MissedCallDigest, calls: list[Call], recipients: list[str]) -> EmailMessage:
    tasks = {t.call_id: t for t in CallbackTask.objects.filter(call__in=calls).select_related("assigned_to")}
    with translation.override(settings.LANGUAGE_CODE):
        subject = ngettext("%(n)d missed call: %(digest)s", "%(n)d missed calls: %(digest)s", len(calls)) % {
            "n": len(calls),
            "digest": digest.name,
        }
        lines = [_("Calls nobody answered and where no message was left:"), ""]
        for call in calls:
            when = office_time(call.started_at)
            caller = call.caller or _("a withheld number")
            task = tasks.get(call.pk)
            if task is None:
                todo = _("no callback task")
            elif task.assigned_to is not None:
                todo = _("callback: %(who)s") % {"who": task.assigned_to.display_name}
            else:
                todo = _("callback: nobody assigned")
            link = f"{settings.CENTRALA_URL}/admin/pbx/call/{call.pk}/change/"
            lines.append(f"{when}  {caller}  ({todo})\n  {link}")
        body = "\n".join(lines) + "\n"
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
