"""Live compliance checks for the data-protection officer, each with what to do about it."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.audit import verify_chain
from compliance.models import ProcessingPurpose
from pbx.models import Prompt
from recordings.models import Recording, RecordingRule


@dataclass(frozen=True)
class Check:
    """`link`: the screen where it is fixed. `server`: the fix is the IT person's, on the
    server (the admin cannot do it); `fix` then says what to ask them for."""

    ok: bool
    title: str
    fix: str = ""
    link: str = ""
    server: bool = False


def run_checks() -> list[Check]:
    return [
        _audit_chain(),
        _master_key(),
        _expired(),
        _rules_have_purposes(),
        _notices_published(),
        _listeners_2fa(),
        _prompts_present(),
    ]


def _audit_chain() -> Check:
    broken = verify_chain()
    if broken is None:
        return Check(True, _("The audit log is intact"))
    title = _("The audit log is broken at entry #%(seq)s: %(reason)s") % {"seq": broken.seq, "reason": broken.reason}
    return Check(
        False,
        title,
        _(
            "Treat it as a security incident: ask the IT person who had access to the database, and report it "
            "under art. 33 if personal data may have been changed."
        ),
        link=reverse("admin:compliance_auditentry_changelist"),
        server=True,
    )


def _master_key() -> Check:
    if settings.RECORDING_MASTER_KEY:
        return Check(True, _("Recordings are encrypted with a master key from the environment"))
    return Check(
        False,
        _("Recordings are encrypted with a development key kept on this machine"),
        _(
            "Ask the IT person to set RECORDING_MASTER_KEY on the server (32 random bytes, base64; "
            "docs/deployment.md) and to keep a copy in a safe: without it the recordings cannot be opened."
        ),
        server=True,
    )


def _expired() -> Check:
    count = Recording.objects.filter(expires_at__lte=timezone.now(), hold_reason="").count()
    if not count:
        return Check(True, _("No recording is kept past its retention period"))
    return Check(
        False,
        _("%(n)d recording(s) are past their retention period") % {"n": count},
        _(
            "Ask the IT person to run the daily retention job on the server (`python manage.py apply_retention "
            "--apply`, scheduled every night); recordings on legal hold are kept."
        ),
        link=reverse("admin:recordings_recording_changelist"),
        server=True,
    )


def _rules_have_purposes() -> Check:
    bad = list(RecordingRule.objects.filter(mode="always", purpose__isnull=True).values_list("name", flat=True))
    if not bad:
        return Check(True, _("Every recording rule has a purpose, a legal basis and an announcement"))
    return Check(
        False,
        _("Recording rules without a purpose: %(names)s") % {"names": ", ".join(bad)},
        _("Give each rule a processing purpose, or set it to never."),
        link=reverse("admin:recordings_recordingrule_changelist"),
    )


def _notices_published() -> Check:
    bad = list(ProcessingPurpose.objects.filter(notice_url="").values_list("name", flat=True))
    if not bad:
        return Check(True, _("Every purpose says where callers can read the full notice"))
    return Check(
        False,
        _("Purposes without a published notice: %(names)s") % {"names": ", ".join(bad)},
        _("Publish the art. 13 notice (e.g. on the website) and give its address."),
        link=reverse("admin:compliance_processingpurpose_changelist"),
    )


def _listeners_2fa() -> Check:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    listeners = User.objects.filter(
        Q(is_superuser=True)
        | Q(groups__permissions__codename="view_recording")
        | Q(user_permissions__codename="view_recording"),
        is_active=True,
    ).distinct()
    enrolled = TOTPDevice.objects.filter(confirmed=True).values("user_id")
    names = sorted(listeners.exclude(pk__in=enrolled).values_list("username", flat=True))
    if not names:
        return Check(True, _("Everyone who can listen has two-factor login set up"))
    title = _("Can listen but has not set up two-factor login yet: %(names)s") % {"names": ", ".join(names)}
    return Check(
        False,
        title,
        _(
            "They are asked for it at their next admin login (an authenticator app); until then they "
            "reach no recording."
        ),
        link=reverse("admin:auth_user_changelist"),
    )


def _prompts_present() -> Check:
    """A prompt whose file is gone may be a recording notice callers no longer hear."""
    missing = [p.name for p in Prompt.objects.exclude(source=Prompt.Source.STOCK) if p.file_missing]
    if not missing:
        return Check(True, _("Every prompt the office recorded has its sound file"))
    return Check(
        False,
        _("Prompts without their sound file: %(names)s") % {"names": ", ".join(missing)},
        _("Callers hear a general greeting instead, so a recording notice among them is not heard. Upload them again."),
        link=reverse("admin:pbx_prompt_changelist"),
    )
