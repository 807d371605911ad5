"""Admin hardening: two-factor login for whoever can listen to recordings, lockout after
repeated failed logins, idle sessions ending, and production settings that pass Django's own
deployment checks."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from compliance.checklist import run_checks
from compliance.models import AuditEntry

pytestmark = pytest.mark.django_db
PASSWORD = "Ola-Long-Password-1"


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def password_login(username: str, password: str = PASSWORD, address: str = "192.0.2.10") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=address)
    response = client.post("/admin/login/?next=/admin/", {"username": username, "password": password})
    assert response.status_code == 302, response.content[:500]
    return client


@pytest.fixture
def dpo() -> User:
    user = User.objects.create_user("iod", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Data protection officer"))
    return user


def test_a_listener_with_only_a_password_reaches_nothing_but_the_second_step(dpo):
    client = password_login("iod")
    for path in ("/admin/", "/admin/recordings/recording/", "/recordings/6f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e5f/audio"):
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, f"/admin/2fa/?next={path}")
    api = client.get("/api/numbers/")
    assert (api.status_code, api.json()) == (403, {"error": "Finish two-factor login in the admin first."})


def test_first_login_enrols_an_authenticator_then_every_login_asks_for_a_code(dpo):
    client = password_login("iod")
    page = client.get("/admin/2fa/?next=/admin/").content.decode()
    assert 'id="totp-qr"' in page and "<svg" in page.split('id="totp-qr"')[1] and 'id="totp-secret"' in page
    device = TOTPDevice.objects.get(user=dpo)
    assert device.confirmed is False
    wrong = client.post("/admin/2fa/?next=/admin/", {"code": "000000" if current_code(device) != "000000" else "1"})
    assert "That code is not right" in wrong.content.decode()
    assert client.get("/admin/").status_code == 302
    # Straight after a wrong code even the right one is refused for a moment (guessing is slowed).
    throttled = client.post("/admin/2fa/?next=/admin/", {"code": current_code(device)})
    assert "That code is not right" in throttled.content.decode()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=timezone.now() - timedelta(minutes=1))
    used = current_code(device)
    right = client.post("/admin/2fa/?next=/admin/", {"code": used})
    # Set up: ten recovery codes, shown this once, then on to where the person was going.
    page = right.content.decode()
    assert right.status_code == 200 and page.count("<li>") >= 10 and 'href="/admin/" id="recovery-continue"' in page
    assert "<h1>Centrala" in page or ">Centrala<" in page  # Centrala's own header, not Django's
    assert client.get("/admin/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed is True
    assert AuditEntry.objects.filter(action="security.2fa_enrolled", actor="iod").count() == 1
    # Next time: the code only, no new QR code, and a code already used is not accepted again.
    again = password_login("iod")
    page = again.get("/admin/2fa/").content.decode()
    assert 'id="totp-qr"' not in page and 'id="totp-secret"' not in page and "Type the 6-digit code" in page
    # (the code used, not the current one: 30 s after it, the current code is a new one)
    replay = again.post("/admin/2fa/", {"code": used})
    assert replay.status_code == 200 and again.get("/admin/").status_code == 302


def test_a_recovery_code_signs_in_once_when_the_phone_is_lost(dpo):
    import re

    client = password_login("iod")
    client.get("/admin/2fa/")
    device = TOTPDevice.objects.get(user=dpo)
    page = client.post("/admin/2fa/?next=/admin/", {"code": current_code(device)}).content.decode()
    codes = re.findall(r"<li>([a-z0-9]{8})</li>", page)
    assert len(codes) == 10 and len(set(codes)) == 10
    lost_phone = password_login("iod")
    used = lost_phone.post("/admin/2fa/", {"code": codes[3].upper()})  # as read off the paper
    assert (used.status_code, used["Location"]) == (302, "/admin/")
    assert lost_phone.get("/admin/").status_code == 200
    assert AuditEntry.objects.filter(action="security.2fa_recovery_code", actor="iod").count() == 1
    again = password_login("iod")
    assert "That code is not right" in again.post("/admin/2fa/", {"code": codes[3]}).content.decode()  # used up
    assert again.get("/admin/").status_code == 302


def test_an_outside_next_address_is_ignored(dpo):
    client = password_login("iod")
    client.get("/admin/2fa/")
    device = TOTPDevice.objects.get(user=dpo)
    response = client.post("/admin/2fa/?next=https://evil.example/", {"code": current_code(device)})
    page = response.content.decode()  # the recovery codes, then on to the admin, never outside
    assert 'href="/admin/" id="recovery-continue"' in page and "evil.example" not in page


def test_an_office_manager_who_cannot_listen_is_not_asked():
    user = User.objects.create_user("basia", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Office manager"))
    assert password_login("basia").get("/admin/").status_code == 200
    assert not TOTPDevice.objects.exists()


def test_the_checklist_names_listeners_until_they_enrol(dpo):
    titles = [c.title for c in run_checks()]
    assert "Can listen but has not set up two-factor login yet: iod" in titles
    TOTPDevice.objects.create(user=dpo, name="phone", confirmed=True)
    assert "Everyone who can listen has two-factor login set up" in [c.title for c in run_checks()]


def test_repeated_failed_logins_lock_the_account_out_even_with_the_right_password(dpo):
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="198.51.100.7")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        failed = client.post("/admin/login/", {"username": "iod", "password": "guess"})
        assert failed.status_code in (200, 429)
    locked = client.post("/admin/login/", {"username": "iod", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    # The same account from another address is locked as well: guessing from many places fails too.
    elsewhere = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="203.0.113.9")
    assert elsewhere.post("/admin/login/", {"username": "iod", "password": PASSWORD}).status_code == 429
    # Another person from an address with no failures is not affected.
    User.objects.create_user("basia", password=PASSWORD, is_staff=True)
    assert password_login("basia", address="192.0.2.99").get("/admin/").status_code == 200


def test_sessions_end_when_idle_and_with_the_browser():
    assert (settings.SESSION_COOKIE_AGE, settings.SESSION_SAVE_EVERY_REQUEST) == (30 * 60, True)
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    validators = [str(v["NAME"]).rsplit(".", 1)[-1] for v in settings.AUTH_PASSWORD_VALIDATORS]  # type: ignore[index]
    assert validators == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]


def test_production_settings_pass_djangos_deployment_checks():
    """DEBUG off, as a deployment runs: secure cookies, HTTPS redirect, HSTS, no warnings."""
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "x" * 20 + "-Qk3v9Zp2Lr8Ws1Yt6Nb4Mh7Jc5Gd0Fa",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ALLOWED_HOSTS": "pbx.firma.pl",
    }
    proc = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "System check identified no issues" in proc.stdout
