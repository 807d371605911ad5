"""Recordings fetched from Asterisk and kept through Django's storage API."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from pbx.local_time import office_time
from recordings.crypto import RecordingUnreadable, decrypt


def recording_path(instance: "Recording", filename: str) -> str:
    return f"recordings/{instance.created_at:%Y/%m/%d}/{filename}"


class Recording(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    call = models.ForeignKey("pbx.Call", verbose_name=_("call"), on_delete=models.PROTECT, related_name="recordings")

    class Kind(models.TextChoices):
        CALL = "call", _("call recording")
        VOICEMAIL = "voicemail", _("voicemail message")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CALL)
    asterisk_name = models.CharField(_("name in Asterisk"), max_length=200, unique=True)
    file = models.FileField(_("file"), upload_to=recording_path, max_length=300)
    format = models.CharField(_("format"), max_length=10)
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"))
    duration_seconds = models.FloatField(_("duration (s)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, help_text=_("Of the audio, before encryption."))
    purpose = models.ForeignKey(
        "compliance.ProcessingPurpose", verbose_name=_("purpose"), null=True, blank=True, on_delete=models.PROTECT
    )
    expires_at = models.DateTimeField(_("delete after"), null=True, blank=True, db_index=True)
    hold_reason = models.CharField(_("legal hold"), max_length=200, blank=True)
    hold_set_by = models.ForeignKey(
        "auth.User", verbose_name=_("hold set by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hold_set_at = models.DateTimeField(_("hold set at"), null=True, blank=True)
    # AES-GCM data key wrapped by the master key; emptied to erase the recording everywhere.
    wrapped_key = models.BinaryField(editable=False, default=b"")
    created_at = models.DateTimeField(_("stored"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        permissions = [
            ("view_all_recordings", _("Can listen to every recording, not only own teams'")),
            ("legal_hold", _("Can place and release legal holds")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}, {office_time(self.created_at)} ({self.duration_seconds:.1f} s)"

    @property
    def on_hold(self) -> bool:
        return bool(self.hold_reason)

    def audio(self) -> bytes:
        """The decrypted audio. Raises recordings.crypto.RecordingUnreadable once erased."""
        if not self.wrapped_key:
            raise RecordingUnreadable(f"recording {self.pk}: its key was destroyed (erased)")
        try:
            with self.file.open("rb") as handle:
                stored = handle.read()
        except FileNotFoundError as exc:
            raise RecordingUnreadable(f"recording {self.pk}: its file is missing from storage") from exc
        return decrypt(stored, bytes(self.wrapped_key), str(self.pk))


class RecordingRule(models.Model):
    """Which calls are recorded, and why. Rules are read in priority order (lowest first);
    the first rule whose conditions all hold decides. An empty condition matches anything."""

    class Direction(models.TextChoices):
        ANY = "", _("any direction")
        INBOUND = "inbound", _("inbound")
        OUTBOUND = "outbound", _("outbound")
        INTERNAL = "internal", _("internal")

    class Mode(models.TextChoices):
        ALWAYS = "always", _("always (after the announcement)")
        NEVER = "never", _("never")

    name = models.CharField(_("name"), max_length=80, unique=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=100, help_text=_("Lower is checked first."))
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, blank=True, default="")
    company_number = models.ForeignKey(
        "numbers.CompanyNumber", verbose_name=_("company number"), null=True, blank=True, on_delete=models.CASCADE
    )
    destination = models.ForeignKey(
        "pbx.Destination",
        verbose_name=_("when the call reaches"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("e.g. the IVR choice for complaints"),
    )
    extension = models.ForeignKey(
        "pbx.Extension", verbose_name=_("when connected to"), null=True, blank=True, on_delete=models.CASCADE
    )
    mode = models.CharField(_("record"), max_length=8, choices=Mode.choices, default=Mode.ALWAYS)
    purpose = models.ForeignKey(
        "compliance.ProcessingPurpose", verbose_name=_("purpose"), null=True, blank=True, on_delete=models.PROTECT
    )
    objection_key = models.CharField(
        _("key to object"), max_length=1, default="9", help_text=_("Pressing it during the announcement: not recorded.")
    )

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = _("recording rule")
        verbose_name_plural = _("recording rules")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if self.mode == self.Mode.ALWAYS and not self.purpose_id:
            errors["purpose"] = _("Recording needs a purpose (GDPR art. 5(1)(b)).")
        # Conditions no call of that direction can meet: the rule would never record anything.
        if self.destination_id and self.direction in (self.Direction.OUTBOUND, self.Direction.INTERNAL):
            errors["destination"] = _(
                "Outgoing and internal calls pass no IVR destination: choose inbound or any "
                "direction, or leave the destination empty."
            )
        if self.company_number_id and self.direction == self.Direction.INTERNAL:
            errors["company_number"] = _("Internal calls use no company number: leave it empty for internal calls.")
        if errors:
            raise ValidationError(errors)
