"""What the security side keeps: failed SIP logins, banned sources, networks never banned,
and toll-fraud alerts for the office manager."""

import ipaddress

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from pbx.local_time import office_time


class SipAuthFailure(models.Model):
    """One failed attempt, from Asterisk's security log (InvalidAccountID, InvalidPassword, ...)."""

    at = models.DateTimeField(_("time"), db_index=True)
    source = models.GenericIPAddressField(_("source address"))
    event = models.CharField(_("event"), max_length=40)
    account = models.CharField(_("account tried"), max_length=80, blank=True)
    service = models.CharField(_("service"), max_length=20, blank=True)
    transport = models.CharField(_("transport"), max_length=8, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("failed SIP login")
        verbose_name_plural = _("failed SIP logins")
        indexes = [models.Index(fields=["source", "at"])]

    def __str__(self) -> str:
        return f"{office_time(self.at, seconds=True)} {self.source} {self.event} {self.account}"


class ActiveBans(models.QuerySet["SipBan"]):
    def active(self, now=None):  # type: ignore[no-untyped-def]
        now = now or timezone.now()
        return self.filter(lifted_at__isnull=True).filter(Q(until__isnull=True) | Q(until__gt=now))

    def active_sources(self, now=None) -> list[str]:  # type: ignore[no-untyped-def]
        """The addresses banned now, each once, sorted (as pjsip.conf's ACL lists them)."""
        return sorted(set(self.active(now).values_list("source", flat=True)))


class SipBan(models.Model):
    """A source Asterisk refuses (a pjsip ACL rendered from the active bans and reloaded live)."""

    source = models.GenericIPAddressField(_("source address"))
    reason = models.CharField(_("reason"), max_length=200)
    banned_at = models.DateTimeField(_("banned"), default=timezone.now)
    until = models.DateTimeField(_("until"), null=True, blank=True, help_text=_("Empty: until lifted by hand."))
    banned_by = models.CharField(_("banned by"), max_length=150, default="automatic")
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.CharField(_("lifted by"), max_length=150, blank=True)

    objects = ActiveBans.as_manager()

    class Meta:
        ordering = ["-banned_at"]
        verbose_name = _("banned SIP source")
        verbose_name_plural = _("banned SIP sources")

    def __str__(self) -> str:
        return f"{self.source} ({self.reason})"

    @property
    def active(self) -> bool:
        return self.lifted_at is None and (self.until is None or self.until > timezone.now())


def validate_network(value: str) -> None:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError as exc:
        raise ValidationError(
            _("%(value)s is not an address or network (e.g. 192.0.2.10 or 192.0.2.0/24)."), params={"value": value}
        ) from exc


class AllowedNetwork(models.Model):
    """Never banned, whatever it does: the office's own address, the provider's support."""

    network = models.CharField(_("address or network"), max_length=43, unique=True, validators=[validate_network])
    note = models.CharField(_("whose"), max_length=120, blank=True)

    class Meta:
        ordering = ["network"]
        verbose_name = _("never-banned network")
        verbose_name_plural = _("never-banned networks")

    def __str__(self) -> str:
        return self.network


class TollFraudAlert(models.Model):
    """Something the office manager should look at: a first call to a new country, a cap hit."""

    class Kind(models.TextChoices):
        NEW_COUNTRY = "new_country", _("first call to a new country")
        CONCURRENT = "concurrent", _("concurrent-call limit hit")
        DAILY_MINUTES = "daily_minutes", _("daily-minutes limit hit")

    at = models.DateTimeField(_("time"), db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    extension = models.CharField(_("extension"), max_length=20)
    number = models.CharField(_("number dialled"), max_length=32)
    country = models.CharField(_("country"), max_length=3, blank=True)
    message = models.CharField(_("what happened"), max_length=300)
    call = models.ForeignKey(
        "pbx.Call", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("call")
    )
    seen_by = models.CharField(_("seen by"), max_length=150, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("toll-fraud alert")
        verbose_name_plural = _("toll-fraud alerts")

    def __str__(self) -> str:
        return f"{office_time(self.at)} {self.extension}: {self.get_kind_display()}"


class EmergencyCall(models.Model):
    """A staff phone dialled an emergency or helpline number (112, 997, ...). The office is told
    at once: a dispatcher may call back, and someone at the firm should know why."""

    at = models.DateTimeField(_("time"), db_index=True)
    extension = models.CharField(_("extension"), max_length=20)
    number = models.CharField(_("number dialled"), max_length=16)
    shown = models.CharField(_("number shown to the dispatcher"), max_length=16, blank=True)
    call = models.ForeignKey(
        "pbx.Call", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("call")
    )
    seen_by = models.CharField(_("seen by"), max_length=150, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("emergency call")
        verbose_name_plural = _("emergency calls")

    def __str__(self) -> str:
        return f"{office_time(self.at)} {self.extension} -> {self.number}"


# --- third-party records, as the office reads them ---------------------------------------------
# django-axes (sign-in lockouts) and django-otp (two-step devices) name their records in English
# and print times in UTC; these proxies (no tables of their own) give them Polish names and local
# times in the admin (security/admin.py), in place of the packages' own screens.


def _attempt(record: AccessAttempt | AccessFailureLog) -> str:
    return f"{record.username or '?'} ({record.ip_address or '?'}), {office_time(record.attempt_time)}"


class SignInLockout(AccessAttempt):
    class Meta:
        proxy = True
        verbose_name = _("sign-in lockout")
        verbose_name_plural = _("sign-in lockouts")

    def __str__(self) -> str:
        return _attempt(self)


class FailedSignIn(AccessFailureLog):
    class Meta:
        proxy = True
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")

    def __str__(self) -> str:
        return _attempt(self)


class SignIn(AccessLog):
    class Meta:
        proxy = True
        verbose_name = _("sign-in")
        verbose_name_plural = _("sign-in log")

    def __str__(self) -> str:
        return f"{self.username or '?'}, {office_time(self.attempt_time)}"


class TwoStepDevice(TOTPDevice):
    class Meta:
        proxy = True
        verbose_name = _("two-step verification device")
        verbose_name_plural = _("two-step verification devices")

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"
