"""A staff member's own page (/me/): Polish by default, only their own calls, messages,
callbacks and phones; every change through the admin's writers, audited; every bad input and
every reach for somebody else's things refused with a sentence, nothing half-written."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from compliance.models import AuditEntry
from pbx.directory import load_directory
from pbx.extensions import do_add_device
from pbx.models import CallbackTask, Destination, Extension
from tests.conftest import NO_ROTA, signed_in
from tests.django.test_voicemail import a_message
from voicemail.models import Mailbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def me(firm: dict, settings) -> Client:
    """Anna (Agent, 101) on her page, with the browser's usual Polish."""
    settings.ARI_URL = "http://127.0.0.1:9/ari"  # nobody answers there: click-to-call fails plainly
    return signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), firm["anna"])


def page(client: Client) -> str:
    response = client.get("/me/")
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.content.decode()


def flash(client: Client) -> str:
    return page(client).split('<ul class="messages"', 1)[-1].split("</ul>", 1)[0]


def test_a_stranger_is_sent_to_the_staff_login_which_speaks_polish(firm):
    response = Client().get("/me/")
    assert response.status_code == 302 and response["Location"].startswith("/me/login/")
    login = Client().get("/me/login/").content.decode()
    assert "Zaloguj" in login and 'lang="pl"' in login


def test_a_staff_member_logs_in_with_the_same_account_without_being_staff_of_the_admin(firm):
    anna = firm["anna"]
    anna.is_staff = False
    anna.save()
    client = Client()
    response = client.post("/me/login/", {"username": "anna", "password": "Long-Password-123", "next": "/me/"})
    assert response.status_code == 302
    # she can hear recordings (Agent), so the second step comes first, as in the admin
    assert client.get("/me/")["Location"].startswith("/admin/2fa/")


def test_someone_without_an_extension_is_told_whom_to_ask(firm):
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), firm["ewa"])
    response = client.get("/me/")
    assert response.status_code == 403 and "kierownik" in response.content.decode()


def test_the_page_shows_her_calls_only(me, firm):
    text = page(me)
    sales, service = firm["calls"]
    assert f'id="call-{sales.pk}"' in text and f'id="call-{service.pk}"' not in text
    assert "Dostępna" in text or "Dostępny" in text or "dzwonią" in text


def test_do_not_disturb_switched_on_the_page_reaches_the_call_flow_and_the_audit_log(me):
    assert me.post("/me/dnd", {"dnd": "on"}).status_code == 302
    assert load_directory().people["101"].dnd is True
    assert AuditEntry.objects.filter(action="extension.forwarding", actor="anna").exists()
    assert "nie przeszkadzać" in flash(me).lower()
    me.post("/me/dnd", {"dnd": "off"})
    assert load_directory().people["101"].dnd is False


def forwarding(**changes: object) -> dict[str, object]:
    return {"forward_after_seconds": "20", **changes}


def test_follow_me_to_her_own_mobile_is_one_choice(me):
    Extension.objects.filter(number="101").update(mobile="+48601111222")
    response = me.post("/me/forwarding", forwarding(forward_no_answer="mobile", forward_after_seconds="15"))
    assert response.status_code == 302, response.content.decode()[:3000]
    anna = Extension.objects.get(number="101")
    assert anna.forward_no_answer is not None
    assert (anna.forward_no_answer.kind, anna.forward_no_answer.external_number) == ("external", "+48601111222")
    assert anna.forward_after_seconds == 15
    # picked again: the same destination, not a second one
    me.post("/me/forwarding", forwarding(forward_unreachable="mobile"))
    assert Destination.objects.filter(external_number="+48601111222").count() == 1


def test_she_cannot_forward_to_herself_nor_to_a_menu_nor_to_a_mobile_she_does_not_have(me):
    anna = Extension.objects.get(number="101")
    herself = Destination.objects.create(name="Anna", kind="extension", extension=anna)
    menu_like = Destination.objects.create(name="Rozłącz", kind="hangup")
    for choice in (herself.pk, menu_like.pk, "mobile", "nonsense"):
        response = me.post("/me/forwarding", forwarding(forward_always=choice))
        assert response.status_code == 400
        assert "errorlist" in response.content.decode()
    anna.refresh_from_db()
    assert anna.forward_always is None and not Destination.objects.filter(kind="external").exists()


def test_a_forward_that_loops_back_to_her_is_refused_with_a_sentence_and_nothing_saved(me, firm):
    anna = Extension.objects.get(number="101")
    piotr = Extension.objects.get(number="102")
    to_piotr = Destination.objects.create(name="Piotr", kind="extension", extension=piotr)
    to_anna = Destination.objects.create(name="Anna", kind="extension", extension=anna)
    piotr.display_name = "Piotr"
    piotr.forward_always = to_anna
    piotr.save()
    response = me.post("/me/forwarding", forwarding(forward_always=to_piotr.pk, dnd="on"))
    assert response.status_code == 400
    assert "Piotr" in response.content.decode() and "w kółko" in response.content.decode()
    anna.refresh_from_db()
    assert anna.forward_always is None and anna.dnd is False
    # and in the admin, the same sentence
    admin = signed_in(
        Client(HTTP_ACCEPT_LANGUAGE="en"), User.objects.create_superuser("ola", "o@x.pl", "Ola-Pass-123456")
    )
    answer = admin.post(
        f"/admin/pbx/extension/{anna.pk}/change/",
        {
            "number": "101",
            "display_name": "anna",
            "kind": anna.kind,
            "forward_after_seconds": "20",
            "forward_always": to_piotr.pk,
            **NO_ROTA,
        },
    )
    assert "forwards all calls back to this person" in answer.content.decode()


