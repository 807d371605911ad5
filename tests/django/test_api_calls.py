"""The calls, callbacks, recordings and data-subject parts of the REST API, through tokens:
the same scopes as the admin (agents their calls, supervisors their teams), notes, filters,
click-to-call, logged audio fetches, and the DSAR export carrying the notes."""

from __future__ import annotations

import io
import tempfile
import zipfile

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from api.actions import do_create_token
from api.models import ApiToken
from api.scopes import SCOPES
from compliance.models import AuditEntry, DataSubjectRequest
from pbx.models import Call, CallbackTask, CallNote, Extension
from recordings.actions import do_erase_recording
from tests.django.personas import T0

pytestmark = pytest.mark.django_db
CUSTOMER = "+48601234567"


def api(user: User, scopes: list[str] | None = None) -> APIClient:
    name = f"crm-{user.username}"
    while ApiToken.objects.filter(name=name).exists():
        name += "+"
    _, token = do_create_token(name, user, scopes or list(SCOPES), actor="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")
    return client


class TestCalls:
    def test_the_office_manager_sees_every_call_and_agents_their_own(self, firm, basia):
        sales, service = firm["calls"]
        everything = api(basia).get("/api/calls/").json()
        assert {c["id"] for c in everything["results"]} == {str(sales.pk), str(service.pk)}
        assert [c["id"] for c in api(firm["anna"]).get("/api/calls/").json()["results"]] == [str(sales.pk)]
        row = next(c for c in everything["results"] if c["id"] == str(sales.pk))
        assert (row["queue"], row["staff"], row["caller"], row["outcome"]) == (
            "Sprzedaż",
            ["101"],
            CUSTOMER,
            "in_progress",
        )
        assert api(firm["anna"]).get(f"/api/calls/{service.pk}/").status_code == 404

    def test_filters_by_number_date_outcome_and_queue(self, firm, basia):
        sales, service = firm["calls"]
        Call.objects.filter(pk=service.pk).update(caller="+48600000002", outcome="missed")
        client = api(basia)

        def ids(**query: str) -> set[str]:
            return {c["id"] for c in client.get("/api/calls/", query).json()["results"]}

        assert ids(number="601 234 567") == {str(sales.pk)}
        assert ids(outcome="missed") == {str(service.pk)}
        assert ids(queue="Serwis") == {str(service.pk)}
        assert ids(since="2026-11-23", until="2026-11-23") == {str(sales.pk), str(service.pk)}
        assert ids(since="2026-11-24") == set()
        assert ids(until=(T0.replace(hour=8)).isoformat()) == set()
        bad = client.get("/api/calls/", {"outcome": "great", "since": "yesterday"})
        assert bad.status_code == 400
        assert set(bad.json()["fields"]) <= {"outcome", "since"} and bad.json()["fields"]
        assert client.get("/api/calls/", {"number": "12"}).json()["fields"] == {
            "number": ["'12' is not a valid phone number"]
        }

    def test_the_detail_has_the_timeline(self, firm, basia):
        sales, _ = firm["calls"]
        detail = api(basia).get(f"/api/calls/{sales.pk}/").json()
        assert [step["kind"] for step in detail["timeline"]] == ["started", "ring_queue", "connected"]
        assert detail["recordings"] == [str(firm["rec"]["sales"].pk)]

    def test_staff_add_notes_visible_in_the_history_and_audited(self, firm):
        sales, service = firm["calls"]
        anna = api(firm["anna"])
        added = anna.post(f"/api/calls/{sales.pk}/notes/", {"text": "  Klient chce ofertę do piątku. "}, format="json")
        assert added.status_code == 201, added.content
        assert (added.json()["author_name"], added.json()["text"]) == ("anna", "Klient chce ofertę do piątku.")
        assert [n["text"] for n in anna.get(f"/api/calls/{sales.pk}/").json()["notes"]] == [
            "Klient chce ofertę do piątku."
        ]
        assert AuditEntry.objects.filter(action="call.note", target=f"call:{sales.pk}").count() == 1
        empty = anna.post(f"/api/calls/{sales.pk}/notes/", {"text": "   "}, format="json")
        assert empty.json()["fields"] == {"text": ["Write what was agreed; an empty note says nothing."]}
        assert anna.post(f"/api/calls/{service.pk}/notes/", {"text": "x"}, format="json").status_code == 404
        read_only = api(firm["piotr"], ["calls:read"]).post(f"/api/calls/{service.pk}/notes/", {"text": "x"})
        assert read_only.json() == {"error": "This token does not have the scope calls:write."}
        assert CallNote.objects.count() == 1


