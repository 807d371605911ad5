"""Company numbers: the public numbers callers dial, each routed to what the firm set up."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from pbx.phone import InvalidPhoneNumber, to_e164


def validate_e164(value: str) -> None:
    try:
        normalised = to_e164(value)
    except InvalidPhoneNumber as exc:
        raise ValidationError(str(exc)) from exc
    if normalised != value:
        raise ValidationError(_("Store the number as %(n)s.") % {"n": normalised})


class CompanyNumber(models.Model):
    e164 = models.CharField(_("number (E.164)"), max_length=16, unique=True, validators=[validate_e164])
    label = models.CharField(_("label"), max_length=80, blank=True)
    greeting = models.ForeignKey(
        "pbx.Prompt", verbose_name=_("greeting"), on_delete=models.PROTECT, related_name="+"
    )
    record_seconds = models.PositiveSmallIntegerField(
        _("record the caller for (seconds)"),
        default=0,
        help_text=_("0 = no recording. A message-taking line records what the caller says."),
    )

    class Meta:
        ordering = ["e164"]
        verbose_name = _("company number")
        verbose_name_plural = _("company numbers")

    def __str__(self) -> str:
        return f"{self.e164} {self.label}".strip()

    def clean(self) -> None:
        if self.e164:
            try:
                self.e164 = to_e164(self.e164)
            except InvalidPhoneNumber as exc:
                raise ValidationError({"e164": str(exc)}) from exc
