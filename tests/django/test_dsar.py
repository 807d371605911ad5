"""Data-subject requests: deadlines, the export's contents, erasure that respects legal hold."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.http import StreamingHttpResponse
from django.test import Client
from django.utils import timezone

from compliance.deadlines import add_months
from compliance.dsar import do_erase_subject
from compliance.models import AuditEntry, DataSubjectRequest, ProcessingPurpose
from compliance.retention import do_set_legal_hold
from pbx.models import Call, CallbackTask, Prompt
from recordings.actions import do_ingest_recording
from recordings.crypto import RecordingUnreadable
from recordings.models import Recording
from tests.conftest import signed_in
from tests.django.test_recordings import make_wav

pytestmark = pytest.mark.django_db


def dpo(username: str) -> User:
    """Someone with the data protection officer's role (who alone may place a legal hold)."""
    user = User.objects.create_user(username, password="Long-Password-123")
    user.groups.add(Group.objects.get(name="Data protection officer"))
    return User.objects.get(pk=user.pk)


JAN = "+48601234567"


@pytest.fixture
def history(tmp_path: Path) -> dict[str, object]:
    prompt = Prompt.objects.create(name="Nagrywamy", sound="conf-now-recording")
    purpose = ProcessingPurpose.objects.create(
        name="Reklamacje",
        legal_basis="6.1.f",
        retention_days=90,
        announcement=prompt,
        notice_text="Nagrywamy reklamacje.",
    )
    now = timezone.now()
    first = Call.objects.create(channel_id="1", direction="inbound", caller=JAN, called="+48221234567", started_at=now)
    second = Call.objects.create(channel_id="2", direction="outbound", caller="101", called=JAN, started_at=now)
    Call.objects.create(
        channel_id="3", direction="inbound", caller="+48600000000", called="+48221234567", started_at=now
    )
    one = do_ingest_recording(str(first.pk), "r1", "wav", make_wav(tmp_path / "a.wav", 1), purpose_id=purpose.pk)
    two = do_ingest_recording(str(second.pk), "r2", "wav", make_wav(tmp_path / "b.wav", 2))
    CallbackTask.objects.create(call=first, number=JAN, reason="requested", requested_at=now)
    return {"recordings": [one, two], "plain": [(tmp_path / "a.wav").read_bytes(), (tmp_path / "b.wav").read_bytes()]}


@pytest.mark.parametrize(
    ("received", "extended", "due"),
    [
        (date(2026, 1, 31), False, date(2026, 2, 28)),
        (date(2026, 11, 23), False, date(2026, 12, 23)),
        (date(2026, 11, 23), True, date(2027, 2, 23)),
    ],
)
def test_the_deadline_is_one_month_or_three_when_extended(received, extended, due):
    request = DataSubjectRequest(kind="access", number=JAN, requester="Jan", received_on=received, extended=extended)
    assert request.due_on == due
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


def test_the_export_holds_decrypted_recordings_calls_callbacks_purposes_and_a_manifest(history, tmp_path, capsys):
    out = tmp_path / "jan.zip"
    call_command("dsar_export", "--number", "601 234 567", "--output", str(out), "--actor", "iod")
    assert "2 calls, 2 recordings, 1 callbacks" in capsys.readouterr().out
    archive = zipfile.ZipFile(out)
    recordings = history["recordings"]
    names = sorted(archive.namelist())
    assert names == sorted(
        [
            "calls.csv",
            "notes.csv",
            "callbacks.csv",
            "purposes.json",
            "manifest.json",
            f"recordings/{recordings[0].pk}.wav",
            f"recordings/{recordings[1].pk}.wav",
        ]
    )
    assert archive.read(f"recordings/{recordings[0].pk}.wav") == history["plain"][0]
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["number"] == JAN
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["file"])).hexdigest() == entry["sha256"]
    calls = list(csv.DictReader(io.StringIO(archive.read("calls.csv").decode())))
    # In Polish, for the person who asked: headers, outcomes in words, times in the office's zone.
    assert sorted((c["dzwoniący"], c["wybrany numer"]) for c in calls) == [
        ("+48601234567", "+48221234567"),
        ("101", JAN),
    ]
    first = next(c for c in calls if c["dzwoniący"] == "101")
    started = Call.objects.get(pk=first["połączenie"]).started_at
    assert first["rozpoczęto"] == f"{timezone.localtime(started):%Y-%m-%d %H:%M:%S}"
    assert (first["kierunek"], first["wynik"]) == ("wychodzące", "w toku")  # not "outbound", "in_progress"
    assert json.loads(archive.read("purposes.json"))["Reklamacje"]["retention_days"] == 90
    assert AuditEntry.objects.get().action == "dsar.export"


@pytest.mark.parametrize(("number", "message"), [("12", "not a valid phone number"), ("abc", "not a phone number")])
def test_a_bad_number_is_refused_and_nothing_written(tmp_path, number, message):
    out = tmp_path / "x.zip"
    with pytest.raises(CommandError, match=message):
        call_command("dsar_export", "--number", number, "--output", str(out))
    assert list(tmp_path.iterdir()) == []


def test_an_existing_output_is_never_overwritten(history, tmp_path):
    out = tmp_path / "jan.zip"
    out.write_bytes(b"earlier export")
    with pytest.raises(CommandError, match="already exists"):
        call_command("dsar_export", "--number", JAN, "--output", str(out))
    assert out.read_bytes() == b"earlier export"


