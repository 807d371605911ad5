"""The only way staff extensions change: created, given a new SIP password, deactivated,
reactivated, deleted. Each audits itself and reaches Asterisk through `config_changed`, so a
removed person's or a leaked password's SIP login stops working whichever screen or command
made the change."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from compliance.audit import do_audit
from pbx.asterisk_config import config_changed
from pbx.callflow.pin import pin_digest
from pbx.models import Extension
from pbx.sip_credentials import SIP_REALM, generate_sip_password, sip_ha1, sip_password_problems


def do_create_extension(number: str, display_name: str, actor: str = "", **fields: Any) -> tuple[Extension, str]:
    """Create an extension (with any other of its fields) and a fresh strong SIP password;
    return the password once, never store it. ValidationError, nothing saved, on a bad value."""
    password = generate_sip_password()
    extension = Extension(
        number=number, display_name=display_name, sip_ha1=sip_ha1(number, SIP_REALM, password), **fields
    )
    extension.full_clean()
    with transaction.atomic():
        extension.save()
        if actor:
            do_audit(actor, "config.extension_add", f"pbx.extension:{extension.pk}", number=number)
        config_changed(f"extension {number} added")
    return extension, password


def do_set_sip_password(extension: Extension, password: str | None, actor: str) -> str:
    """A new SIP password for `extension`: the one given (refused with ValueError naming every
    weakness) or a generated one. Returns it; only its digest is kept. The old password stops
    working once Asterisk has reloaded (right after the commit)."""
    generated = password is None
    if password is None:
        password = generate_sip_password()
    elif problems := sip_password_problems(password, extension.number):
        raise ValueError(_("The SIP password is too weak; it needs %(p)s.") % {"p": "; ".join(problems)})
    extension.sip_ha1 = sip_ha1(extension.number, SIP_REALM, password)
    with transaction.atomic():
        extension.save(update_fields=["sip_ha1"])
        do_audit(actor, "config.sip_password", f"pbx.extension:{extension.pk}", generated=generated)
        config_changed(f"new SIP password for {extension.number}")
    return password


def do_set_extensions_active(extensions: Iterable[Extension], active: bool, actor: str) -> int:
    """Deactivate (or reactivate) extensions: an inactive one cannot log in, is never rung (not
    even its mobile in plan B) and keeps its history. Returns how many changed."""
    changed = 0
    with transaction.atomic():
        for extension in extensions:
            if extension.active == active:
                continue
            extension.active = active
            extension.save(update_fields=["active"])
            do_audit(actor, "config.extension_active", f"pbx.extension:{extension.pk}", active=active)
            changed += 1
        if changed:
            config_changed("extensions activated" if active else "extensions deactivated")
    return changed


def do_delete_extensions(extensions: Iterable[Extension], actor: str) -> int:
    """Delete extensions (their queue places and duty slots with them; calls keep their
    history). Their SIP logins stop working once Asterisk has reloaded. Returns how many."""
    deleted = 0
    with transaction.atomic():
        for extension in extensions:
            do_audit(actor, "config.extension_delete", f"pbx.extension:{extension.pk}", number=extension.number)
            extension.delete()
            deleted += 1
        if deleted:
            config_changed("extensions deleted")
    return deleted


def phone_actor(extension: str) -> str:
    """Who acts from a staff phone, for the audit log: its staff member, or the extension."""
    user = Extension.objects.filter(number=extension).values_list("user__username", flat=True).first()
    return user or f"ext. {extension}"


def do_set_pin(extension: Extension, pin: str, actor: str) -> None:
    """Set (or, with "", clear) the PIN the phone's own services ask for; ValueError names a
    PIN that is not 4 to 8 digits. Audited, never logged."""
    with transaction.atomic():
        extension.pin_digest = pin_digest(pin) if pin else ""
        extension.save(update_fields=["pin_digest"])
        do_audit(actor, "extension.pin_set" if pin else "extension.pin_cleared", f"pbx.extension:{extension.pk}")
