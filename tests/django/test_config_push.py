"""Every path that changes what Asterisk must know reaches Asterisk's files: add, edit, new
password (form and bulk action), deactivate, delete one and delete many, company numbers,
bans. Each is taken through the admin as the office manager takes it; the files are read back
from the config folder after the request."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from company_numbers.models import CompanyNumber
from compliance.models import AuditEntry
from pbx.asterisk_config import config_changed
from pbx.extensions import do_create_extension
from pbx.models import Extension
from security.actions import do_ban, do_lift_ban
from tests.conftest import NO_ROTA, signed_in

pytestmark = pytest.mark.django_db(transaction=True)  # the push runs on commit, as in production


@pytest.fixture(autouse=True)
def config_dir(settings, tmp_path) -> Path:
    settings.ASTERISK_CONFIG_DIR = tmp_path
    settings.ARI_URL = "http://127.0.0.1:9/ari"  # nothing listens: the reload fails, the files are written
    return tmp_path


@pytest.fixture
def office(manager: User) -> Client:
    return signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), manager)


@pytest.fixture
def three() -> dict[str, Extension]:
    return {n: do_create_extension(n, name)[0] for n, name in [("101", "Anna"), ("102", "Piotr"), ("103", "Ewa")]}


def pjsip(config_dir: Path) -> str:
    return (config_dir / "pjsip.conf").read_text()


def endpoints(config_dir: Path) -> set[str]:
    return set(re.findall(r"^\[(\d+)\]\ntype = endpoint", pjsip(config_dir), flags=re.M))


def credential(config_dir: Path, number: str) -> str:
    match = re.search(rf"^\[{number}-auth\]\n(?:.*\n)*?md5_cred = (\w+)", pjsip(config_dir), flags=re.M)
    assert match, f"no credential for {number}"
    return match.group(1)


def action(client: Client, name: str, *numbers: str, **extra: str) -> int:
    ids = [str(Extension.objects.get(number=n).pk) for n in numbers]
    return client.post("/admin/pbx/extension/", {"action": name, "_selected_action": ids, **extra}).status_code


def test_adding_an_extension_in_the_admin_adds_its_endpoint(office, config_dir, three):
    page = office.post("/admin/pbx/extension/add/", {"number": "104", "display_name": "Jan", "kind": "softphone"})
    assert page.status_code == 200 and 'class="setup-url"' in page.content.decode()  # the phone's setup link
    assert endpoints(config_dir) == {"101", "102", "103", "104"}


def test_a_bulk_delete_removes_every_selected_endpoint(office, config_dir, three):
    assert action(office, "delete_selected", "101", "102", post="yes") == 302
    assert endpoints(config_dir) == {"103"}
    assert set(
        AuditEntry.objects.filter(action="config.extension_delete").values_list("detail__number", flat=True)
    ) == {
        "101",
        "102",
    }


def test_deleting_one_extension_removes_its_endpoint(office, config_dir, three):
    pk = three["102"].pk
    assert office.post(f"/admin/pbx/extension/{pk}/delete/", {"post": "yes"}).status_code == 302
    assert endpoints(config_dir) == {"101", "103"}
    assert AuditEntry.objects.filter(action="config.extension_delete").count() == 1


def test_deactivating_removes_the_endpoint_and_reactivating_brings_it_back(office, config_dir, three):
    assert action(office, "deactivate", "101", "103") == 302
    assert endpoints(config_dir) == {"102"}
    assert action(office, "reactivate", "101") == 302
    assert endpoints(config_dir) == {"101", "102"}


def test_new_passwords_from_the_list_change_the_credentials_asterisk_checks(office, config_dir, three):
    config_changed("start")  # the files as they are before
    before = {n: credential(config_dir, n) for n in ("101", "102", "103")}
    assert action(office, "new_passwords", "101", "102") == 302
    assert credential(config_dir, "101") != before["101"] and credential(config_dir, "102") != before["102"]
    assert credential(config_dir, "103") == before["103"]


def test_a_new_password_typed_in_the_form_changes_the_credential(office, config_dir, three):
    config_changed("start")
    before = credential(config_dir, "101")
    form = {"number": "101", "display_name": "Anna", "kind": "softphone", "new_sip_password": "Nowe-Haslo-Anny-2026x"}
    form |= NO_ROTA
    assert office.post(f"/admin/pbx/extension/{three['101'].pk}/change/", form).status_code == 302
    assert credential(config_dir, "101") != before


def test_a_renamed_extension_shows_its_new_name(office, config_dir, three):
    form = {"number": "101", "display_name": "Anna Nowak", "kind": "softphone", **NO_ROTA}
    assert office.post(f"/admin/pbx/extension/{three['101'].pk}/change/", form).status_code == 302
    assert 'callerid = "Anna Nowak" <101>' in pjsip(config_dir)


def test_a_failed_reload_is_said_plainly_and_the_change_stands(office, config_dir, three):
    page = office.post(
        "/admin/pbx/extension/", {"action": "deactivate", "_selected_action": [three["101"].pk]}, follow=True
    )
    texts = [str(m) for m in page.context["messages"]]
    assert any(t.startswith("Saved, but Asterisk has not picked it up yet:") for t in texts), texts
    assert not any("Error" in t for t in texts), texts  # a sentence, not a library's exception
    assert Extension.objects.get(number="101").active is False


def test_a_bulk_action_pushes_the_config_once(office, config_dir, three, monkeypatch):
    pushes: list[bool] = []
    monkeypatch.setattr("pbx.asterisk_config.apply_config", lambda **kw: pushes.append(True))
    assert action(office, "new_passwords", "101", "102", "103") == 302
    assert pushes == [True]


def test_deleting_company_numbers_in_the_admin_pushes_the_config(office, config_dir, monkeypatch):
    numbers = [CompanyNumber.objects.create(e164=f"+4822123456{n}", label=f"L{n}") for n in (7, 8)]
    pushes: list[bool] = []
    monkeypatch.setattr("pbx.asterisk_config.apply_config", lambda **kw: pushes.append(True))
    ids = [str(n.pk) for n in numbers]
    page = office.post(
        "/admin/numbers/companynumber/", {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    )
    assert page.status_code == 302 and not CompanyNumber.objects.exists() and pushes == [True]
    assert AuditEntry.objects.filter(action="config.delete", target__startswith="numbers.companynumber").count() == 2


def test_a_ban_and_its_lifting_reach_pjsip(config_dir):
    ban = do_ban("203.0.113.7", "failed logins", actor="watch_security")
    assert "deny = 203.0.113.7" in pjsip(config_dir)
    do_lift_ban(ban, actor="ola")
    assert "203.0.113.7" not in pjsip(config_dir)


def test_an_inactive_extension_is_never_rung(three):
    from pbx.directory import load_directory

    Extension.objects.filter(number="102").update(active=False, mobile="+48601000102")
    assert set(load_directory().people) == {"101", "103"}


@pytest.mark.parametrize(
    ("direction", "field", "message"),
    [
        ("outbound", "destination", "Outgoing and internal calls pass no IVR destination"),
        ("internal", "destination", "Outgoing and internal calls pass no IVR destination"),
        ("internal", "company_number", "Internal calls use no company number"),
    ],
)
def test_the_admin_refuses_a_recording_rule_no_call_can_meet(office, direction, field, message):
    from compliance.models import ProcessingPurpose
    from pbx.models import Destination, Prompt
    from recordings.models import RecordingRule

    prompt = Prompt.objects.create(name="Nagrywamy", sound="conf-now-recording")
    purpose = ProcessingPurpose.objects.create(
        name="Jakość", legal_basis="6.1.f", retention_days=30, announcement=prompt, notice_text="Nagrywamy."
    )
    values = {
        "destination": Destination.objects.create(name="Reklamacje", kind="voicemail", seconds=30).pk,
        "company_number": CompanyNumber.objects.create(e164="+48221234567", label="Biuro").pk,
    }
    form = {
        "name": "Zła",
        "priority": 1,
        "direction": direction,
        "mode": "always",
        "purpose": purpose.pk,
        "objection_key": "9",
        field: values[field],
    }
    page = office.post("/admin/recordings/recordingrule/add/", form)
    assert page.status_code == 200 and message in page.content.decode()
    assert not RecordingRule.objects.exists()


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("+48701234567", "premium-rate numbers are blocked"),
        ("+447012345678", "calls to GB are not allowed"),
        ("+48801123456", "shared cost numbers are blocked"),
    ],
)
def test_forward_targets_and_plan_b_mobiles_pass_the_guard_when_saved(office, number, why, settings):
    settings.FORWARD_COUNTRIES = ["DE"]
    page = office.post(
        "/admin/pbx/destination/add/", {"name": "Komórka", "kind": "external", "external_number": number, "seconds": 30}
    )
    assert page.status_code == 200 and f"Calls cannot be forwarded there: {why}." in page.content.decode()
    page = office.post(
        "/admin/pbx/extension/add/", {"number": "104", "display_name": "Jan", "kind": "softphone", "mobile": number}
    )
    assert page.status_code == 200 and f"Calls cannot be forwarded there: {why}." in page.content.decode()
    assert not Extension.objects.filter(number="104").exists()
    ok = office.post(
        "/admin/pbx/destination/add/",
        {"name": "Niemcy", "kind": "external", "external_number": "+4915112345678", "seconds": 30},
    )
    assert ok.status_code == 302
