"""Who may dial what outside the firm: the toll-fraud guard's settings, per group of extensions.
The decision itself is pbx/callflow/tollfraud.py; an extension without a policy gets its safe
defaults (domestic fixed, mobile and freephone; 2 calls at once; 240 minutes a day)."""

from datetime import time

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pbx.callflow.tollfraud import CallingPolicy as CallingRules
from pbx.callflow.tollfraud import forward_refusal

NON_GEOGRAPHIC = "001"  # satellite and international networks (+870, +881, +882, +883)


def parse_countries(text: str) -> list[str]:
    """'de, CZ ,gb' -> ['CZ', 'DE', 'GB']; raises ValidationError naming each unknown code."""
    codes = sorted({part.strip().upper() for part in text.replace(";", ",").split(",") if part.strip()})
    known = phonenumbers.SUPPORTED_REGIONS | {NON_GEOGRAPHIC}
    if bad := [code for code in codes if code not in known]:
        raise ValidationError(
            _("Unknown country code(s): %(codes)s. Use ISO codes such as DE, CZ, GB."), params={"codes": ", ".join(bad)}
        )
    if "PL" in codes:
        raise ValidationError(_("PL is home: domestic calls are set with the options above, not as a country."))
    return codes


def forward_policy() -> CallingRules:
    """What forwards and plan-B mobiles may ring: the safe defaults (Polish fixed, mobile and
    freephone), plus fixed and mobile numbers in the countries of FORWARD_COUNTRIES. They ring
    whenever a caller calls, with no person dialling, so no policy of a person applies."""
    return CallingRules(name="forwards", countries=frozenset(parse_countries(",".join(settings.FORWARD_COUNTRIES))))


def forward_target_problem(e164: str) -> str:
    """A sentence for the admin when `e164` may not be a forward target or a plan-B mobile."""
    reason = forward_refusal(forward_policy(), e164)
    return _("Calls cannot be forwarded there: %(why)s.") % {"why": reason} if reason else ""


class CallingPolicy(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    allow_mobile = models.BooleanField(_("mobile numbers"), default=True)
    allow_freephone = models.BooleanField(_("freephone (800)"), default=True)
    allow_shared_cost = models.BooleanField(_("shared cost (801, 804)"), default=False)
    allow_premium = models.BooleanField(
        _("premium rate (70x and abroad)"),
        default=False,
        help_text=_("The numbers hijacked accounts are used for. Leave off unless the firm needs one."),
    )
    countries = models.CharField(
        _("countries allowed"),
        max_length=300,
        blank=True,
        help_text=_("ISO codes, comma separated (e.g. DE, CZ). Empty: no international calls."),
    )
    international_from = models.TimeField(_("international calls from"), default=time(7))
    international_until = models.TimeField(_("international calls until"), default=time(20))
    international_any_time = models.BooleanField(
        _("international calls also at night, at weekends and on holidays"),
        default=False,
        help_text=_("Fraud happens at night and over holiday weekends: leave off unless someone works then."),
    )
    max_concurrent = models.PositiveSmallIntegerField(
        _("outside calls at once per extension"), default=2, validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    max_daily_minutes = models.PositiveIntegerField(
        _("outside minutes per extension per day"),
        default=240,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
    )
    blocked_prompt = models.ForeignKey(
        "pbx.Prompt",
        verbose_name=_("message when a call is blocked"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: 'your call cannot be completed'."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("calling policy")
        verbose_name_plural = _("calling policies")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.countries = ", ".join(parse_countries(self.countries))
        if self.international_from >= self.international_until:
            raise ValidationError({"international_until": _("Must be later than 'from'.")})