class TestCallbacks:
    def test_create_list_and_complete(self, firm, basia):
        client = api(basia)
        created = client.post("/api/callbacks/", {"number": "0048 601 234 567", "assigned_to": "101"}, format="json")
        assert created.status_code == 201, created.content
        body = created.json()
        assert (body["number"], body["reason"], body["status"], body["assigned_to"]) == (
            CUSTOMER,
            "requested",
            "open",
            "101",
        )
        assert client.get("/api/callbacks/", {"status": "open"}).json()["count"] == 1
        done = client.post(f"/api/callbacks/{body['id']}/complete/")
        assert (done.status_code, done.json()["status"]) == (200, "done")
        again = client.post(f"/api/callbacks/{body['id']}/complete/")
        assert (again.status_code, again.json()) == (409, {"error": "The callback is already called back."})
        assert client.post("/api/callbacks/", {"number": "12"}, format="json").json()["fields"] == {
            "number": ["'12' is not a valid phone number"]
        }
        assert client.get("/api/callbacks/", {"status": "later"}).status_code == 400

    def test_agents_see_their_own_and_unassigned_callbacks_only(self, firm):
        anna, piotr = (Extension.objects.get(number=n) for n in ("101", "102"))
        mine = CallbackTask.objects.create(number=CUSTOMER, reason="no_answer", requested_at=T0, assigned_to=anna)
        CallbackTask.objects.create(number=CUSTOMER, reason="no_answer", requested_at=T0, assigned_to=piotr)
        free = CallbackTask.objects.create(number=CUSTOMER, reason="no_answer", requested_at=T0)
        seen = {c["id"] for c in api(firm["anna"]).get("/api/callbacks/").json()["results"]}
        assert seen == {str(mine.pk), str(free.pk)}

    def test_calling_back_when_asterisk_is_down_says_so_and_changes_nothing(self, firm, basia):
        task = CallbackTask.objects.create(
            number=CUSTOMER, reason="no_answer", requested_at=T0, assigned_to=Extension.objects.get(number="101")
        )
        response = api(basia).post(f"/api/callbacks/{task.pk}/call/", {}, format="json")
        assert (response.status_code, response.json()) == (
            503,
            {"error": "Asterisk cannot be reached; try again in a moment."},
        )
        task.refresh_from_db()
        assert task.status == "open"

    def test_click_to_call_rings_only_your_own_extension_and_leaves_nothing_when_it_fails(self, firm):
        anna = api(firm["anna"])
        other = anna.post("/api/click-to-call", {"extension": "102", "number": "601 234 567"}, format="json")
        assert (other.status_code, other.json()) == (403, {"error": "You can ring only your own extension."})
        down = anna.post("/api/click-to-call", {"extension": "101", "number": "601 234 567"}, format="json")
        assert down.status_code == 503
        unknown = anna.post("/api/click-to-call", {"extension": "999", "number": "601"}, format="json")
        assert set(unknown.json()["fields"]) == {"extension", "number"}
        assert not CallbackTask.objects.exists()

    def test_click_to_call_rings_your_extension_and_calls_the_customer_from_the_office(self, firm, fake_ari):
        response = api(firm["anna"]).post(
            "/api/click-to-call", {"extension": "101", "number": "601 234 567"}, format="json"
        )
        assert response.status_code == 202, response.content
        task = CallbackTask.objects.get()
        assert (response.json()["id"], task.status, task.number) == (str(task.pk), "dialling", CUSTOMER)
        [(query, _)] = fake_ari.sent("POST", "channels")
        assert query["endpoint"] == ["PJSIP/101"] and query["app"] == [settings.ARI_APP]
        assert query["appArgs"] == [f"callback,{task.pk},{CUSTOMER},101"]
        assert AuditEntry.objects.filter(action="callback.click_to_call", target=f"callback:{task.pk}").exists()

    def test_calling_back_rings_the_assignee_and_marks_the_task_dialling(self, firm, basia, fake_ari):
        task = CallbackTask.objects.create(
            number=CUSTOMER, reason="no_answer", requested_at=T0, assigned_to=Extension.objects.get(number="101")
        )
        response = api(basia).post(f"/api/callbacks/{task.pk}/call/", {}, format="json")
        assert (response.status_code, response.json()["status"]) == (202, "dialling")
        [(query, _)] = fake_ari.sent("POST", "channels")
        assert (query["endpoint"], query["channelId"]) == (["PJSIP/101"], [f"callback-{task.pk}-101"])


