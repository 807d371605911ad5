"""Setup links: how a phone gets its settings without anyone typing a password.

A link is a random secret in a URL. Centrala keeps only its digest (to find the link) and the
SIP password sealed (AES-GCM) with a key derived from the secret: the database alone opens
nothing. A softphone's link works once and for SETUP_LINK_HOURS; a desk phone's provisioning
address works until the login gets a new password, and only for the first phone (by MAC
address) that used it. Making a link gives the login a new password: the phone set up from it
replaces whatever used the old one."""

import hashlib
import logging
import os
import secrets
from datetime import timedelta
from smtplib import SMTPException

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compliance.audit import do_audit
from pbx.extensions import do_set_device_password, do_set_sip_password, forget_setup_links
from pbx.local_time import office_time
from pbx.models import Device, Extension, SetupLink
from pbx.phone_profiles import Profile
from pbx.sip_credentials import SIP_REALM

log = logging.getLogger(__name__)


class LinkGone(Exception):
    """The link was used, has expired, or its phone was switched off: 410."""


class WrongPhone(Exception):
    """A desk phone other than the one the address was first used by: 403."""


def _lookup(token: str) -> str:
    return hashlib.sha256(b"centrala-setup-lookup:" + token.encode()).hexdigest()


def _key(token: str) -> bytes:
    return hashlib.sha256(b"centrala-setup-seal:" + token.encode()).digest()


def _seal(token: str, password: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(_key(token)).encrypt(nonce, password.encode(), _lookup(token).encode())


def _unseal(token: str, sealed: bytes) -> str:
    try:
        return AESGCM(_key(token)).decrypt(sealed[:12], sealed[12:], _lookup(token).encode()).decode()
    except InvalidTag as exc:  # not this link's secret: treat as gone, never as a server error
        raise LinkGone from exc


def do_create_setup_link(
    extension: Extension, device: Device | None, kind: str, actor: str, password: str | None = None
) -> tuple[SetupLink, str]:
    """A new link for one login (the extension's first phone, or `device`), with a new SIP
    password unless `password` (one just generated, e.g. for a new extension) is given. Any
    older link of that login stops working. Returns the link and its secret, shown once."""
    with transaction.atomic():
        if password is None:  # a new password ends the login's older links
            if device is None:
                password = do_set_sip_password(extension, None, actor)
            else:
                password = do_set_device_password(device, actor)
        else:
            forget_setup_links(extension.pk, device)
        token = secrets.token_urlsafe(32)
        hours = settings.SETUP_LINK_HOURS
        link = SetupLink.objects.create(
            extension=extension,
            device=device,
            kind=kind,
            lookup=_lookup(token),
            sealed=_seal(token, password),
            created_by=actor,
            expires_at=timezone.now() + timedelta(hours=hours) if kind == SetupLink.Kind.APP else None,
        )
        do_audit(actor, "provisioning.link_created", f"pbx.setuplink:{link.pk}", login=link.login, kind=kind)
    return link, token


def find_link(token: str) -> SetupLink:
    """The link for `token`: SetupLink.DoesNotExist (404) when there is none, LinkGone (410)
    when it was used, expired, or its login is switched off."""
    link = SetupLink.objects.select_related("extension", "device").get(lookup=_lookup(token))
    used_up = link.kind == SetupLink.Kind.APP and link.used_at is not None  # a desk phone's: every boot
    if used_up or (link.expires_at is not None and link.expires_at <= timezone.now()):
        raise LinkGone
    if not link.extension.active or (link.device is not None and not link.device.active):
        raise LinkGone
    return link


def do_open_link(link: SetupLink, token: str, source: str, mac: str = "") -> Profile:
    """The phone's settings, once: a softphone's link is used up (even by two requests at the
    same moment, only one gets them); a desk phone's address is bound to the first MAC address
    that fetched it (WrongPhone for any other). Audited with where from."""
    password = _unseal(token, bytes(link.sealed))
    if link.kind == SetupLink.Kind.DESK and mac:
        SetupLink.objects.filter(pk=link.pk, mac="").update(mac=mac)
        if SetupLink.objects.filter(pk=link.pk).values_list("mac", flat=True).get() != mac:
            do_audit("", "provisioning.refused", f"pbx.setuplink:{link.pk}", source=source, mac=mac)
            raise WrongPhone
    with transaction.atomic():
        used_now = SetupLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=timezone.now())
        if link.kind == SetupLink.Kind.APP and not used_now:
            raise LinkGone
        do_audit("", "provisioning.opened", f"pbx.setuplink:{link.pk}", source=source, login=link.login, mac=mac)
    return profile_of(link, password)


def profile_of(link: SetupLink, password: str) -> Profile:
    return Profile(
        username=link.login,
        password=password,
        display_name=link.extension.display_name,
        host=settings.SIP_PUBLIC_HOST,
        port=settings.ASTERISK_TLS_PORT,
        realm=SIP_REALM,
    )


def setup_url(token: str) -> str:
    return f"{settings.CENTRALA_URL}/setup/{token}/"


def provisioning_url(token: str) -> str:
    return f"{settings.CENTRALA_URL}/provision/{token}/"


class WelcomeNotSent(Exception):
    """The welcome e-mail could not be sent (the mail server refused or is away): nothing changed."""


def do_send_welcome(extension: Extension, actor: str, password: str | None = None) -> bool:
    """E-mail the person of `extension` a welcome with a setup link for their first phone
    (a new password unless `password` is given) and the address of their own page. False,
    nothing changed, when the extension has no person with an e-mail address; WelcomeNotSent,
    nothing changed either (the old password still works), when the mail cannot be sent."""
    user = extension.user
    if user is None or not user.email:
        return False
    try:
        with transaction.atomic():
            link, token = do_create_setup_link(extension, None, SetupLink.Kind.APP, actor, password=password)
            send_mail(*_welcome(extension, link, token), None, [user.email])
            do_audit(actor, "provisioning.welcome_sent", f"pbx.extension:{extension.pk}", to=user.email)
    except (OSError, SMTPException) as exc:
        log.warning("welcome e-mail for %s to %s not sent: %s", extension.number, user.email, exc)
        raise WelcomeNotSent(str(exc)) from exc
    return True


def _welcome(extension: Extension, link: SetupLink, token: str) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Welcome to Centrala: your phone %(number)s") % {"number": extension.number}
        body = _(
            "Hello %(name)s,\n\n"
            "your extension is %(number)s. To set up your phone, open this link on it (or scan the QR "
            "code the page shows with Linphone): %(link)s\n"
            "The link works once, until %(until)s. If it has expired, ask the office manager for a new one.\n\n"
            "Your own page (calls, voicemail, do not disturb, forwarding): %(me)s\n"
        ) % {
            "name": extension.display_name,
            "number": extension.number,
            "link": setup_url(token),
            "until": office_time(link.expires_at),
            "me": f"{settings.CENTRALA_URL}/me/",
        }
    return subject, body
