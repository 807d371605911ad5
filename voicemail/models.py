"""Voicemail boxes and the messages in them. A message is a recording of the caller (GDPR:
personal data like any recording): its audio, purpose and retention live in recordings.Recording;
here is whose box it is in and whether its owners have heard it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Mailbox(models.Model):
    """A box for a person, a queue or the whole office. Its owners (extensions) are told of new
    messages and may listen to them; so may whoever is assigned to call the caller back."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    owners = models.ManyToManyField(
        "pbx.Extension",
        verbose_name=_("owners"),
        blank=True,
        related_name="mailboxes",
        help_text=_("Who hears the messages."),
    )
    greeting = models.ForeignKey(
        "pbx.Prompt",
        verbose_name=_("greeting"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Played before the caller speaks; empty: Centrala's own (“leave a message after the tone”)."),
    )
    purpose = models.ForeignKey(
        "compliance.ProcessingPurpose",
        verbose_name=_("purpose"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Why messages are kept, and for how long; empty: the default retention."),
    )
    email_owners = models.BooleanField(_("e-mail the owners about new messages"), default=True)
    attach_audio = models.BooleanField(
        _("attach the message to the e-mail"),
        default=False,
        help_text=_("Off: the e-mail has a link to listen after signing in (the audio stays in Centrala)."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("voicemail box")
        verbose_name_plural = _("voicemail boxes")

    def __str__(self) -> str:
        return self.name


class MessageQuerySet(models.QuerySet["Message"]):
    def not_erased(self) -> MessageQuerySet:
        """Messages whose recording can still be heard (erasure destroys its key)."""
        return self.exclude(recording__wrapped_key=b"")


class Message(models.Model):
    recording = models.OneToOneField(
        "recordings.Recording", verbose_name=_("recording"), on_delete=models.CASCADE, related_name="message"
    )
    mailbox = models.ForeignKey(Mailbox, verbose_name=_("box"), on_delete=models.PROTECT, related_name="messages")
    caller = models.CharField(_("caller"), max_length=32, blank=True)
    left_at = models.DateTimeField(_("left at"))
    heard_at = models.DateTimeField(_("heard at"), null=True, blank=True)
    heard_by = models.CharField(_("heard by"), max_length=150, blank=True)
    notified_at = models.DateTimeField(_("owners told"), null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-left_at"]
        verbose_name = _("voicemail message")
        verbose_name_plural = _("voicemail messages")

    def __str__(self) -> str:
        return f"{self.caller or _('withheld number')} → {self.mailbox}"


class MissedCallDigest(models.Model):
    """An e-mail, once a day (the scheduler), listing the calls nobody answered and where no
    message was left: all of them, a queue's, or those that rang one person. For whoever
    should call back; each line links to the call."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    queue = models.ForeignKey(
        "pbx.Queue",
        verbose_name=_("queue"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Only calls that waited in this queue."),
    )
    extension = models.ForeignKey(
        "pbx.Extension",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Only calls that rang this extension. Empty (and no queue): every missed call."),
    )
    recipients = models.ManyToManyField(
        "pbx.Extension",
        verbose_name=_("sent to"),
        related_name="missed_call_digests",
        help_text=_("The staff members of these extensions, at their e-mail addresses."),
    )
    active = models.BooleanField(_("active"), default=True)
    last_sent_at = models.DateTimeField(_("covers calls until"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("missed-call digest")
        verbose_name_plural = _("missed-call digests")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.queue_id is not None and self.extension_id is not None:
            raise ValidationError(_("Choose a queue or a person, not both."))
