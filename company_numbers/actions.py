"""Company numbers change only here (the API uses these; the admin has its own audited save).
Each change is audited, keeps one main number, and reaches Asterisk after commit."""

from typing import Any

from django.db import transaction

from company_numbers.models import CompanyNumber
from compliance.audit import do_audit
from pbx.asterisk_config import config_changed


def do_save_number(number: CompanyNumber, changes: dict[str, Any], actor: str, source: str = "") -> CompanyNumber:
    """Apply `changes` (validated field values) to `number` (new or existing) and save it.
    Marking a number as the main one takes the mark from whichever number had it."""
    created = number.pk is None
    for field, value in changes.items():
        setattr(number, field, value)
    with transaction.atomic():
        number.save()  # takes the main mark from another number when this one gets it
        do_audit(
            actor,
            "config.add" if created else "config.change",
            f"numbers.companynumber:{number.pk}",
            source=source,
            object=str(number),
            fields=sorted(changes),
        )
        config_changed(f"company number {number.e164} changed")
    return number


def do_delete_number(number: CompanyNumber, actor: str, source: str = "") -> None:
    """Raises ProtectedError (nothing deleted) while a porting request names the number."""
    with transaction.atomic():
        target, text = f"numbers.companynumber:{number.pk}", str(number)
        number.delete()
        do_audit(actor, "config.delete", target, source=source, object=text)
        config_changed(f"company number {text} deleted")
