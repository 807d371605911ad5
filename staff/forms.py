"""The forms of a person's own page. Each changes only that person's things, through the same
writers the admin uses (pbx/extensions.py, pbx/actions.py, pbx/callbacks.py)."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pbx.extensions import do_change_devices, do_mobile_destination, do_set_forwarding
from pbx.models import Destination, Device, Extension
from pbx.phone import InvalidPhoneNumber, to_e164

MOBILE = "mobile"
FORWARDS = ("forward_always", "forward_no_answer", "forward_unreachable", "forward_busy")
# What a person may send their own calls to: a colleague, a queue, voicemail or an outside number
# the office manager has set up (never a menu or an announcement meant for customers).
FORWARD_KINDS = (
    Destination.Kind.EXTENSION,
    Destination.Kind.QUEUE,
    Destination.Kind.VOICEMAIL,
    Destination.Kind.EXTERNAL,
)


def forward_choices(extension: Extension) -> list[tuple[str, str]]:
    choices = [("", str(_("no forwarding")))]
    if extension.mobile:
        choices.append((MOBILE, str(_("my mobile (%(number)s)") % {"number": extension.mobile})))
    allowed = Destination.objects.filter(kind__in=FORWARD_KINDS).exclude(
        kind=Destination.Kind.EXTENSION, extension=extension
    )
    if extension.mobile:
        allowed = allowed.exclude(kind=Destination.Kind.EXTERNAL, external_number=extension.mobile)
    choices += [(str(d.pk), d.name) for d in allowed.order_by("name")]
    return choices


class ForwardingForm(forms.Form):
    dnd = forms.BooleanField(
        label=_("Do not disturb"),
        required=False,
        help_text=_("My phones do not ring; queues skip me; direct calls go where 'always' says, else to voicemail."),
    )
    forward_always = forms.ChoiceField(label=_("Forward all my calls to"), required=False)
    forward_no_answer = forms.ChoiceField(
        label=_("When I do not answer, forward to"),
        required=False,
        help_text=_("Follow-me: pick your mobile, and your office phones ring first, then the mobile."),
    )
    forward_after_seconds = forms.IntegerField(label=_("after (seconds)"), min_value=5, max_value=120)
    forward_unreachable = forms.ChoiceField(label=_("When none of my phones is on, forward to"), required=False)
    forward_busy = forms.ChoiceField(
        label=_("When I am on another call, forward to"),
        required=False,
        help_text=_("Empty: a second call rings anyway."),
    )

    def __init__(self, extension: Extension, data: Any = None) -> None:
        initial = {
            "dnd": extension.dnd,
            "forward_after_seconds": extension.forward_after_seconds,
            **{name: self._choice_of(getattr(extension, name), extension) for name in FORWARDS},
        }
        super().__init__(data, initial=initial)
        self.extension = extension
        choices = forward_choices(extension)
        for name in FORWARDS:
            self.fields[name].choices = choices  # type: ignore[attr-defined]

    @staticmethod
    def _choice_of(destination: Destination | None, extension: Extension) -> str:
        if destination is None:
            return ""
        if destination.kind == Destination.Kind.EXTERNAL and extension.mobile == destination.external_number:
            return MOBILE
        return str(destination.pk)

    def save(self, actor: str) -> bool:
        """Apply the choices; False, with the reason on the form and nothing saved, when a
        forward would loop or may not go there."""
        data = self.cleaned_data
        try:
            with transaction.atomic():
                fields: dict[str, Any] = {name: self._destination(data[name], actor) for name in FORWARDS}
                do_set_forwarding(
                    self.extension,
                    actor,
                    dnd=data["dnd"],
                    forward_after_seconds=data["forward_after_seconds"],
                    **fields,
                )
        except ValidationError as exc:
            self.extension.refresh_from_db()
            self.add_error(None, exc.messages)
            return False
        return True

    def _destination(self, choice: str, actor: str) -> Destination | None:
        if not choice:
            return None
        if choice == MOBILE:
            return do_mobile_destination(self.extension, actor)
        return Destination.objects.get(pk=int(choice), kind__in=FORWARD_KINDS)


class RingOrderForm(forms.Form):
    ring_after_seconds = forms.IntegerField(label=_("rings after (s)"), min_value=0, max_value=60)

    def save(self, device: Device, actor: str) -> None:
        do_change_devices([device], actor, ring_after_seconds=self.cleaned_data["ring_after_seconds"])


class CallNumberForm(forms.Form):
    number = forms.CharField(
        label=_("Number to call"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )

    def clean_number(self) -> str:
        raw = self.cleaned_data["number"]
        try:
            return to_e164(raw)
        except InvalidPhoneNumber:
            raise ValidationError(_("'%(number)s' is not a phone number."), params={"number": raw}) from None


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
