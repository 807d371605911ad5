"""A model field for phone numbers: accepts how people write them, stores E.164."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from pbx.phone import InvalidPhoneNumber, to_e164


class E164Field(models.CharField):
    """'0048 22 123-45-67', '22 123 45 67' and '+48221234567' all store as '+48221234567'.

    An invalid number fails validation with a message naming what was entered.
    """

    description = _("Phone number (E.164)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 16)
        super().__init__(*args, **kwargs)

    def formfield(self, *args: Any, **kwargs: Any) -> Any:
        # People type spaces, dashes and 0048: allow more than the 16 characters stored.
        return super().formfield(*args, **{"max_length": 32, **kwargs})

    def to_python(self, value: Any) -> str | None:
        value = super().to_python(value)
        if not value:
            return value
        try:
            return to_e164(value)
        except InvalidPhoneNumber as exc:
            # in the office's words; the library's own reason stays in the log of the exception
            raise ValidationError(
                _("%(number)s is not a phone number. Write it as you would dial it, e.g. 22 123 45 67 or 601 234 567."),
                code="invalid_phone_number",
                params={"number": value},
            ) from exc
