"""Every change on the security side goes through here: toll-fraud alerts, failed SIP logins,
bans and their lifting. Bans reach Asterisk as a pjsip ACL, re-rendered and reloaded live."""

import ipaddress
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compliance.audit import do_audit
from pbx.asterisk_config import config_changed
from pbx.callflow.emergency import EMERGENCY_NUMBERS
from pbx.local_time import office_time
from pbx.models import Extension
from security.models import AllowedNetwork, EmergencyCall, SipAuthFailure, SipBan, TollFraudAlert
from security.seclog import SecurityEvent

log = logging.getLogger(__name__)


# --- toll fraud -------------------------------------------------------------------------------


def do_raise_toll_alert(call_id: Any, at: datetime, detail: dict[str, Any]) -> TollFraudAlert:
    """Store the alert the call flow raised and tell the office manager by e-mail."""
    alert = TollFraudAlert.objects.create(
        at=at,
        kind=detail.get("alert_kind", ""),
        extension=detail.get("extension", ""),
        number=detail.get("number", ""),
        country=detail.get("country", ""),
        message=detail.get("alert", ""),
        call_id=call_id,
    )
    transaction.on_commit(partial(_notify, *_toll_email(alert)))
    return alert


def do_record_emergency_call(call_id: Any, at: datetime, detail: dict[str, Any]) -> EmergencyCall:
    """Keep the emergency call for the admin's home page and e-mail the office managers: who,
    when (office time), which number, and the number the dispatcher sees."""
    emergency = EmergencyCall.objects.create(
        at=at,
        extension=detail.get("extension", ""),
        number=detail.get("number", ""),
        shown=detail.get("shown", ""),
        call_id=call_id,
    )
    person = Extension.objects.filter(number=emergency.extension).values_list("display_name", flat=True).first()
    subject, body = _emergency_email(emergency, person or "", placed_by_asterisk=call_id is None)
    transaction.on_commit(lambda: _notify(subject, body, office_manager_emails()))
    return emergency


def _toll_email(alert: TollFraudAlert) -> tuple[str, str]:
    """Subject and body, in the office's language and time: what happened, who, which number,
    and where to look; the guard's own words last, for support."""
    with translation.override(settings.LANGUAGE_CODE):
        what = alert.get_kind_display()
        if alert.country:
            what = _("%(what)s (%(country)s)") % {"what": what, "country": alert.country}
        subject = _("Centrala: %(what)s, extension %(extension)s") % {"what": what, "extension": alert.extension}
        body = _(
            "%(when)s: extension %(extension)s dialled %(number)s. %(what)s.\n\n"
            "If nobody in the office made this call, change the extension's SIP password and check its "
            "calling policy. The alert: %(link)s\n\nThe guard's own words: %(said)s\n"
        ) % {
            "when": office_time(alert.at),
            "extension": alert.extension,
            "number": alert.number,
            "what": what[:1].upper() + what[1:],
            "link": f"{settings.CENTRALA_URL}/admin/security/tollfraudalert/{alert.pk}/change/",
            "said": alert.message,
        }
    return subject, body


def _emergency_email(emergency: EmergencyCall, person: str, *, placed_by_asterisk: bool) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        who = f"{emergency.extension} {person}".strip()
        subject = _("Centrala: emergency call to %(number)s from extension %(who)s") % {
            "number": emergency.number,
            "who": who,
        }
        body = _(
            "%(when)s: extension %(extension)s (%(person)s) called %(number)s (%(service)s). "
            "The dispatcher saw the number %(shown)s and may call back on it."
        ) % {
            "when": office_time(emergency.at),
            "extension": emergency.extension,
            "person": person or _("nobody's name on it"),
            "number": emergency.number,
            "service": _(EMERGENCY_NUMBERS.get(emergency.number, emergency.number)),
            "shown": emergency.shown or _("(none)"),
        }
        if placed_by_asterisk:
            body += " " + _(
                "Asterisk placed the call itself: the Stasis app was not running, so it is not in the call history."
            )
    return subject, body


def alert_recipients() -> list[str]:
    """SECURITY_ALERT_EMAILS, else every office manager and superuser with an e-mail address."""
    if settings.SECURITY_ALERT_EMAILS:
        return list(settings.SECURITY_ALERT_EMAILS)
    return office_manager_emails()


def office_manager_emails() -> list[str]:
    """Every active office manager and superuser with an e-mail address."""
    people = User.objects.filter(is_active=True).exclude(email="")
    managers = people.filter(groups__name="Office manager") | people.filter(is_superuser=True)
    return sorted(set(managers.values_list("email", flat=True)))


def _notify(subject: str, body: str, recipients: list[str] | None = None) -> None:
    recipients = recipients if recipients is not None else alert_recipients()
    if not recipients:
        log.warning("security alert with nobody to e-mail: %s", subject)
        return
    try:
        send_mail(subject, body, None, recipients)
    except Exception:
        log.exception("could not e-mail the security alert %r", subject)


# --- failed logins and bans ---------------------------------------------------------------------


