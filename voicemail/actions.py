"""Messages into their boxes, their owners told, heard and unheard. The only writers of
voicemail.Message (see README, "do_* functions")."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from api.webhooks import do_enqueue
from compliance.audit import do_audit
from pbx.local_time import office_time
from recordings.actions import do_ingest_recording
from recordings.models import Recording
from voicemail.models import Mailbox, Message

log = logging.getLogger(__name__)


def do_file_message(call_id: str, name: str, fmt: str, path: Path, mailbox_id: int | None) -> Recording:
    """Store a voicemail recording (with its box's purpose and retention) and put it in its
    box; the box's webhook event is queued with it. Idempotent, like the ingest."""
    mailbox = Mailbox.objects.filter(pk=mailbox_id).first() if mailbox_id is not None else None
    recording = do_ingest_recording(call_id, name, fmt, path, "voicemail", mailbox.purpose_id if mailbox else None)
    if mailbox is None:
        return recording
    with transaction.atomic():
        message, created = Message.objects.get_or_create(
            recording=recording,
            defaults={"mailbox": mailbox, "caller": recording.call.caller, "left_at": recording.created_at},
        )
        if created:
            do_enqueue("voicemail.new", message_summary(message), message.left_at)
    return recording


def message_summary(message: Message) -> dict[str, Any]:
    return {
        "message": message.pk,
        "mailbox": message.mailbox.name,
        "caller": message.caller,
        "left_at": message.left_at.isoformat(),
        "seconds": round(message.recording.duration_seconds, 1),
        "recording": str(message.recording_id),
        "call": str(message.recording.call_id),
    }


def owners_emails(mailbox: Mailbox) -> list[str]:
    users = User.objects.filter(is_active=True, extension__mailboxes=mailbox).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def notify_new_message(recording_id: str) -> bool:
    """Tell the owners of the box a new message is in: once, however often the ingest runs
    (the claim on `notified_at` decides). False when there is nobody to tell."""
    message = Message.objects.select_related("mailbox", "recording").filter(recording_id=recording_id).first()
    if message is None or not Message.objects.filter(pk=message.pk, notified_at__isnull=True).update(
        notified_at=timezone.now()
    ):
        return False
    return send_new_message_email(message)


def send_new_message_email(message: Message) -> bool:
    """Who called, when (office time), how long, a link to listen; the audio attached only
    where the box says so. False when nobody was told."""
    mailbox = message.mailbox
    recipients = owners_emails(mailbox) if mailbox.email_owners else []
    if not recipients:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        left = office_time(message.left_at)
        caller = message.caller or _("a withheld number")
        subject = _("New voicemail from %(caller)s (%(box)s)") % {"caller": caller, "box": mailbox.name}
        link = f"{settings.CENTRALA_URL}/admin/voicemail/message/{message.pk}/change/"
        body = _(
            "%(caller)s left a message in the box %(box)s on %(when)s (%(seconds).0f s).\n\nListen: %(link)s\n"
        ) % {
            "caller": caller,
            "box": mailbox.name,
            "when": left,
            "seconds": message.recording.duration_seconds,
            "link": link,
        }
    email = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    if mailbox.attach_audio:
        email.attach(f"wiadomosc-{message.pk}.{message.recording.format}", message.recording.audio(), "audio/wav")
    email.send()
    return True


def counts(mailbox_id: int) -> tuple[int, int]:
    """(new, heard) messages in a box (erased ones no longer count)."""
    messages = Message.objects.filter(mailbox_id=mailbox_id).not_erased()
    new = messages.filter(heard_at__isnull=True).count()
    return new, messages.count() - new


def may_hear_as_owner(user: Any, recording: Recording) -> bool:
    """An owner of the message's box, or whoever is to call the caller back."""
    return Recording.objects.filter(pk=recording.pk).filter(messages_for(user)).exists()


def messages_for(user: Any) -> Q:
    """Voicemail recordings `user` hears as a box owner or a callback assignee (a Recording filter)."""
    extension = getattr(user, "extension", None)
    if extension is None:
        return Q(pk__in=[])
    return Q(kind=Recording.Kind.VOICEMAIL) & (
        Q(message__mailbox__owners=extension) | Q(call__callbacktask__assigned_to=extension)
    )


def do_mark_heard(message: Message, actor: str, source: str = "") -> bool:
    """The message was played by one of its people: heard. True when it was new."""
    with transaction.atomic():
        changed = Message.objects.filter(pk=message.pk, heard_at__isnull=True).update(
            heard_at=timezone.now(), heard_by=actor
        )
        if changed:
            do_audit(actor, "voicemail.heard", f"voicemail.message:{message.pk}", source=source)
    return bool(changed)
