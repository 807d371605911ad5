"""Live compliance checks for the data-protection officer, each with what to do about it."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone

from compliance.audit import verify_chain
from compliance.models import ProcessingPurpose
from recordings.models import Recording, RecordingRule


@dataclass(frozen=True)
class Check:
    ok: bool
    title: str
    fix: str = ""


def run_checks() -> list[Check]:
    return [
        _audit_chain(), _master_key(), _expired(), _rules_have_purposes(), _notices_published(), _listeners_2fa(),
    ]  # fmt: skip


def _audit_chain() -> Check:
    broken = verify_chain()
    if broken is None:
        return Check(True, "The audit log is intact")
    title = f"The audit log is broken at entry #{broken.seq}: {broken.reason}"
    return Check(False, title, "Treat it as a security incident: who had database access? Report under art. 33.")


def _master_key() -> Check:
    if settings.RECORDING_MASTER_KEY:
        return Check(True, "Recordings are encrypted with a master key from the environment")
    return Check(False, "Recordings are encrypted with a development key kept on this machine",
                 "Set RECORDING_MASTER_KEY (32 random bytes, base64) and keep a copy in a safe.")  # fmt: skip


def _expired() -> Check:
    count = Recording.objects.filter(expires_at__lte=timezone.now(), hold_reason="").count()
    if not count:
        return Check(True, "No recording is kept past its retention period")
    return Check(False, f"{count} recording(s) are past their retention period",
                 "Run `python manage.py apply_retention --apply` (schedule it daily).")  # fmt: skip


def _rules_have_purposes() -> Check:
    bad = list(RecordingRule.objects.filter(mode="always", purpose__isnull=True).values_list("name", flat=True))
    if not bad:
        return Check(True, "Every recording rule has a purpose, a legal basis and an announcement")
    return Check(False, f"Recording rules without a purpose: {', '.join(bad)}",
                 "Give each rule a processing purpose, or set it to never.")  # fmt: skip


def _notices_published() -> Check:
    bad = list(ProcessingPurpose.objects.filter(notice_url="").values_list("name", flat=True))
    if not bad:
        return Check(True, "Every purpose says where callers can read the full notice")
    return Check(False, f"Purposes without a published notice: {', '.join(bad)}",
                 "Publish the art. 13 notice (e.g. on the website) and give its address.")  # fmt: skip


def _listeners_2fa() -> Check:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    listeners = User.objects.filter(
        Q(is_superuser=True) | Q(groups__permissions__codename="view_recording") | Q(
            user_permissions__codename="view_recording"), is_active=True,
    ).distinct()  # fmt: skip
    enrolled = TOTPDevice.objects.filter(confirmed=True).values("user_id")
    names = sorted(listeners.exclude(pk__in=enrolled).values_list("username", flat=True))
    if not names:
        return Check(True, "Everyone who can listen has two-factor login set up")
    return Check(False, f"Can listen but has not set up two-factor login yet: {', '.join(names)}",
                 "They are asked for it at their next admin login (an authenticator app); until then they "
                 "reach no recording.")  # fmt: skip
    names = sorted(listeners.values_list("username", flat=True))
    if not names:
        return Check(True, "Nobody can listen to recordings")
    return Check(False, f"Can listen without two-factor login: {', '.join(names)}",
                 "Two-factor login for listeners arrives with the security work (issue 6); until then keep "
                 "this group small.")  # fmt: skip
