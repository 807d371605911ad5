"""Company numbers: the public numbers callers dial, each routed to what the firm set up."""

from collections.abc import Collection

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from company_numbers.fields import E164Field

KINDS_BY_TYPE = {
    phonenumbers.PhoneNumberType.FIXED_LINE: "geographic",
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "geographic",
    phonenumbers.PhoneNumberType.TOLL_FREE: "freephone",
    phonenumbers.PhoneNumberType.SHARED_COST: "shared_cost",
    phonenumbers.PhoneNumberType.UAN: "shared_cost",
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "premium",
    phonenumbers.PhoneNumberType.VOIP: "voip",
}


def number_kind(e164: str) -> str:
    return KINDS_BY_TYPE.get(phonenumbers.number_type(phonenumbers.parse(e164)), "other")


def single_line(value: str) -> None:
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError(_("One line, without control characters."))


class CompanyNumber(models.Model):
    class Kind(models.TextChoices):
        GEOGRAPHIC = "geographic", _("geographic (fixed)")
        MOBILE = "mobile", _("mobile")
        FREEPHONE = "freephone", _("freephone (800)")
        SHARED_COST = "shared_cost", _("shared cost (801, 804)")
        PREMIUM = "premium", _("premium rate (70x)")
        VOIP = "voip", _("VoIP (39)")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        PORTING_IN = "porting_in", _("porting in")
        PORTING_OUT = "porting_out", _("porting out")
        RESERVED = "reserved", _("reserved")

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
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, editable=False, default=Kind.OTHER)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=Status.choices,
        default=Status.ACTIVE,
        help_text=_("Only active numbers (and those porting out, until they go) take calls."),
    )
    is_main = models.BooleanField(
        _("main number"),
        default=False,
        help_text=_("Shown to customers on outbound calls unless an extension says otherwise."),
    )
    emergency_address = models.CharField(
        _("address for emergency services"),
        max_length=200,
        blank=True,
        validators=[single_line],
        help_text=_(
            "Where the phones using this number are (street, number, postcode, town). The carrier passes it "
            "to the emergency centre (location of a 112 call): give it to the carrier too."
        ),
    )

    class Meta:
        ordering = ["e164"]
        verbose_name = _("company number")
        verbose_name_plural = _("company numbers")
        constraints = [
            models.UniqueConstraint(fields=["is_main"], condition=models.Q(is_main=True), name="one_main_number")
        ]

    def __str__(self) -> str:
        return f"{self.e164} {self.label}".strip()

    def save(self, *args: object, **kwargs: object) -> None:
        """Marking a number as the main one takes the mark from whichever number had it, however
        it is saved (admin, API, command)."""
        self.kind = number_kind(self.e164)
        with transaction.atomic():
            if self.is_main:
                CompanyNumber.objects.filter(is_main=True).exclude(pk=self.pk).update(is_main=False)
            super().save(*args, **kwargs)  # type: ignore[arg-type]

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        # A new main number takes the mark (save() above), so "another is main" is no error.
        super().validate_constraints(exclude={*(exclude or ()), "is_main"})

    @property
    def routable(self) -> bool:
        return self.status in (self.Status.ACTIVE, self.Status.PORTING_OUT)


