"""The office manager's admin: pages open, extensions show their password once, history is
read-only."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from company_numbers.models import CompanyNumber
from compliance.models import AuditEntry
from pbx.models import Call, CallEvent, Extension
from pbx.sip_credentials import sip_ha1
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(manager: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    signed_in(client, manager)
    return client


@pytest.fixture(autouse=True)
def config_dir(settings, tmp_path):
    settings.ASTERISK_CONFIG_DIR = tmp_path
    settings.ARI_URL = "http://127.0.0.1:9/ari"  # nothing listens: reload must fail gracefully


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/pbx/call/",
        "/admin/pbx/extension/",
        "/admin/pbx/extension/add/",
        "/admin/pbx/prompt/",
        "/admin/numbers/companynumber/",
        "/admin/numbers/companynumber/add/",
        "/admin/recordings/recording/",
    ],
)
def test_admin_pages_open(client_for: Client, url: str, message_line: CompanyNumber):
    assert client_for.get(url).status_code == 200


@pytest.mark.django_db(transaction=True)  # the config push runs on commit, as in production
def test_adding_an_extension_shows_its_password_once_and_stores_only_the_digest(client_for: Client, tmp_path):
    response = client_for.post(
        "/admin/pbx/extension/add/", {"number": "105", "display_name": "Ewa", "kind": "softphone"}, follow=True
    )
    text = response.content.decode()
    [password] = re.findall(r"SIP password for extension 105: ([A-Za-z0-9]{24})\.", text)
    extension = Extension.objects.get(number="105")
    assert extension.sip_ha1 == sip_ha1("105", "centrala", password)
    # Config was rendered at once; Asterisk was unreachable, and the manager is told so.
    assert "md5_cred = " + extension.sip_ha1 in (tmp_path / "pjsip.conf").read_text()
    assert "Asterisk has not picked it up yet" in text
    assert password not in client_for.get(f"/admin/pbx/extension/{extension.pk}/change/").content.decode()


def test_a_bad_extension_number_is_refused_with_the_reason(client_for: Client):
    response = client_for.post("/admin/pbx/extension/add/", {"number": "0", "display_name": "X", "kind": "desk"})
    assert response.status_code == 200
    assert "does not start with 0" in response.content.decode()
    assert not Extension.objects.exists()


def test_a_badly_written_company_number_is_refused_and_nothing_saved(client_for: Client, greeting):
    response = client_for.post("/admin/numbers/companynumber/add/", {"e164": "22 123", "label": "X"})
    assert response.status_code == 200
    assert "22 123 is not a phone number. Write it as you would dial it" in response.content.decode()
    assert not CompanyNumber.objects.exists()


def test_a_polish_number_is_stored_in_e164(client_for: Client, greeting):
    client_for.post(
        "/admin/numbers/companynumber/add/", {"e164": "0048 22 123-45-67", "label": "Biuro", "status": "active"}
    )
    number = CompanyNumber.objects.get()
    assert (number.e164, number.kind, number.status) == ("+48221234567", "geographic", "active")


def test_marking_a_main_number_in_the_admin_takes_the_mark_from_the_old_one(client_for: Client, greeting):
    old = CompanyNumber.objects.create(e164="+48221234567", label="Biuro", is_main=True)
    response = client_for.post(
        "/admin/numbers/companynumber/add/",
        {"e164": "22 765 43 21", "label": "Nowy", "status": "active", "is_main": "on"},
        follow=True,
    )
    assert "+48221234567 Biuro is no longer the main number: +48227654321 Nowy is." in response.content.decode()
    assert list(CompanyNumber.objects.filter(is_main=True).values_list("e164", flat=True)) == ["+48227654321"]
    old.refresh_from_db()
    assert old.is_main is False


def test_the_database_itself_holds_one_main_number_at_most():
    from django.db import IntegrityError, transaction

    first = CompanyNumber.objects.create(e164="+48221234567", is_main=True)
    CompanyNumber.objects.create(e164="+48227654321")
    with pytest.raises(IntegrityError, match="one_main_number"), transaction.atomic():
        CompanyNumber.objects.exclude(pk=first.pk).update(is_main=True)  # around save(), as raw SQL would


def test_the_call_historys_years_come_from_the_first_and_last_call_not_from_every_call(client_for: Client):
    from datetime import datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for year in (2024, 2026):
        Call.objects.create(
            channel_id=f"y{year}",
            direction="inbound",
            caller="+48601234567",
            called="+48221234567",
            started_at=timezone.make_aware(datetime(year, 6, 1, 12)),
        )
    with CaptureQueriesContext(connection) as queries:
        page = client_for.get("/admin/pbx/call/").content.decode()
    years = re.findall(r"started_at__year=(\d{4})", page)
    assert sorted(set(years)) == ["2024", "2025", "2026"]
    assert not [q["sql"] for q in queries.captured_queries if "DATE_TRUNC" in q["sql"]]  # no scan of every call
    months = client_for.get("/admin/pbx/call/?started_at__year=2026").content.decode()
    assert "started_at__month=6" in months  # below a year, Django's own drill-down


def test_call_history_shows_the_timeline_and_cannot_be_edited(client_for: Client):
    call = Call.objects.create(
        channel_id="1.1", direction="inbound", caller="+48601234567", called="+48221234567", started_at=timezone.now()
    )
    CallEvent.objects.create(call=call, at=timezone.now(), kind="greeting", detail={"media": "sound:hello-world"})
    page = client_for.get(f"/admin/pbx/call/{call.pk}/change/").content.decode()
    assert "+48601234567" in page and "greeting" in page and "sound:hello-world" in page
    assert client_for.get("/admin/pbx/call/add/").status_code == 403
    assert 'name="caller"' not in page and 'name="outcome"' not in page  # no field of the call is editable
    client_for.post(f"/admin/pbx/call/{call.pk}/change/", {"caller": "+48000000000"})
    call.refresh_from_db()
    assert call.caller == "+48601234567"


def test_staff_add_a_note_to_a_call_in_the_admin_and_cannot_edit_it_later(client_for: Client):
    call = Call.objects.create(
        channel_id="1.2", direction="inbound", caller="+48601234567", called="+48221234567", started_at=timezone.now()
    )
    url = f"/admin/pbx/call/{call.pk}/change/"
    form = {
        "notes-TOTAL_FORMS": "1",
        "notes-INITIAL_FORMS": "0",
        "notes-MIN_NUM_FORMS": "0",
        "notes-MAX_NUM_FORMS": "1000",
        "notes-0-text": "Oddzwonić w poniedziałek z wyceną.",
        "notes-0-call": str(call.pk),
        "_continue": "1",
    }
    for inline in ("recordings", "events"):  # the read-only inlines' management forms, as the page sends them
        form |= {
            f"{inline}-TOTAL_FORMS": "0",
            f"{inline}-INITIAL_FORMS": "0",
            f"{inline}-MIN_NUM_FORMS": "0",
            f"{inline}-MAX_NUM_FORMS": "0",
        }
    response = client_for.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    note = call.notes.get()
    assert (note.text, note.author_name) == ("Oddzwonić w poniedziałek z wyceną.", "ola")
    assert AuditEntry.objects.filter(action="call.note", target=f"call:{call.pk}").exists()
    page = client_for.get(url).content.decode()
    assert "Oddzwonić w poniedziałek z wyceną." in page and 'name="notes-0-text"' not in page


def test_the_call_history_finds_a_number_written_any_usual_way(client_for: Client):
    mine = Call.objects.create(
        channel_id="2.1", direction="inbound", caller="+48601234567", called="+48221234567", started_at=timezone.now()
    )
    Call.objects.create(
        channel_id="2.2", direction="inbound", caller="+48601234568", called="+48221234567", started_at=timezone.now()
    )
    page = client_for.get("/admin/pbx/call/", {"q": "0048 601 234 567"}).content.decode()
    assert f"/admin/pbx/call/{mine.pk}/change/" in page and "+48601234568" not in page
    other = client_for.get("/admin/pbx/call/", {"q": "2.2"}).content.decode()  # not a number: the usual search
    assert "+48601234568" in other
