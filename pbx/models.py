"""Telephony: staff extensions, prompts, and the call history the Stasis app writes."""

import uuid

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

extension_number_validator = RegexValidator(
    r"^[1-9][0-9]{1,4}$", _("An extension number has 2 to 5 digits and does not start with 0.")
)
sound_name_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_/-]*$",
    _("Use an Asterisk sound name: lower-case letters, digits, '_', '-' and '/', no extension."),
)


class Extension(models.Model):
    """A staff member's phone line. The SIP password is never stored, only its digest."""

    number = models.CharField(_("extension number"), max_length=5, unique=True, validators=[extension_number_validator])
    display_name = models.CharField(_("name shown on calls"), max_length=80)
    # PJSIP md5 credential: md5("<number>:<realm>:<password>"), so the password itself is
    # shown once when generated and then exists only on the phone.
    sip_ha1 = models.CharField(_("SIP credential digest"), max_length=32, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")

    def __str__(self) -> str:
        return f"{self.number} {self.display_name}"


class Prompt(models.Model):
    """A message played to callers: an Asterisk sound by name (e.g. 'hello-world')."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    sound = models.CharField(_("sound"), max_length=120, validators=[sound_name_validator])

    class Meta:
        ordering = ["name"]
        verbose_name = _("prompt")
        verbose_name_plural = _("prompts")

    def __str__(self) -> str:
        return self.name

    @property
    def media_uri(self) -> str:
        return f"sound:{self.sound}"


class Call(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "inbound", _("inbound")
        OUTBOUND = "outbound", _("outbound")
        INTERNAL = "internal", _("internal")

    class Outcome(models.TextChoices):
        IN_PROGRESS = "in_progress", _("in progress")
        ANSWERED = "answered", _("answered")
        MISSED = "missed", _("missed")
        REJECTED = "rejected", _("rejected")
        FAILED = "failed", _("failed")
        LOST = "lost", _("lost track (closed on reconnect)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel_id = models.CharField(_("Asterisk channel"), max_length=150, unique=True)
    sip_call_id = models.CharField(_("SIP Call-ID"), max_length=255, blank=True)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    caller = models.CharField(_("caller"), max_length=32, blank=True, db_index=True)
    called = models.CharField(_("called"), max_length=32, blank=True, db_index=True)
    started_at = models.DateTimeField(_("started"), db_index=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.IN_PROGRESS)
    hangup_cause = models.PositiveSmallIntegerField(_("hangup cause (Q.850)"), null=True, blank=True)
    hangup_cause_text = models.CharField(_("hangup cause"), max_length=80, blank=True)
    hung_up_by = models.CharField(
        _("hung up by"),
        max_length=10,
        blank=True,
        choices=[("caller", _("caller")), ("centrala", _("Centrala")), ("", _("unknown"))],
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")

    def __str__(self) -> str:
        return f"{self.caller or '?'} → {self.called or '?'} ({self.started_at:%Y-%m-%d %H:%M})"

    @property
    def duration_seconds(self) -> float | None:
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()


class CallEvent(models.Model):
    """One step of a call's timeline, as the call-flow core reported it."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"))
    kind = models.CharField(_("event"), max_length=40)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("call event")
        verbose_name_plural = _("call events")

    def __str__(self) -> str:
        return self.kind