class PortingRequest(models.Model):
    """Bringing numbers from another operator. States and moves: company_numbers/porting/flow.py."""

    class SubscriberType(models.TextChoices):
        PERSON = "person", _("person")
        SOLE_TRADER = "sole_trader", _("sole trader")
        COMPANY = "company", _("company or other organisation")

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        VALIDATED = "validated", _("validated")
        SUBMITTED = "submitted", _("submitted to the operator")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")
        SCHEDULED = "scheduled", _("scheduled")
        COMPLETED = "completed", _("completed")
        WITHDRAWN = "withdrawn", _("withdrawn")

    class Notice(models.TextChoices):
        WITH_NOTICE = "with_notice", _("the old contract ends with its notice period")
        WITHOUT_NOTICE = "without_notice", _("without notice (fees for ending early may apply)")

    subscriber_type = models.CharField(_("subscriber"), max_length=12, choices=SubscriberType.choices)
    subscriber_name = models.CharField(
        _("name exactly as on the operator's invoice"),
        max_length=200,
        help_text=_("Letter for letter, with the same diacritics, quotes and legal form. Never retyped."),
    )
    name_on_record = models.CharField(
        _("name the operator has on record"),
        max_length=200,
        blank=True,
        help_text=_("If known (from the operator's system or a letter): differences are shown as warnings."),
    )
    pesel = models.CharField("PESEL", max_length=11, blank=True)
    id_document = models.CharField(_("identity document (no PESEL)"), max_length=40, blank=True)
    nip = models.CharField("NIP", max_length=13, blank=True)
    regon = models.CharField("REGON", max_length=14, blank=True)
    register_number = models.CharField(_("register number (KRS/CEIDG)"), max_length=20, blank=True)
    address = models.CharField(_("address (registered seat)"), max_length=200)
    correspondence_address = models.CharField(_("correspondence address"), max_length=200, blank=True)
    installation_address = models.CharField(_("line's address (fixed numbers)"), max_length=200, blank=True)
    current_operator = models.CharField(_("current operator"), max_length=100)
    contract_end_date = models.DateField(_("old contract ends"), null=True, blank=True)
    notice = models.CharField(_("notice"), max_length=16, choices=Notice.choices, default=Notice.WITH_NOTICE)
    requested_date = models.DateField(_("requested porting date"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT, editable=False)
    submitted_on = models.DateField(_("submitted"), null=True, blank=True, editable=False)
    port_date = models.DateField(_("porting date (scheduled)"), null=True, blank=True, editable=False)
    reason = models.CharField(_("rejection or withdrawal reason"), max_length=300, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("porting request")
        verbose_name_plural = _("porting requests")

    def __str__(self) -> str:
        return f"#{self.pk} {self.subscriber_name} ({self.get_state_display()})"


class PortedNumber(models.Model):
    request = models.ForeignKey(PortingRequest, on_delete=models.CASCADE, related_name="numbers")
    number = models.ForeignKey(CompanyNumber, verbose_name=_("number"), on_delete=models.PROTECT, related_name="ports")

    class Meta:
        verbose_name = _("number to port")
        verbose_name_plural = _("numbers to port")
        constraints = [models.UniqueConstraint(fields=["request", "number"], name="one_number_once_per_request")]

    def __str__(self) -> str:
        return self.number.e164


class PortingReminder(models.Model):
    """One e-mail about one deadline of a request: sent once, so the daily run never repeats
    it (a new date, after a reschedule, is a new deadline)."""

    class Kind(models.TextChoices):
        SOON = "soon", _("coming up")
        OVERDUE = "overdue", _("overdue")

    class Deadline(models.TextChoices):  # the keys of company_numbers.porting.flow.Deadline
        DECISION = "decision", _("operator decides")
        WITHDRAWAL = "withdrawal", _("last day to withdraw")
        PORTING = "porting", _("porting date")
        ACTIVATION = "activation", _("number working here")

    request = models.ForeignKey(PortingRequest, on_delete=models.CASCADE, related_name="reminders")
    deadline = models.CharField(_("deadline"), max_length=20, choices=Deadline.choices)
    due = models.DateField(_("due"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    sent_at = models.DateTimeField(_("sent"))
    sent_to = models.TextField(_("sent to"))

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("porting reminder")
        verbose_name_plural = _("porting reminders")
        constraints = [
            models.UniqueConstraint(fields=["request", "deadline", "due", "kind"], name="one_reminder_per_deadline")
        ]

    def __str__(self) -> str:
        return f"#{self.request_id} {self.deadline} {self.due} ({self.kind})"
