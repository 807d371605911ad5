"""The database side of a staff phone's own services: the PIN set in the admin, who may record
prompts by phone, a prompt recorded by phone saved (new, replacing, its prompt deleted
meanwhile), and voicemail opened on a phone (new first, decrypted for the call only, each fetch
audited, heard once played)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from compliance.models import AuditEntry
from pbx.actions import do_apply_facts
from pbx.callflow import commands as c
from pbx.callflow.pin import pin_matches
from pbx.directory import load_directory
from pbx.extensions import do_set_pin
from pbx.models import Call, Extension, Prompt
from pbx.prompts import audio_from_file, do_save_phone_prompt
from recordings.actions import do_erase_recording
from tests.conftest import NO_ROTA
from tests.django.test_prompts import tone
from tests.django.test_recordings import make_wav
from voicemail.actions import do_file_message
from voicemail.models import Mailbox, Message
from voicemail.phone import PLAYING, close_for_phone, open_for_phone

pytestmark = pytest.mark.django_db
KEY = "0b6f3c2e-1d2a-4c5b-9e8f-7a6b5c4d3e2f"


@pytest.fixture(autouse=True)
def sounds(settings, tmp_path: Path) -> Path:
    settings.CENTRALA_SOUNDS_DIR = tmp_path / "sounds"
    settings.ASTERISK_SOUNDS_DIR = "/srv/sounds"
    return settings.CENTRALA_SOUNDS_DIR


def person(name: str, number: str, role: str) -> Extension:
    user = User.objects.create_user(name, password=f"{name}-Long-Password-1", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return Extension.objects.create(number=number, display_name=name.title(), user=user)


def admin_for(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def extension_form(extension: Extension, **changes: str) -> dict[str, str]:
    return {
        "number": extension.number,
        "display_name": extension.display_name,
        "kind": extension.kind,
        "mobile": "",
        "caller_id": "",
        "user": str(extension.user_id or ""),
        "calling_policy": "",
        "new_sip_password": "",
        **NO_ROTA,
        **changes,
    }


def test_the_office_manager_sets_and_removes_a_pin_in_the_admin_and_never_sees_it():
    manager = person("basia", "100", "Office manager")
    anna = person("anna", "101", "Agent")
    client = admin_for(manager.user)  # type: ignore[arg-type]
    url = f"/admin/pbx/extension/{anna.pk}/change/"
    assert client.post(url, extension_form(anna, new_pin="2468")).status_code == 302
    anna.refresh_from_db()
    assert pin_matches("2468", anna.pin_digest) and "2468" not in anna.pin_digest
    assert AuditEntry.objects.filter(actor="basia", action="extension.pin_set").exists()
    page = client.get(url).content.decode()
    assert "2468" not in page and anna.pin_digest not in page
    for bad, error in [("12", "A PIN is 4 to 8 digits."), ("12ab", "A PIN is 4 to 8 digits.")]:
        refused = client.post(url, extension_form(anna, new_pin=bad))
        assert refused.status_code == 200 and error in refused.content.decode()
    both = client.post(url, extension_form(anna, new_pin="1357", clear_pin="on"))
    assert "Either type a new PIN or remove it, not both." in both.content.decode()
    anna.refresh_from_db()
    assert pin_matches("2468", anna.pin_digest)  # nothing half-written
    assert client.post(url, extension_form(anna, clear_pin="on")).status_code == 302
    anna.refresh_from_db()
    assert anna.pin_digest == ""


def test_the_call_flow_knows_each_pin_and_who_may_record_prompts():
    manager = person("basia", "100", "Office manager")
    anna = person("anna", "101", "Agent")
    do_set_pin(anna, "2468", actor="basia")
    people = load_directory().people
    assert people["100"].records_prompts and not people["101"].records_prompts
    assert pin_matches("2468", people["101"].pin) and people["100"].pin == ""
    manager.user.is_active = False  # type: ignore[union-attr]
    manager.user.save()  # type: ignore[union-attr]
    assert not load_directory().people["100"].records_prompts


def test_the_prompt_admin_shows_the_code_to_record_it_by_phone():
    manager = person("basia", "100", "Office manager")
    prompt = Prompt.objects.create(name="Powitanie", sound="hello-world")
    page = admin_for(manager.user).get(f"/admin/pbx/prompt/{prompt.pk}/change/").content.decode()  # type: ignore[arg-type]
    assert f"*96{prompt.pk}" in page


def test_a_prompt_recorded_by_phone_replaces_the_audio_or_becomes_a_new_prompt(tmp_path, settings):
    settings.LANGUAGE_CODE = "pl"
    person("basia", "100", "Office manager")
    greeting = Prompt.objects.create(name="Powitanie", sound="hello-world")
    at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    replaced = do_save_phone_prompt(audio_from_file(tone(tmp_path / "a.wav", 2.0)), greeting.pk, "100", at)
    assert replaced.pk == greeting.pk and replaced.source == Prompt.Source.PHONE and not replaced.file_missing
    assert AuditEntry.objects.filter(actor="basia", action="config.change", source="phone 100").exists()
    new = do_save_phone_prompt(audio_from_file(tone(tmp_path / "b.wav", 2.0)), None, "100", at)
    assert new.name == "Nagrane na numerze wewnętrznym 100, 01.12.2026 10:30:00"  # office time
    gone = do_save_phone_prompt(audio_from_file(tone(tmp_path / "c.wav", 2.0)), 999_999, "100", at)
    assert gone.pk not in (greeting.pk, new.pk)  # its prompt was deleted meanwhile: kept as a new one
    assert gone.name == f"{new.name} (2)"  # in the same second: a name of its own


def message_for(box: Mailbox, tmp_path: Path, name: str, heard: bool = False) -> Message:
    call = Call.objects.create(channel_id=name, direction="inbound", caller="+48601234567", started_at=timezone.now())
    recording = do_file_message(
        str(call.pk), f"{call.pk}-voicemail", "wav", make_wav(tmp_path / f"{name}.wav", 1), box.pk
    )
    message = Message.objects.get(recording=recording)
    if heard:
        Message.objects.filter(pk=message.pk).update(heard_at=timezone.now(), heard_by="x")
    return message


def test_a_phone_hears_its_boxes_new_messages_first_decrypted_only_for_the_call(tmp_path, sounds):
    anna = person("anna", "101", "Agent")
    person("piotr", "102", "Agent")
    box, other = Mailbox.objects.create(name="Biuro"), Mailbox.objects.create(name="Piotr")
    box.owners.add(anna)
    other.owners.add(Extension.objects.get(number="102"))
    old = message_for(box, tmp_path, "old", heard=True)
    first, second = message_for(box, tmp_path, "first"), message_for(box, tmp_path, "second")
    message_for(other, tmp_path, "not-hers")
    erased = message_for(box, tmp_path, "erased")
    do_erase_recording(erased.recording, actor="dpo", reason="art. 17")
    messages = open_for_phone("101", KEY)
    assert [(m.id, m.new) for m in messages] == [(second.pk, True), (first.pk, True), (old.pk, False)]
    assert messages[0].media == f"sound:/srv/sounds/{PLAYING}/{KEY}/m{second.pk}"
    played = sounds / PLAYING / KEY / f"m{second.pk}.wav"
    assert played.read_bytes()[:4] == b"RIFF"
    assert AuditEntry.objects.filter(actor="anna", action="recording.play", source="phone 101").count() == 3
    close_for_phone(KEY)
    assert not (sounds / PLAYING / KEY).exists()
    with pytest.raises(ValueError, match="not a call key"):
        open_for_phone("101", "../../etc")


def test_a_message_played_to_its_end_on_an_owners_phone_is_heard_once(tmp_path):
    anna = person("anna", "101", "Agent")
    person("piotr", "102", "Agent")
    box = Mailbox.objects.create(name="Biuro")
    box.owners.add(anna)
    message = message_for(box, tmp_path, "m")
    call = Call.objects.create(channel_id="svc", direction="internal", caller="101", started_at=timezone.now())

    def heard_on(extension: str) -> c.MessageHeard:
        return c.MessageHeard(
            "svc", call_key=str(call.pk), at=timezone.now(), message_id=message.pk, extension=extension
        )

    do_apply_facts([heard_on("102")])  # not one of the box's owners: nothing
    message.refresh_from_db()
    assert message.heard_at is None
    do_apply_facts([heard_on("101"), heard_on("101")])
    message.refresh_from_db()
    assert message.heard_by == "anna"
    assert AuditEntry.objects.filter(action="voicemail.heard", source="phone 101").count() == 1


def test_each_demo_phone_gets_a_pin_written_beside_its_password(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("load_demo", stdout=io.StringIO())
    lines = (tmp_path / "demo-phones.txt").read_text().splitlines()
    assert len(lines) == 6 and lines[3].startswith("101-2\t")  # Anna's second phone
    assert [line.split("\t")[0] for line in lines[4:]] == ["anna", "piotr"]  # their own page's logins
    for line in lines[:3]:
        number, _password, pin, _name = line.split("\t")
        assert pin_matches(pin.removeprefix("PIN "), Extension.objects.get(number=number).pin_digest)
