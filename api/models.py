"""Integration tokens: one per CRM, helpdesk or script, acting for one user, with scopes."""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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
