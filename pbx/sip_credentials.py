"""SIP credentials: the digest PJSIP keeps instead of a password, strong generated passwords,
and why a password typed by hand is too weak. No database, no Asterisk: a leaf both the
config renderer and the extension actions use."""

import hashlib
import secrets
import string

from django.utils.translation import gettext as _

SIP_REALM = "centrala"


def sip_ha1(username: str, realm: str, password: str) -> str:
    """PJSIP's md5_cred: the digest of 'username:realm:password' (RFC 2617 HA1)."""
    return hashlib.md5(f"{username}:{realm}:{password}".encode(), usedforsecurity=False).hexdigest()


def generate_sip_password() -> str:
    """24 characters from an alphabet phones accept; about 140 bits."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(24))


MIN_SIP_PASSWORD = 16


def sip_password_problems(password: str, number: str) -> list[str]:
    """Why a SIP password typed by hand is too weak; empty when it is strong enough. Phones'
    passwords are guessed online by scanners all day (svcrack): length and variety matter."""
    problems = []
    if len(password) < MIN_SIP_PASSWORD:
        problems.append(
            _("at least %(min)d characters (this one has %(n)d)") % {"min": MIN_SIP_PASSWORD, "n": len(password)}
        )
    classes = sum(any(f(ch) for ch in password) for f in (str.islower, str.isupper, str.isdigit))
    if classes < 3:
        problems.append(_("lower-case letters, capitals and digits together"))
    if number and number in password:
        problems.append(_("not the extension number inside it"))
    if len(set(password)) < len(password) // 2:
        problems.append(_("not so many repeated characters"))
    if any(ch in password for ch in ";\n\r\t \"'"):
        problems.append(_("no spaces, quotes or ';'"))
    return problems
