"""Integration tokens: one per CRM, helpdesk or script, acting for one user, with scopes."""

import base64
import binascii
import hashlib
import hmac
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from api.addresses import webhook_address_problem
from config.fields import HttpsURLField  # also named here for migration 0002

PREFIX = "ctr_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """Only the SHA-256 of the token is stored; the token itself is shown once, on creation.
    `key_id` (the first characters after the prefix) finds the row without a table scan."""

    name = models.CharField(_("integration"), max_length=80, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("acts for"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    scopes = models.JSONField(_("scopes"), default=list)
    key_id = models.CharField(max_length=8, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def new_secret() -> tuple[str, str]:
        """(key_id, token) for a fresh token."""
        key_id = secrets.token_hex(4)
        return key_id, f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"

    def matches(self, token: str) -> bool:
        return hmac.compare_digest(self.digest, token_digest(token))


WEBHOOK_SECRET_PREFIX = "whsec_"  # Standard Webhooks: the prefix, then the key in base64


def new_webhook_secret() -> str:
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def validate_webhook_secret(value: str) -> None:
    """A Standard Webhooks secret: whsec_ and a key of 24 to 64 bytes in base64."""
    if not value.startswith(WEBHOOK_SECRET_PREFIX):
        raise ValidationError(
            _("A signing secret starts with whsec_ and the key in base64 (Standard Webhooks); keep the generated one.")
        )
    try:
        key = base64.b64decode(value.removeprefix(WEBHOOK_SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(_("What follows whsec_ is not base64.")) from None
    if not 24 <= len(key) <= 64:
        raise ValidationError(
            _("The key after whsec_ must be 24 to 64 bytes long; this one is %(n)d bytes.") % {"n": len(key)}
        )


class WebhookEndpoint(models.Model):
    """A CRM or helpdesk address that wants to hear about calls."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    url = HttpsURLField(_("address (https://...)"), max_length=500)
    secret = models.CharField(
        _("signing secret"),
        max_length=100,
        default=new_webhook_secret,
        validators=[validate_webhook_secret],
        help_text=_(
            "Deliveries are signed with this secret as the Standard Webhooks specification says; give it to the"
            " receiver."
        ),
    )
    events = models.JSONField(_("events"), default=list)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.url and (problem := webhook_address_problem(self.url)):
            raise ValidationError({"url": problem})


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed (gave up)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("webhook"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=40)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), db_index=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(_("answer (HTTP)"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint} ({self.get_status_display()})"
