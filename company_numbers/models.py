"""Company numbers: the public numbers callers dial, each routed to what the firm set up."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from company_numbers.fields import E164Field


class CompanyNumber(models.Model):
    e164 = E164Field(
        _("number"), unique=True, help_text=_("Any usual form, e.g. 22 123 45 67; stored as +48221234567.")
    )
    label = models.CharField(_("label"), max_length=80, blank=True)
    scenario = models.ForeignKey(
        "pbx.Scenario",
        verbose_name=_("scenario"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="numbers",
        help_text=_("Empty: callers hear that the number is not in service."),
    )
    is_main = models.BooleanField(
        _("main number"),
        default=False,
        help_text=_("Shown to customers on outbound calls unless an extension says otherwise."),
    )

    class Meta:
        ordering = ["e164"]
        verbose_name = _("company number")
        verbose_name_plural = _("company numbers")

    def __str__(self) -> str:
        return f"{self.e164} {self.label}".strip()