def never_banned(source: str) -> bool:
    """The allow-list: SIP_NEVER_BAN (settings), the carrier's address and AllowedNetwork rows."""
    try:
        address = ipaddress.ip_address(source)
    except ValueError:
        return False
    networks = [
        *settings.SIP_NEVER_BAN,
        settings.TRUNK_MATCH,
        *AllowedNetwork.objects.values_list("network", flat=True),
    ]
    return any(address in ipaddress.ip_network(n, strict=False) for n in networks if n)


def do_record_failures(events: Iterable[SecurityEvent], now: datetime | None = None) -> list[SipBan]:
    """Store failed logins and ban each source that failed SIP_BAN_AFTER times within
    SIP_BAN_WINDOW_MINUTES, unless it is allow-listed or already banned. Returns new bans."""
    now = now or timezone.now()
    rows = [
        SipAuthFailure(
            at=ev.at,
            source=ev.source,
            event=ev.event,
            account=ev.account[:80],
            service=ev.service,
            transport=ev.transport,
        )
        for ev in events
        if ev.failure
    ]
    if not rows:
        return []
    SipAuthFailure.objects.bulk_create(rows)
    window = now - timedelta(minutes=settings.SIP_BAN_WINDOW_MINUTES)
    counts = (
        SipAuthFailure.objects.filter(source__in={r.source for r in rows}, at__gte=window)
        .values("source")
        .annotate(n=Count("id"))
    )
    banned = set(SipBan.objects.active(now).values_list("source", flat=True))
    new = []
    for row in counts:
        if row["n"] >= settings.SIP_BAN_AFTER and row["source"] not in banned and not never_banned(row["source"]):
            with translation.override(settings.LANGUAGE_CODE):
                reason = _("%(n)d failed logins in %(minutes)d min") % {
                    "n": row["n"],
                    "minutes": settings.SIP_BAN_WINDOW_MINUTES,
                }
            new.append(do_ban(row["source"], reason, "automatic", minutes=settings.SIP_BAN_MINUTES, now=now))
    return new


def do_catch_leaked_passwords(events: Iterable[SecurityEvent], now: datetime | None = None) -> list[SipBan]:
    """A TLS phone's password that authenticates over plain SIP has leaked: its phone never
    does that. Ban the source at once (unless never-banned) and alert the office manager."""
    suspects = [ev for ev in events if ev.event == "SuccessfulAuth" and ev.transport not in ("tls", "wss")]
    tls_only = set(
        Extension.objects.filter(number__in={ev.account for ev in suspects}, plain_sip=False).values_list(
            "number", flat=True
        )
    )
    banned = set(SipBan.objects.active(now).values_list("source", flat=True))
    new = []
    for ev in suspects:
        if ev.account not in tls_only or ev.source in banned or never_banned(ev.source):
            continue
        with translation.override(settings.LANGUAGE_CODE):
            reason = _("the password of extension %(extension)s was used over plain SIP (%(transport)s)") % {
                "extension": ev.account,
                "transport": ev.transport,
            }
            subject = _("Centrala: %(reason)s") % {"reason": reason}
            body = _(
                "%(when)s: %(reason)s, from %(source)s. Its phone only ever uses TLS, so someone else has the "
                "password. The address is banned; give the extension a new SIP password."
            ) % {"when": office_time(ev.at), "reason": reason, "source": ev.source}
        new.append(do_ban(ev.source, reason, "automatic", minutes=settings.SIP_BAN_MINUTES, now=now))
        banned.add(ev.source)
        transaction.on_commit(partial(_notify, subject, body))
    return new


def do_ban(source: str, reason: str, actor: str, minutes: int | None = None, now: datetime | None = None) -> SipBan:
    """Refuse `source` from now on (None minutes: until lifted). Raises ValueError for an
    allow-listed or malformed address: banning the office itself is never what anyone meant."""
    ipaddress.ip_address(source)  # ValueError names the bad address
    if never_banned(source):
        raise ValueError(f"{source} is on the never-ban list.")
    now = now or timezone.now()
    with transaction.atomic():
        ban = SipBan.objects.create(
            source=source,
            reason=reason,
            banned_at=now,
            banned_by=actor,
            until=now + timedelta(minutes=minutes) if minutes else None,
        )
        do_audit(actor, "security.ban", f"sip:{source}", reason=reason, until=str(ban.until or ""))
        apply_bans()
    log.warning("banned SIP source %s: %s", source, reason)
    return ban


def do_lift_ban(ban: SipBan, actor: str) -> None:
    if ban.lifted_at:
        return
    with transaction.atomic():
        ban.lifted_at, ban.lifted_by = timezone.now(), actor
        ban.save(update_fields=["lifted_at", "lifted_by"])
        do_audit(actor, "security.unban", f"sip:{ban.source}")
        apply_bans()


def apply_bans() -> None:
    """Render pjsip.conf with the active bans and reload it through ARI (best effort: the next
    render carries them anyway)."""
    config_changed("the SIP ban list changed")
