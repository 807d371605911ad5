"""Emergency calls: the office is told (e-mail, the admin's home page), the dialplan can place
them without the Stasis app, and each company number keeps the address the carrier needs."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from company_numbers.models import CompanyNumber
from pbx.actions import do_apply_facts
from pbx.asterisk_config import render_all
from pbx.callflow import commands as c
from pbx.callflow.emergency import EMERGENCY_NUMBERS
from pbx.callflow.vocabulary import StepKind
from pbx.extensions import do_create_extension
from security.models import EmergencyCall
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db(transaction=True)  # the e-mail goes on commit
AT = datetime(2026, 11, 23, 20, 5, tzinfo=UTC)  # 21:05 in Warsaw


@pytest.fixture(autouse=True)
def config_dir(settings, tmp_path):
    settings.ASTERISK_CONFIG_DIR = tmp_path
    settings.ARI_URL = "http://127.0.0.1:9/ari"


def emergency_call(number: str = "112") -> str:
    key = str(uuid.uuid4())
    do_apply_facts(
        [
            c.CallStarted(
                "1.1", call_key=key, at=AT, direction="outbound", caller="101", called=number, sip_call_id="x"
            ),
            c.CallStep(
                "1.1",
                call_key=key,
                at=AT,
                kind=StepKind.EMERGENCY_CALL,
                detail={"extension": "101", "number": number, "shown": "+48221234567", "over_tls": True},
            ),
        ]
    )
    return key


def test_an_emergency_call_is_kept_and_e_mailed_to_the_office_managers(manager: User):
    do_create_extension("101", "Anna Nowak")
    key = emergency_call("998")
    emergency = EmergencyCall.objects.get()
    assert (str(emergency.call_id), emergency.extension, emergency.number, emergency.shown) == (
        key,
        "101",
        "998",
        "+48221234567",
    )
    assert [m.subject for m in mail.outbox] == [
        "Centrala: połączenie alarmowe pod 998 z numeru wewnętrznego 101 Anna Nowak"
    ]
    assert mail.outbox[0].to == ["ola@firma.test"]
    body = mail.outbox[0].body
    assert "23.11.2026 21:05: numer wewnętrzny 101 (Anna Nowak) zadzwonił pod 998 (straż pożarna)" in body
    assert "Dyspozytor widział numer +48221234567" in body


def test_the_admin_home_page_shows_unseen_emergency_calls_until_marked_seen(manager: User):
    emergency_call()
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), manager)
    home = client.get("/admin/").content.decode()
    assert "Połączenie alarmowe: numer wewnętrzny 101 zadzwonił pod 112 o 23.11.2026 21:05." in home
    pk = EmergencyCall.objects.get().pk
    client.post("/admin/security/emergencycall/", {"action": "mark_seen", "_selected_action": [pk]})
    assert EmergencyCall.objects.get().seen_by == "ola"
    assert "Połączenie alarmowe" not in client.get("/admin/").content.decode()


@pytest.mark.django_db  # the roles come from migrations, which a transactional test flushes
def test_the_office_manager_role_sees_emergency_calls():
    from django.contrib.auth.models import Group

    user = User.objects.create_user("biuro", password="Long-Password-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Office manager"))
    user = User.objects.get(pk=user.pk)
    assert user.has_perm("security.view_emergencycall") and user.has_perm("security.change_emergencycall")


def test_the_dialplan_places_every_emergency_number_itself_when_the_app_cannot():
    CompanyNumber.objects.create(e164="+48221234567", label="Biuro", is_main=True)
    own = CompanyNumber.objects.create(e164="+48221234599", label="Anna")
    anna, _ = do_create_extension("101", "Anna")
    anna.caller_id = own
    anna.save()
    do_create_extension("102", "Piotr")
    files = render_all()
    dialplan = files["extensions.conf"]
    for number in EMERGENCY_NUMBERS:
        assert f"exten => {number},1," in dialplan and f"Goto(emergency-fallback,{number},1)" in dialplan
        assert f"exten => +48{number},1,Goto(from-phones,{number},1)" in dialplan
    fallback = dialplan[dialplan.index("[emergency-fallback]") :]
    assert "Dial(PJSIP/${EXTEN}@carrier,600)" in fallback and "CALLERID(all)=<${CENTRALA_CALLER_ID}>" in fallback
    caller_ids = dict(
        re.findall(
            r"^\[(\d+)\]\ntype = endpoint(?:\n.*)*?\nset_var = CENTRALA_CALLER_ID=(\S*)",
            files["pjsip.conf"],
            flags=re.M,
        )
    )
    assert caller_ids == {"101": "+48221234599", "102": "+48221234567"}


def test_a_company_number_keeps_the_address_for_emergency_services(manager: User):
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), manager)
    page = client.post(
        "/admin/numbers/companynumber/add/",
        {
            "e164": "+48221234567",
            "label": "Biuro",
            "status": "active",
            "is_main": "on",
            "emergency_address": "ul. Prosta 1, 00-001 Warszawa",
        },
    )
    assert page.status_code == 302, page.content.decode()[-2000:]
    assert CompanyNumber.objects.get().emergency_address == "ul. Prosta 1, 00-001 Warszawa"
    assert "ul. Prosta 1, 00-001 Warszawa" in client.get("/admin/numbers/companynumber/").content.decode()


def test_an_emergency_call_the_dialplan_placed_alone_reaches_the_office_through_watch_security(manager, tmp_path):
    from security.management.commands.watch_security import watch_once
    from security.seclog import LogFollower

    messages, security = tmp_path / "messages.log", tmp_path / "security.log"
    messages.write_text("[2026-11-23 21:00:00.000] NOTICE[1] old line\n")
    security.write_text("")
    followers = LogFollower(security), LogFollower(messages)
    with messages.open("a") as log:
        log.write(
            "[2026-11-23 21:05:07.123] WARNING[29785][C-00000003] Ext. 112: CENTRALA-EMERGENCY number=112 "
            "extension=101 shown=+48221234567 stasis=FAILED\n[2026-11-23 21:05:08.000] WARNING[1] other\n"
        )
    watch_once(followers[0], [], followers[1])
    emergency = EmergencyCall.objects.get()
    assert (emergency.number, emergency.extension, emergency.shown, emergency.call) == (
        "112",
        "101",
        "+48221234567",
        None,
    )
    assert emergency.at == datetime(2026, 11, 23, 20, 5, 7, 123000, tzinfo=UTC)  # Asterisk writes office time
    assert "aplikacja Stasis nie działała" in mail.outbox[0].body
    watch_once(followers[0], [], followers[1])
    assert EmergencyCall.objects.count() == 1  # read once
