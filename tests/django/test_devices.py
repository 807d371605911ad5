"""A person's other phones in the database, the admin and Asterisk's configuration: each its
own SIP login calling as the person's extension, the password shown once, at most five, cut
off alone when deactivated or deleted, and known to the call flow with when it joins in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client

from compliance.models import AuditEntry
from pbx.directory import load_directory
from pbx.extensions import MAX_DEVICES, do_add_device, do_change_devices, do_create_extension
from pbx.models import Device, Extension
from pbx.sip_credentials import SIP_REALM, sip_ha1
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db(transaction=True)  # the push runs on commit, as in production


@pytest.fixture(autouse=True)
def config_dir(settings, tmp_path: Path) -> Path:
    settings.ASTERISK_CONFIG_DIR = tmp_path
    settings.ARI_URL = "http://127.0.0.1:9/ari"  # nothing listens: the reload fails, the files are written
    return tmp_path


@pytest.fixture
def anna() -> Extension:
    return do_create_extension("101", "Anna")[0]


def section(config_dir: Path, name: str, kind: str) -> str:
    text = (config_dir / "pjsip.conf").read_text()
    match = re.search(rf"^\[{re.escape(name)}\]\ntype = {kind}\n((?:.+\n)*)", text, flags=re.M)
    return match.group(1) if match else ""


def test_a_device_has_its_own_login_and_calls_as_the_persons_extension(config_dir, anna):
    device, password = do_add_device(anna, "Softphone", actor="ola", ring_after_seconds=10)
    assert device.sip_username == "101-2" and device.sip_ha1 == sip_ha1("101-2", SIP_REALM, password)
    endpoint = section(config_dir, "101-2", "endpoint")
    assert 'callerid = "Anna" <101>' in endpoint and "transport = transport-tls" in endpoint
    assert "mailboxes = 101@centrala" in endpoint
    assert f"md5_cred = {device.sip_ha1}" in section(config_dir, "101-2-auth", "auth")
    assert "max_contacts = 1" in section(config_dir, "101-2", "aor")
    assert load_directory().people["101"].devices == (("101-2", 10),)
    assert AuditEntry.objects.filter(actor="ola", action="config.device_add").exists()


def test_a_deactivated_or_deleted_device_is_cut_off_alone(config_dir, anna):
    first, _ = do_add_device(anna, "Softphone", actor="ola")
    second, _ = do_add_device(anna, "Komórka", actor="ola")
    do_change_devices([first], "ola", active=False)
    assert section(config_dir, "101-2", "endpoint") == "" and section(config_dir, "101-3", "endpoint")
    assert section(config_dir, "101", "endpoint")  # the extension's own phone stays
    do_change_devices([second], "ola", delete=True)
    assert section(config_dir, "101-3", "endpoint") == "" and load_directory().people["101"].devices == ()


def test_at_most_five_devices_a_person_and_a_bad_name_is_refused_with_nothing_saved(anna):
    for n in range(MAX_DEVICES):
        do_add_device(anna, f"Telefon {n}", actor="ola")
    with pytest.raises(ValidationError, match="at most 5"):
        do_add_device(anna, "Szósty", actor="ola")
    with pytest.raises(ValidationError):
        do_add_device(do_create_extension("102", "Piotr")[0], 'Zły"\n[hack]', actor="ola")
    assert Device.objects.count() == MAX_DEVICES


def test_the_admin_adds_a_device_and_shows_its_password_once(config_dir, anna, manager: User):
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), manager)
    form = {"extension": anna.pk, "name": "Softphone", "kind": "softphone", "ring_after_seconds": "0", "active": "on"}
    page = client.post("/admin/pbx/device/add/", form, follow=True).content.decode()
    device = Device.objects.get()
    shown = re.search(r"SIP login 101-2, password (\w+)\.", page)
    assert shown and device.sip_ha1 == sip_ha1("101-2", SIP_REALM, shown.group(1))
    assert shown.group(1) not in client.get(f"/admin/pbx/device/{device.pk}/change/").content.decode()
    assert section(config_dir, "101-2", "endpoint")
    for n in range(MAX_DEVICES - 1):
        do_add_device(anna, f"Telefon {n}", actor="ola")
    refused = client.post("/admin/pbx/device/add/", form)
    assert refused.status_code == 200 and "at most 5 phones besides the first" in refused.content.decode()