def test_erasure_destroys_keys_keeps_held_recordings_and_says_why(history):
    held, erasable = history["recordings"]
    do_set_legal_hold(held, dpo("iod"), "spór sądowy")
    report = do_erase_subject(JAN, actor="iod")
    assert report.erased == 1
    assert report.kept == [(str(held.pk), "legal hold: spór sądowy (art. 17(3)(e))")]
    with pytest.raises(RecordingUnreadable):
        Recording.objects.get(pk=erasable.pk).audio()
    assert Recording.objects.get(pk=held.pk).audio() == history["plain"][0]
    assert CallbackTask.objects.get().status == "cancelled"
    assert AuditEntry.objects.filter(action="dsar.erase").get().detail == {"erased": 1, "kept": [str(held.pk)]}


def dpo_client() -> Client:
    from django.contrib.auth.models import Group

    iod = User.objects.create_user("iod-admin", password="Iod-Long-Password-1", is_staff=True)
    iod.groups.add(Group.objects.get(name="Data protection officer"))
    client = Client()
    signed_in(client, iod)
    return client


def test_the_dpo_exports_a_request_from_the_admin_as_a_zip(history):
    request = DataSubjectRequest.objects.create(
        kind="access", number=JAN, requester="Jan Kowalski", received_on=date(2026, 11, 20)
    )
    response = dpo_client().post(
        "/admin/compliance/datasubjectrequest/", {"action": "export_zip", "_selected_action": [request.pk]}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    name = f"dsar-48601234567-{timezone.localdate():%Y-%m-%d}.zip"  # no spaces, the day it was made
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert isinstance(response, StreamingHttpResponse)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[arg-type]
    recordings = sorted(n for n in archive.namelist() if n.startswith("recordings/"))
    assert sorted(archive.read(n) for n in recordings) == sorted(history["plain"])  # both, decrypted
    assert AuditEntry.objects.get(action="dsar.export").actor == "iod-admin"


def test_the_dpo_carries_out_an_erasure_from_the_admin_and_the_request_records_why(history):
    held, erasable = history["recordings"]
    do_set_legal_hold(held, dpo("prawnik"), "spór sądowy")
    request = DataSubjectRequest.objects.create(
        kind="erasure", number=JAN, requester="Jan Kowalski", received_on=date(2026, 11, 20)
    )
    access = DataSubjectRequest.objects.create(
        kind="access", number=JAN, requester="Jan", received_on=date(2026, 11, 20)
    )
    dpo_client().post(
        "/admin/compliance/datasubjectrequest/",
        {"action": "carry_out_erasure", "_selected_action": [request.pk, access.pk]},
    )
    request.refresh_from_db()
    assert request.status == "done"
    # Written in the language of the person who carried it out: the admin's default, Polish.
    assert request.outcome == (
        "Usunięto nagrań przez zniszczenie klucza: 1. Metadane połączeń zachowane (rachunkowość, art. 17 ust. 3 "
        f"lit. b). Zachowano: {held.pk}: blokada prawna: spór sądowy (art. 17 ust. 3 lit. e)"
    )
    assert DataSubjectRequest.objects.get(pk=access.pk).status == "open"  # not an erasure: untouched
    with pytest.raises(RecordingUnreadable):
        Recording.objects.get(pk=erasable.pk).audio()
    assert AuditEntry.objects.filter(action="dsar.erase").count() == 1


def test_the_dpo_records_a_request_as_the_person_gave_the_number_received_today_by_default(history):
    client = dpo_client()
    page = client.get("/admin/compliance/datasubjectrequest/add/", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert f'value="{timezone.localdate():%d.%m.%Y}"' in page  # received: today (as Polish dates are written)
    form = {
        "kind": "erasure",
        "number": "601 234 567",
        "requester": "Jan",
        "received_on": "2026-11-20",
        "status": "open",
    }
    assert client.post("/admin/compliance/datasubjectrequest/add/", form).status_code == 302
    request = DataSubjectRequest.objects.get()
    assert request.number == JAN  # every call of the number is found
    bad = client.post(
        "/admin/compliance/datasubjectrequest/add/", {**form, "number": "12 34"}, HTTP_ACCEPT_LANGUAGE="pl"
    )
    assert "nie jest numerem telefonu" in bad.content.decode()
    assert DataSubjectRequest.objects.count() == 1  # nothing half-written
    # The request's own page: its deadline, and the export and the erasure on it.
    page = client.get(f"/admin/compliance/datasubjectrequest/{request.pk}/change/").content.decode()
    assert "2026-12-20" in page and 'id="dsar-export"' in page and 'id="dsar-erase"' in page
    export = client.get(f"/admin/compliance/datasubjectrequest/{request.pk}/export/")
    assert export["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(b"".join(export.streaming_content))).namelist()  # type: ignore[attr-defined]
    assert client.get(f"/admin/compliance/datasubjectrequest/{request.pk}/erase/").status_code == 403  # POST only
    client.post(f"/admin/compliance/datasubjectrequest/{request.pk}/erase/")
    request.refresh_from_db()
    assert request.status == "done"
    assert (
        'id="dsar-erase"'
        not in client.get(f"/admin/compliance/datasubjectrequest/{request.pk}/change/").content.decode()
    )


def test_the_office_manager_has_no_request_actions():
    from django.contrib.auth.models import Group

    ola = User.objects.create_user("ola", password="Long-Password-123", is_staff=True)
    ola.groups.add(Group.objects.get(name="Office manager"))
    client = Client()
    signed_in(client, ola)
    assert client.get("/admin/compliance/datasubjectrequest/").status_code == 403
