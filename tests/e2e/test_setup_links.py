"""Phones set up from their links on the real Asterisk: a softphone takes Linphone's XML from its
one-time link, a desk phone its Yealink file from its provisioning address; each logs in with
what it was given (TLS, SRTP), and a call for the person is answered on the softphone."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from pbx.asterisk_config import apply_config
from pbx.extensions import do_add_device
from pbx.models import Call, Extension
from pbx.provisioning import do_create_setup_link

from .conftest import running_stasis
from .harness import phone
from .test_devices import talk
from .test_scenarios import office, queue, registered, steps

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
NS = {"lp": "http://www.linphone.org/xsds/lpconfig.xsd"}


def linphone_settings(token: str) -> dict[tuple[str | None, str | None], str]:
    response = Client().get(f"/setup/{token}/linphone.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    return {
        (section.get("name"), entry.get("name")): entry.text or ""
        for section in root.findall("lp:section", NS)
        for entry in section.findall("lp:entry", NS)
    }


def test_phones_set_up_from_their_links_log_in_and_answer(staff, asterisk, settings):
    settings.SIP_PUBLIC_HOST = "127.0.0.1"
    anna = Extension.objects.get(number="101")
    laptop, _ = do_add_device(anna, "Laptop", actor="test")
    _, app_token = do_create_setup_link(anna, laptop, "app", "test")
    _, desk_token = do_create_setup_link(anna, None, "desk", "test")
    apply_config(asterisk.etc, reload=True)  # the new passwords, as the admin's push would

    given = linphone_settings(app_token)
    assert given["proxy_0", "reg_proxy"] == f"<sip:127.0.0.1:{settings.ASTERISK_TLS_PORT};transport=tls>"
    assert Client().get(f"/setup/{app_token}/linphone.xml").status_code == 410  # once
    desk_file = Client().get(f"/provision/{desk_token}/001565aabbcc.cfg").content.decode()
    desk = dict(line.split(" = ", 1) for line in desk_file.splitlines()[1:])

    office(queue("ring_all"))
    host, port = desk["account.1.sip_server.1.address"], int(desk["account.1.sip_server.1.port"])
    with (
        phone(
            desk["account.1.user_name"],
            desk["account.1.password"],
            answers=False,
            registered=registered,
            host=host,
            tls_port=port,
        ),
        running_stasis(),
    ):
        username, password = given["auth_info_0", "username"], given["auth_info_0", "passwd"]
        with phone(username, password, answers=True, registered=registered):
            call = talk(5183, 1)  # the desk phone only rings; the softphone answers
    assert call.outcome == Call.Outcome.ANSWERED and ("connected", {"target": "101"}) in steps(call)
