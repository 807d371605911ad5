"""Setting a phone up without typing: a link (and its QR code) or a desk phone's provisioning
address, each for one SIP login. The SIP password the phone needs is kept only sealed with a
key derived from the link's secret, which Centrala does not keep: whoever has the link can
open it, nobody who reads the database can."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .people import Device, Extension


class SetupLink(models.Model):
    class Kind(models.TextChoices):
        APP = "app", _("softphone: one-time link and QR code")
        DESK = "desk", _("desk phone: provisioning address")

    extension = models.ForeignKey(
        Extension, verbose_name=_("extension"), on_delete=models.CASCADE, related_name="setup_links"
    )
    device = models.ForeignKey(
        Device,
        verbose_name=_("device"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="setup_links",
        help_text=_("Empty: the extension's first phone."),
    )
    kind = models.CharField(_("for"), max_length=8, choices=Kind.choices)
    lookup = models.CharField(max_length=64, unique=True, editable=False)  # digest of the secret
    sealed = models.BinaryField(editable=False)  # the SIP password, sealed with the secret
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.CharField(_("created by"), max_length=150, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    mac = models.CharField(
        _("desk phone's MAC address"),
        max_length=12,
        blank=True,
        help_text=_("The first desk phone to fetch its settings; no other may after it."),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("setup link")
        verbose_name_plural = _("setup links")

    def __str__(self) -> str:
        return f"{self.login} ({self.get_kind_display()})"

    @property
    def login(self) -> str:
        """The SIP user name the phone logs in with."""
        return self.device.sip_username if self.device_id else self.extension.number  # type: ignore[union-attr]