def test_the_ring_order_of_her_own_phones_and_not_of_anyone_elses(me):
    anna, piotr = Extension.objects.get(number="101"), Extension.objects.get(number="102")
    mine, _ = do_add_device(anna, "Komórka", "test")
    theirs, _ = do_add_device(piotr, "Laptop", "test")
    assert me.post(f"/me/devices/{mine.pk}/ring-order", {"ring_after_seconds": "10"}).status_code == 302
    mine.refresh_from_db()
    assert mine.ring_after_seconds == 10
    assert me.post(f"/me/devices/{theirs.pk}/ring-order", {"ring_after_seconds": "10"}).status_code == 404
    me.post(f"/me/devices/{mine.pk}/ring-order", {"ring_after_seconds": "-3"})
    mine.refresh_from_db()
    assert mine.ring_after_seconds == 10
    assert "101-2" in page(me) and "102-2" not in page(me)


def test_notes_on_her_own_calls_only(me, firm):
    sales, service = firm["calls"]
    assert me.post(f"/me/calls/{sales.pk}/note", {"text": "Oddzwonić w piątek"}).status_code == 302
    assert sales.notes.get().text == "Oddzwonić w piątek"
    assert me.post(f"/me/calls/{service.pk}/note", {"text": "x"}).status_code == 404
    me.post(f"/me/calls/{sales.pk}/note", {"text": ""})
    assert sales.notes.count() == 1
    assert "Oddzwonić w piątek" in page(me)


def test_click_to_call_refuses_a_bad_number_and_says_so_when_the_phone_system_is_away(me):
    me.post("/me/call", {"number": "12ab"})
    assert "12ab" in flash(me) and not CallbackTask.objects.exists()
    me.post("/me/call", {"number": "601 234 567"})
    assert "centrala nie odpowiada" in flash(me).lower() or "nie odpowiada" in flash(me).lower()
    assert not CallbackTask.objects.exists()  # nothing rang: no task left behind


def test_callbacks_of_hers_or_nobodys_are_listed_and_closed_and_others_are_not_reached(me):
    anna, piotr = Extension.objects.get(number="101"), Extension.objects.get(number="102")
    now = timezone.now()
    mine = CallbackTask.objects.create(number="+48601000001", reason="requested", requested_at=now, assigned_to=anna)
    anyone = CallbackTask.objects.create(number="+48601000002", reason="abandoned", requested_at=now)
    theirs = CallbackTask.objects.create(number="+48601000003", reason="requested", requested_at=now, assigned_to=piotr)
    text = page(me)
    assert mine.number in text and anyone.number in text and theirs.number not in text
    assert me.post(f"/me/callbacks/{mine.pk}/done").status_code == 302
    mine.refresh_from_db()
    assert mine.status == "done"
    me.post(f"/me/callbacks/{mine.pk}/done")  # twice: a sentence, not an error page
    assert "już" in flash(me)
    assert me.post(f"/me/callbacks/{theirs.pk}/done").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "open"


def test_she_hears_her_voicemail_on_the_page_and_then_it_counts_as_heard(me, tmp_path: Path):
    box = Mailbox.objects.create(name="Biuro")
    box.owners.add(Extension.objects.get(number="101"))
    mine = a_message(tmp_path, box, "vm1")
    theirs = a_message(tmp_path, Mailbox.objects.create(name="Serwis"), "vm2")
    assert mine is not None and theirs is not None
    text = page(me)
    assert f"/me/voicemail/{mine.pk}/audio" in text and f"/me/voicemail/{theirs.pk}/audio" not in text
    response = me.get(f"/me/voicemail/{mine.pk}/audio")
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    mine.refresh_from_db()
    assert mine.heard_at is not None and mine.heard_by == "anna"
    assert me.get(f"/me/voicemail/{theirs.pk}/audio").status_code == 403
    theirs.refresh_from_db()
    assert theirs.heard_at is None


def test_every_change_is_a_post(me, firm):
    sales, _ = firm["calls"]
    for url in ("/me/dnd", "/me/forwarding", "/me/call", f"/me/calls/{sales.pk}/note"):
        assert me.get(url).status_code == 405


def test_works_for_a_user_object_that_is_not_staff(firm):
    user = User.objects.get(username="piotr")
    user.is_staff = False
    user.save()
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), user)
    assert client.get("/me/").status_code == 200


def test_the_demos_anna_and_piotr_sign_in_to_their_page_with_the_password_from_the_file(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())  # again: nothing new, nobody's password changed
    logins = {
        line.split("\t")[0]: line.split("\t")[1]
        for line in (tmp_path / "demo-phones.txt").read_text().splitlines()
        if "/me/" in line
    }
    assert set(logins) == {"anna", "piotr"}
    client = Client(HTTP_ACCEPT_LANGUAGE="pl")
    response = client.post("/me/login/", {"username": "anna", "password": logins["anna"], "next": "/me/"})
    assert response.status_code == 302
    anna = User.objects.get(username="anna")
    assert Extension.objects.get(number="101").user == anna and not anna.is_staff
    assert anna.groups.filter(name="Agent").exists()