class TestRecordings:
    def test_listeners_get_metadata_and_audio_and_every_fetch_is_logged(self, firm, dpo):
        rec = firm["rec"]["sales"]
        client = api(dpo)
        listed = client.get("/api/recordings/").json()
        assert listed["count"] == 2
        meta = client.get(f"/api/recordings/{rec.pk}/").json()
        assert (meta["erased"], meta["audio"], meta["format"]) == (False, f"/api/recordings/{rec.pk}/audio/", "wav")
        audio = client.get(f"/api/recordings/{rec.pk}/audio/")
        assert audio.status_code == 200 and audio.content[:4] == b"RIFF"
        entry = AuditEntry.objects.get(action="recording.download")
        assert (entry.actor, entry.target) == ("iod (token crm-iod)", str(rec.pk))

    def test_another_team_s_recording_is_refused_and_the_attempt_logged(self, firm):
        rec = firm["rec"]["service"]
        response = api(firm["ewa"]).get(f"/api/recordings/{rec.pk}/audio/")
        assert (response.status_code, response.json()) == (403, {"error": "You may not listen to this recording."})
        assert AuditEntry.objects.filter(action="recording.refused", actor="ewa", target=str(rec.pk)).exists()
        assert not AuditEntry.objects.filter(action="recording.download").exists()
        assert api(firm["ewa"]).get(f"/api/recordings/{rec.pk}/").status_code == 404

    def test_an_erased_recording_is_gone(self, firm, dpo):
        rec = firm["rec"]["sales"]
        do_erase_recording(rec, "iod", reason="test")
        response = api(dpo).get(f"/api/recordings/{rec.pk}/audio/")
        assert (response.status_code, response.json()) == (410, {"error": "This recording was erased."})

    def test_the_office_manager_hears_nothing(self, firm, basia):
        response = api(basia).get("/api/recordings/")
        assert response.json() == {"error": "Your role does not allow this (needs recordings.view_recording)."}


class TestDataSubjectRequests:
    def test_record_export_with_notes_and_erase(self, firm, dpo, tmp_path, monkeypatch):
        watched = tmp_path / "tmp"
        watched.mkdir()
        monkeypatch.setattr(tempfile, "tempdir", str(watched))  # where the export may write
        sales, _ = firm["calls"]
        CallNote.objects.create(call=sales, author_name="anna", text="Prosi o kontakt mailowy.")
        client = api(dpo)
        created = client.post(
            "/api/data-subject-requests/",
            {"kind": "erasure", "number": "601 234 567", "requester": "Jan Klient", "received_on": "2026-11-20"},
            format="json",
        )
        assert created.status_code == 201, created.content
        assert (created.json()["number"], created.json()["due_on"]) == (CUSTOMER, "2026-12-20")
        dsr = created.json()["id"]
        export = client.get(f"/api/data-subject-requests/{dsr}/export/")
        assert export.status_code == 200 and export["Content-Type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(b"".join(export.streaming_content)))
        assert "Prosi o kontakt mailowy." in archive.read("notes.csv").decode()
        assert list(watched.iterdir()) == []  # no decrypted copy outlives the download (or a later erasure)
        erased = client.post(f"/api/data-subject-requests/{dsr}/erase/")
        assert (erased.status_code, erased.json()["status"]) == (200, "done")
        assert erased.json()["outcome"] == (
            "2 recording(s) erased by key destruction. Call metadata kept (accounting, art. 17(3)(b))."
        )
        twice = client.post(f"/api/data-subject-requests/{dsr}/erase/")
        assert twice.status_code == 409
        assert DataSubjectRequest.objects.get().status == "done"

    def test_agents_have_no_access(self, firm):
        response = api(firm["anna"]).get("/api/data-subject-requests/")
        assert response.status_code == 403


def test_groups_exist():
    assert Group.objects.filter(name="Agent").exists()


def test_a_note_written_in_the_admin_or_through_the_api_leaves_the_same_audit_entry(firm, manager):
    from django.test import Client

    from tests.conftest import signed_in

    sales, _ = firm["calls"]
    api(manager).post(f"/api/calls/{sales.pk}/notes/", {"text": "z API"}, format="json")
    admin = signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), manager)
    form = {
        "notes-TOTAL_FORMS": "1",
        "notes-INITIAL_FORMS": "0",
        "notes-0-text": "z panelu",
        "recordings-TOTAL_FORMS": "0",
        "recordings-INITIAL_FORMS": "0",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }
    admin.post(f"/admin/pbx/call/{sales.pk}/change/", form)
    notes = list(CallNote.objects.filter(call=sales).order_by("created_at").values_list("text", "author_name"))
    entries = list(AuditEntry.objects.filter(action="call.note").values_list("actor", "target"))
    assert notes[-2:] == [("z API", "ola"), ("z panelu", "ola")]
    assert entries[-2:] == [("ola", f"call:{sales.pk}")] * 2
