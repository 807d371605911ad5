"""Staff extensions and who is on duty when."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from company_numbers.fields import E164Field
from pbx.local_time import office_time

from .policies import forward_target_problem

# What a name may not hold: it is written into pjsip.conf as `callerid = "name" <number>`, where
# a line break would start a section of its own and these characters are Asterisk's syntax.
config_text_validator = RegexValidator(
    r'^[^\x00-\x1f\x7f\[\];,"\\<>]*$',
    _('A name cannot hold line breaks, control characters or any of [ ] ; , " \\ < >.'),
)
extension_number_validator = RegexValidator(
    r"^[1-9][0-9]{1,4}$", _("An extension number has 2 to 5 digits and does not start with 0.")
)


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Extension(models.Model):
    """A staff member's phone line. The SIP password is never stored, only its digest."""

    class Kind(models.TextChoices):
        DESK = "desk", _("desk SIP phone")
        SOFTPHONE = "softphone", _("softphone")
        MOBILE_APP = "mobile_app", _("mobile app")

    number = models.CharField(_("extension number"), max_length=5, unique=True, validators=[extension_number_validator])
    display_name = models.CharField(_("name shown on calls"), max_length=80, validators=[config_text_validator])
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("staff member"), null=True, blank=True, on_delete=models.SET_NULL
    )
    kind = models.CharField(_("device"), max_length=12, choices=Kind.choices, default=Kind.SOFTPHONE)
    mobile = E164Field(_("mobile number (plan B)"), blank=True)
    caller_id = models.ForeignKey(
        "numbers.CompanyNumber",
        verbose_name=_("number shown on outbound calls"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text=_("Empty: the firm's main number. Private numbers are never shown."),
        related_name="+",
    )
    calling_policy = models.ForeignKey(
        "pbx.CallingPolicy",
        verbose_name=_("calling policy"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="extensions",
        help_text=_("What this phone may dial outside. Empty: domestic fixed, mobile and freephone only."),
    )
    plain_sip = models.BooleanField(
        _("plain SIP (no TLS, no SRTP)"),
        default=False,
        help_text=_(
            "Only for test phones on this machine: plain SIP is accepted from SIP_PLAIN_NETWORKS "
            "(loopback) only. Every other phone uses TLS and SRTP."
        ),
    )
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("An inactive extension cannot log in and is never rung (nor its mobile); its history stays."),
    )
    # Do-not-disturb and forwarding: how calls to this person (a scenario's "ring extension",
    # a colleague dialling it) go; queues skip a person in do-not-disturb.
    dnd = models.BooleanField(
        _("do not disturb"),
        default=False,
        help_text=_(
            "Their phones do not ring: direct calls go where 'forward always' says, else where the "
            "scenario sends unanswered calls (voicemail); queues skip them."
        ),
    )
    forward_always = models.ForeignKey(
        "pbx.Destination",
        verbose_name=_("forward always to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("A colleague, a queue, voicemail or an outside number (a destination); the phones do not ring."),
    )
    forward_no_answer = models.ForeignKey(
        "pbx.Destination",
        verbose_name=_("when not answered, forward to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    forward_after_seconds = models.PositiveSmallIntegerField(_("not answered after (s)"), default=20)
    forward_unreachable = models.ForeignKey(
        "pbx.Destination",
        verbose_name=_("when no phone is on, forward to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Instead of plan B (the on-duty mobiles), e.g. the person's own mobile."),
    )
    forward_busy = models.ForeignKey(
        "pbx.Destination",
        verbose_name=_("when on another call, forward to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: a second call rings anyway (the phone may offer call waiting)."),
    )
    # Whether its last call was encrypted, as Asterisk saw it (not as configured).
    last_call_at = models.DateTimeField(_("last call"), null=True, blank=True, editable=False)
    last_call_tls = models.BooleanField(_("last call over TLS"), null=True, editable=False)
    last_call_srtp = models.BooleanField(_("last call's audio encrypted (SRTP)"), null=True, editable=False)
    # The PIN a staff phone's own services ask for (voicemail, recording prompts):
    # "<salt>$<sha256>", see pbx/callflow/pin.py; empty: none set, those services refused.
    pin_digest = models.CharField(_("PIN"), max_length=100, blank=True, editable=False)
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

    def active_devices(self) -> "list[Device]":
        """Its other phones that may log in (from a prefetch of `devices` when there is one)."""
        return [device for device in self.devices.all() if device.active]

    def clean(self) -> None:
        if self.mobile and (problem := forward_target_problem(self.mobile)):
            raise ValidationError({"mobile": problem})
        for name in ("forward_always", "forward_no_answer", "forward_unreachable", "forward_busy"):
            target = getattr(self, name)
            if target is not None and self.pk is not None and target.extension_id == self.pk:
                raise ValidationError({name: _("A forward to the same person's phones would go round in circles.")})
        if self.pk is not None and (back := self._forwarded_back_by(self.forward_always)):
            raise ValidationError(
                {
                    "forward_always": _(
                        "%(name)s forwards all calls back to this person: the call would go round in circles."
                    )
                    % {"name": back}
                }
            )

    def _forwarded_back_by(self, start: Any) -> str:
        """The colleague whose own 'forward always' (followed from `start`) comes back here, or ""."""
        seen: set[int] = set()
        destination = start
        while destination is not None and destination.pk not in seen and destination.extension_id is not None:
            seen.add(destination.pk)
            colleague = destination.extension
            if colleague.forward_always_id is not None and colleague.forward_always.extension_id == self.pk:
                return colleague.display_name
            destination = colleague.forward_always
        return ""


class Device(models.Model):
    """Another phone of a person (the extension itself is the first): a softphone on the laptop,
    an app on the mobile. Its own SIP login (`<extension>-<n>`, so one lost phone is cut off
    alone); it rings with the person's other phones, or `ring_after_seconds` later, and calls
    from it show the person's extension and company number. The password is never stored."""

    extension = models.ForeignKey(
        Extension, verbose_name=_("extension"), on_delete=models.CASCADE, related_name="devices"
    )
    name = models.CharField(_("name"), max_length=80, validators=[config_text_validator])
    kind = models.CharField(
        _("device"), max_length=12, choices=Extension.Kind.choices, default=Extension.Kind.SOFTPHONE
    )
    sip_username = models.CharField(_("SIP user name"), max_length=12, unique=True, editable=False)
    ring_after_seconds = models.PositiveSmallIntegerField(
        _("rings after (s)"),
        default=0,
        help_text=_("0: together with the person's other phones; e.g. 10: the desk phone first, this one 10 s later."),
    )
    active = models.BooleanField(_("active"), default=True)
    plain_sip = models.BooleanField(
        _("plain SIP (no TLS, no SRTP)"),
        default=False,
        help_text=_("Only for test phones on this machine (SIP_PLAIN_NETWORKS, loopback); every other phone uses TLS."),
    )
    sip_ha1 = models.CharField(_("SIP credential digest"), max_length=32, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["extension__number", "sip_username"]
        verbose_name = _("device")
        verbose_name_plural = _("devices")

    def __str__(self) -> str:
        return f"{self.sip_username} {self.name}"


class WeeklyDuty(models.Model):
    """A recurring on-duty slot, e.g. Anna on Mondays 8:00-16:00."""

    extension = models.ForeignKey(Extension, verbose_name=_("extension"), on_delete=models.CASCADE)
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("to"))

    class Meta:
        ordering = ["weekday", "starts"]
        verbose_name = _("weekly duty")
        verbose_name_plural = _("weekly duty rota")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M} {self.extension}"

    def clean(self) -> None:
        if self.starts is not None and self.ends is not None and self.starts >= self.ends:
            raise ValidationError({"ends": _("The duty must end after it starts (split overnight duties).")})


class DutyShift(models.Model):
    """A dated shift (holiday cover, a weekend); it replaces the weekly rota while it lasts."""

    extension = models.ForeignKey(Extension, verbose_name=_("extension"), on_delete=models.CASCADE)
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("to"))

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("dated shift")
        verbose_name_plural = _("dated shifts")

    def __str__(self) -> str:
        return f"{office_time(self.starts_at)} - {office_time(self.ends_at)} {self.extension}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.starts_at >= self.ends_at:
            raise ValidationError({"ends_at": _("The shift must end after it starts.")})
