"""The only way staff extensions change: created, given a new SIP password, deactivated,
reactivated, deleted. Each audits itself and reaches Asterisk through `config_changed`, so a
removed person's or a leaked password's SIP login stops working whichever screen or command
made the change."""

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance.audit import do_audit
from pbx.asterisk_config import config_changed
from pbx.callflow.pin import pin_digest
from pbx.models import Destination, Device, Extension, SetupLink
from pbx.sip_credentials import SIP_REALM, generate_sip_password, sip_ha1, sip_password_problems

log = logging.getLogger(__name__)


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
        forget_setup_links(extension.pk, None)  # they hold the old password
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


def forget_setup_links(extension_id: int, device: Device | None) -> None:
    """A login's setup links (pbx/provisioning.py) stop working: its password changed, or a
    new link replaces them. The login: the extension's first phone, or `device`."""
    SetupLink.objects.filter(extension_id=extension_id, device=device).delete()


MAX_DEVICES = 5  # besides the extension's own phone


def do_add_device(extension: Extension, name: str, actor: str, **fields: Any) -> tuple[Device, str]:
    """Another phone for `extension`'s person, with its own SIP login (`<number>-<n>`) and a
    fresh strong password, returned once and never stored. ValidationError, nothing saved, on a
    bad value or past MAX_DEVICES."""
    with transaction.atomic():
        taken = set(Device.objects.filter(extension=extension).values_list("sip_username", flat=True))
        if len(taken) >= MAX_DEVICES:
            raise ValidationError(_("A person can have at most %(n)d phones besides the first.") % {"n": MAX_DEVICES})
        username = next(f"{extension.number}-{n}" for n in range(2, 100) if f"{extension.number}-{n}" not in taken)
        password = generate_sip_password()
        device = Device(
            extension=extension,
            name=name,
            sip_username=username,
            sip_ha1=sip_ha1(username, SIP_REALM, password),
            **fields,
        )
        device.full_clean()
        device.save()
        do_audit(actor, "config.device_add", f"pbx.device:{device.pk}", username=username)
        config_changed(f"device {username} added")
    return device, password


def do_set_device_password(device: Device, actor: str) -> str:
    """A new generated SIP password for `device`, returned once; the old one stops working."""
    password = generate_sip_password()
    with transaction.atomic():
        device.sip_ha1 = sip_ha1(device.sip_username, SIP_REALM, password)
        device.save(update_fields=["sip_ha1"])
        forget_setup_links(device.extension_id, device)  # they hold the old password
        do_audit(actor, "config.sip_password", f"pbx.device:{device.pk}", generated=True)
        config_changed(f"new SIP password for {device.sip_username}")
    return password


def do_change_devices(devices: Iterable[Device], actor: str, delete: bool = False, **fields: Any) -> int:
    """Change (e.g. active=False) or delete devices; each audited, Asterisk told once."""
    changed = 0
    with transaction.atomic():
        for device in devices:
            target = f"pbx.device:{device.pk}"
            if delete:
                do_audit(actor, "config.device_delete", target, username=device.sip_username)
                device.delete()
            else:
                for name, value in fields.items():
                    setattr(device, name, value)
                device.full_clean()
                device.save()
                do_audit(actor, "config.device_change", target, **{k: str(v) for k, v in fields.items()})
            changed += 1
        if changed:
            config_changed("devices changed")
    return changed


FORWARDING = (
    "dnd",
    "forward_always",
    "forward_no_answer",
    "forward_after_seconds",
    "forward_unreachable",
    "forward_busy",
)


def do_set_forwarding(extension: Extension, actor: str, **fields: Any) -> None:
    """Change a person's do-not-disturb and forwards (any of FORWARDING); ValidationError,
    nothing saved, for a forward that would go round in circles. Audited. The Stasis app reads
    it at its next configuration refresh (nothing for Asterisk's files)."""
    unknown = set(fields) - set(FORWARDING)
    if unknown:
        raise ValueError(f"not a forwarding setting: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(extension, name, value)
    extension.full_clean()
    with transaction.atomic():
        extension.save(update_fields=list(fields))
        do_audit(
            actor, "extension.forwarding", f"pbx.extension:{extension.pk}", **{k: str(v) for k, v in fields.items()}
        )


def do_mobile_destination(extension: Extension, actor: str) -> Destination:
    """The destination 'this person's own mobile', for a forward the person picks on their own
    page: an outside-number destination already ringing that mobile, else a new one (rung 25 s,
    named in the office's language). ValidationError, nothing saved, when the extension has no
    mobile or the toll-fraud guard refuses the number."""
    if not extension.mobile:
        raise ValidationError(_("No mobile number is set for you: ask the office manager to add it."))
    with transaction.atomic():
        destination, made = _reuse_or_make(
            gettext_lazy("Mobile of %(name)s (%(number)s)"),
            {"name": extension.display_name, "number": extension.number},
            kind=Destination.Kind.EXTERNAL,
            external_number=extension.mobile,
        )
        if made:
            target = f"pbx.destination:{destination.pk}"
            do_audit(actor, "config.destination_mobile", target, extension=extension.number)
    return destination


def do_link_user(extension: Extension, user: Any, actor: str) -> None:
    """Make `user` the staff member of `extension`: their own page (/me/) then shows its calls,
    voicemail and phones. Audited."""
    with transaction.atomic():
        extension.user = user
        extension.full_clean()
        extension.save(update_fields=["user"])
        do_audit(actor, "extension.user", f"pbx.extension:{extension.pk}", user=user.get_username() if user else "")


def do_phone_forward(extension: Extension, to_extension: str, to_number: str, actor: str) -> bool:
    """'Forward always' set from the phone (*72 to a colleague or an outside number) or
    switched off (*73: both empty): the destination is one already made for that colleague or
    number, else a new one named in the office's language. False, with the reason logged and
    audited, when the change may not be made (a loop, a number the guard refuses)."""
    try:
        with transaction.atomic():
            target = _forward_destination(to_extension, to_number) if (to_extension or to_number) else None
            do_set_forwarding(extension, actor, forward_always=target)
    except (ValidationError, Extension.DoesNotExist) as exc:
        log.warning("forward from phone %s to %s refused: %s", extension.number, to_extension or to_number, exc)
        do_audit(actor, "extension.forwarding_refused", f"pbx.extension:{extension.pk}", to=to_extension or to_number)
        return False
    return True


def _forward_destination(to_extension: str, to_number: str) -> Destination:
    forward_to = gettext_lazy("Forward to %(target)s")
    if to_extension:
        colleague = Extension.objects.get(number=to_extension)
        label = f"{colleague.display_name} ({colleague.number})"
        extension = {"kind": Destination.Kind.EXTENSION, "extension": colleague, "then": None}
        return _reuse_or_make(forward_to, {"target": label}, **extension)[0]
    return _reuse_or_make(forward_to, {"target": to_number}, kind=Destination.Kind.EXTERNAL, external_number=to_number)[
        0
    ]


def _reuse_or_make(name: Any, values: dict[str, str], **fields: Any) -> tuple[Destination, bool]:
    """The destination already going where `fields` say, else a new one (an outside number
    rung 25 s) named `name` (a lazy translation) % `values` in the office's language.
    (destination, whether it is new); ValidationError, nothing saved, for a target refused."""
    if existing := Destination.objects.filter(**fields).order_by("pk").first():
        return existing, False
    with translation.override(settings.LANGUAGE_CODE):
        named = str(name) % values
    destination = Destination(name=named, **fields)
    if destination.kind == Destination.Kind.EXTERNAL:
        destination.seconds = 25
    destination.full_clean()
    destination.save()
    return destination, True
