"""Phones set up without typing: a softphone's one-time link (page, QR code, Linphone XML) and a
desk phone's provisioning address (Yealink, Grandstream), made from the admin, mailed in the
welcome e-mail. The password is never stored in clear; a used or expired link answers 410;
any other phone than the first to use a desk address is refused."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import timezone

from compliance.models import AuditEntry
from pbx.extensions import do_add_device, do_create_extension, do_set_extensions_active
from pbx.models import Device, Extension, SetupLink
from pbx.provisioning import do_create_setup_link
from pbx.sip_credentials import SIP_REALM, sip_ha1
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
TLS_PORT = django_settings.ASTERISK_TLS_PORT
NS = {"lp": "http://www.linphone.org/xsds/lpconfig.xsd"}


@pytest.fixture(autouse=True)
def quiet_asterisk(settings):
    settings.ARI_URL = "http://127.0.0.1:9/ari"
    settings.CENTRALA_URL = "https://pbx.firma.test"
    settings.SIP_PUBLIC_HOST = "pbx.firma.test"


@pytest.fixture
def anna() -> Extension:
    return do_create_extension("101", "Anna Nowak")[0]


def works(login: Extension | Device, password: str) -> bool:
    username = login.sip_username if isinstance(login, Device) else login.number
    login.refresh_from_db()
    return sip_ha1(username, SIP_REALM, password) == login.sip_ha1


def token_of(url: str) -> str:
    match = re.search(r"/(?:setup|provision)/([^/]+)/", url)
    assert match, url
    return match[1]


def run_action(client: Client, model: str, action: str, pks: list[int]):  # type: ignore[no-untyped-def]
    return client.post(
        f"/admin/pbx/{model}/", {"action": action, "_selected_action": [str(pk) for pk in pks]}, follow=True
    )


def test_the_office_manager_makes_a_link_and_qr_code_and_the_phone_gets_a_working_password_once(manager, anna):
    old_digest = anna.sip_ha1
    page = run_action(signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), manager), "extension", "setup_links", [anna.pk])
    text = page.content.decode()
    url = re.search(r'class="setup-url" href="([^"]+)"', text)
    assert url and url[1].startswith("https://pbx.firma.test/setup/") and "<svg" in text
    token = token_of(url[1])
    anna.refresh_from_db()
    assert anna.sip_ha1 != old_digest  # a new password: the old phone's stops working
    link = SetupLink.objects.get()
    assert token not in (link.lookup, bytes(link.sealed).hex()) and link.expires_at is not None
    # Opening the page (e.g. a mail scanner following the link) uses nothing up.
    phone = Client(HTTP_ACCEPT_LANGUAGE="pl")
    for _ in range(2):
        landing = phone.get(f"/setup/{token}/")
        assert landing.status_code == 200 and "<svg" in landing.content.decode()
        assert landing["Referrer-Policy"] == "no-referrer" and "no-store" in landing["Cache-Control"]
    # Linphone fetches its XML: one TLS account, SRTP mandatory, the password that works.
    xml = phone.get(f"/setup/{token}/linphone.xml")
    assert xml.status_code == 200
    root = ET.fromstring(xml.content)
    entry = {
        (section.get("name"), e.get("name")): e.text
        for section in root.findall("lp:section", NS)
        for e in section.findall("lp:entry", NS)
    }
    assert entry["proxy_0", "reg_proxy"] == f"<sip:pbx.firma.test:{TLS_PORT};transport=tls>"
    assert entry["sip", "media_encryption"] == "srtp" and entry["sip", "media_encryption_mandatory"] == "1"
    assert entry["auth_info_0", "username"] == "101"
    assert works(anna, entry["auth_info_0", "passwd"] or "")
    # Used: every address of the link now answers 410, with a sentence.
    for method, path in (("get", ""), ("post", ""), ("get", "linphone.xml")):
        gone = getattr(phone, method)(f"/setup/{token}/{path}")
        assert gone.status_code == 410
    assert "kierownika biura" in phone.get(f"/setup/{token}/").content.decode()
    assert AuditEntry.objects.filter(action="provisioning.opened", target=f"pbx.setuplink:{link.pk}").count() == 1


def test_the_settings_typed_by_hand_are_shown_once(anna):
    _, token = do_create_setup_link(anna, None, "app", "ola")
    shown = Client().post(f"/setup/{token}/")
    password = re.search(r'id="password">([^<]+)<', shown.content.decode())
    assert shown.status_code == 200 and password and works(anna, password[1])
    assert Client().post(f"/setup/{token}/").status_code == 410


def test_an_expired_link_a_switched_off_phone_and_a_replaced_link_are_gone_and_a_made_up_one_unknown(anna):
    _, token = do_create_setup_link(anna, None, "app", "ola")
    SetupLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Client().get(f"/setup/{token}/").status_code == 410
    _, token = do_create_setup_link(anna, None, "app", "ola")
    do_set_extensions_active([anna], False, "ola")
    assert Client().get(f"/setup/{token}/linphone.xml").status_code == 410
    do_set_extensions_active([anna], True, "ola")
    _, newer = do_create_setup_link(anna, None, "app", "ola")
    assert Client().get(f"/setup/{token}/").status_code == 404  # replaced: it no longer exists
    assert Client().get(f"/setup/{newer}/").status_code == 200
    assert Client().get("/setup/made-up-secret/").status_code == 404


def test_a_new_password_from_the_admin_ends_the_logins_links(manager, anna):
    _, token = do_create_setup_link(anna, None, "app", "ola")
    run_action(signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), manager), "extension", "new_passwords", [anna.pk])
    assert Client().get(f"/setup/{token}/").status_code == 404 and not SetupLink.objects.exists()


def test_a_second_phone_gets_its_own_login_from_its_link(manager, anna):
    device, _ = do_add_device(anna, "Komórka", "ola")
    page = run_action(signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), manager), "device", "setup_links", [device.pk])
    url = re.search(r'class="setup-url" href="([^"]+)"', page.content.decode())
    assert url
    root = ET.fromstring(Client().get(f"/setup/{token_of(url[1])}/linphone.xml").content)
    auth = {e.get("name"): e.text for e in root.find("lp:section[@name='auth_info_0']", NS) or []}
    assert auth["username"] == "101-2" and works(device, auth["passwd"] or "")


def test_a_desk_phone_fetches_its_file_at_every_boot_and_no_other_phone_may(manager, anna):
    office = signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), manager)
    page = run_action(office, "extension", "desk_provisioning", [anna.pk])
    url = re.search(r'<code class="setup-url">([^<]+)</code>', page.content.decode())
    assert url and url[1].startswith("https://pbx.firma.test/provision/")
    base = f"/provision/{token_of(url[1])}"
    common = Client().get(f"{base}/y000000000044.cfg")
    assert common.status_code == 200 and b"password" not in common.content  # no secret in the shared file
    for _ in range(2):  # every boot
        cfg = Client().get(f"{base}/001565AABBCC.cfg").content.decode()
        settings = dict(line.split(" = ", 1) for line in cfg.splitlines()[1:])
        assert settings["account.1.sip_server.1.transport_type"] == "2" and settings["account.1.srtp_encryption"] == "2"
        assert settings["account.1.sip_server.1.port"] == str(TLS_PORT) and works(anna, settings["account.1.password"])
    assert SetupLink.objects.get().mac == "001565aabbcc"
    assert Client().get(f"{base}/001565ddeeff.cfg").status_code == 403  # another phone with the address
    assert Client().get(f"{base}/cfg001565ddeeff.xml").status_code == 403
    assert Client().get(f"{base}/passwords.txt").status_code == 404
    assert Client().get(f"/setup/{token_of(url[1])}/").status_code == 404  # not a softphone's link
    assert AuditEntry.objects.filter(action="provisioning.refused").count() == 2


def test_a_grandstream_phone_reads_its_xml(anna):
    _, token = do_create_setup_link(anna, None, "desk", "ola")
    root = ET.fromstring(Client().get(f"/provision/{token}/cfg000b82123456.xml").content)
    values = {child.tag: child.text for child in root.find("config") or []}
    assert root.findtext("mac") == "000b82123456"
    shown = (values["P47"], values["P35"], values["P130"], values["P183"])
    assert shown == (f"pbx.firma.test:{TLS_PORT}", "101", "2", "2")
    assert works(anna, values["P34"] or "")
    _, app_token = do_create_setup_link(anna, None, "app", "ola")
    assert Client().get(f"/provision/{app_token}/cfg000b82123456.xml").status_code == 404


def test_a_new_person_with_an_e_mail_gets_the_welcome_with_a_link_that_holds_the_password_just_shown(manager):
    User.objects.create_user("ewa", email="ewa@firma.test")
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), manager)
    ewa = User.objects.get(username="ewa")
    form = {"number": "105", "display_name": "Ewa Lis", "kind": "softphone", "user": ewa.pk}
    response = client.post("/admin/pbx/extension/add/", form, follow=True)
    shown = re.search(r"SIP password for extension 105: (\S+)\.", response.content.decode())
    assert shown and "ewa@firma.test" in response.content.decode()
    (welcome,) = mail.outbox
    assert welcome.to == ["ewa@firma.test"] and "105" in welcome.subject
    link = re.search(r"https://pbx.firma.test/setup/[^/\s]+/", str(welcome.body))
    assert link and "https://pbx.firma.test/me/" in str(welcome.body)
    shown_page = Client().post(link[0].removeprefix("https://pbx.firma.test"))
    password = re.search(r'id="password">([^<]+)<', shown_page.content.decode())
    assert password and password[1] == shown[1]


def test_the_welcome_action_says_who_has_no_e_mail(manager, anna):
    response = run_action(signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), manager), "extension", "send_welcome", [anna.pk])
    assert "No e-mail address for: 101" in response.content.decode() and not mail.outbox
    assert not SetupLink.objects.exists()


def test_when_the_mail_server_refuses_the_welcome_nothing_changes_and_the_office_manager_is_told(
    manager, anna, monkeypatch
):
    from smtplib import SMTPException

    def refuse(*args: object, **kwargs: object) -> None:
        raise SMTPException("550 no")

    monkeypatch.setattr("pbx.provisioning.send_mail", refuse)
    anna.user = User.objects.create_user("anna", email="anna@firma.test")
    anna.save()
    digest = anna.sip_ha1
    response = run_action(signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), manager), "extension", "send_welcome", [anna.pk])
    assert "could not be sent" in response.content.decode()
    anna.refresh_from_db()
    assert anna.sip_ha1 == digest and not SetupLink.objects.exists()  # her phone keeps working


def test_a_new_extension_without_an_e_mail_shows_its_setup_link_and_qr_code_holding_the_password_shown(manager):
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), manager)
    page = client.post("/admin/pbx/extension/add/", {"number": "106", "display_name": "Jan", "kind": "softphone"})
    text = page.content.decode()
    shown = re.search(r"SIP password for extension 106: (\S+)\.", text)
    url = re.search(r'class="setup-url" href="([^"]+)"', text)
    assert page.status_code == 200 and shown and url and "<svg" in text
    revealed = Client().post(f"/setup/{token_of(url[1])}/")
    password = re.search(r'id="password">([^<]+)<', revealed.content.decode())
    assert password and password[1] == shown[1]
