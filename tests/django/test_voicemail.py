"""Voicemail that reaches people: a message goes into its box with the box's purpose, its owners
get an e-mail (once), a webhook fires, and the people it was left for (owners, whoever calls the
caller back) may hear it, which marks it heard; nobody else may."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.test import Client
from django.utils import timezone

from api.models import WebhookDelivery, WebhookEndpoint
from compliance.models import AuditEntry, ProcessingPurpose
from pbx.actions import find_orphan_recordings
from pbx.directory import load_directory
from pbx.models import Call, CallbackTask, CallEvent, Destination, Extension, Prompt
from recordings.actions import do_erase_recording
from tests.conftest import signed_in
from tests.django.test_recordings import make_wav
from voicemail.actions import counts, do_file_message, do_mark_heard, notify_new_message
from voicemail.lamp import lamp_states
from voicemail.models import Mailbox, Message

pytestmark = pytest.mark.django_db
CALLER = "+48601234567"


def staff(name: str, number: str, role: str = "Agent") -> User:
    user = User.objects.create_user(name, email=f"{name}@biuro.example", password=f"{name}-Long-Password-1")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name=role))
    Extension.objects.create(number=number, display_name=name.title(), user=user)
    return user


@pytest.fixture
def anna() -> User:
    return staff("anna", "101")


@pytest.fixture
def box(anna: User) -> Mailbox:
    """The office's box, owned by Anna (101)."""
    purpose = ProcessingPurpose.objects.create(
        name="Wiadomości",
        legal_basis="6.1.f",
        retention_days=14,
        announcement=Prompt.objects.create(name="X", sound="x"),
    )
    mailbox = Mailbox.objects.create(name="Biuro", purpose=purpose)
    mailbox.owners.add(Extension.objects.get(number="101"))
    return mailbox


def a_message(tmp_path: Path, mailbox: Mailbox | None, name: str = "vm1") -> Message | None:
    call = Call.objects.create(channel_id=name, direction="inbound", caller=CALLER, started_at=timezone.now())
    audio = make_wav(tmp_path / f"{name}.wav", 2.0)
    recording = do_file_message(str(call.pk), f"{call.pk}-voicemail", "wav", audio, mailbox.pk if mailbox else None)
    return Message.objects.filter(recording=recording).first()


def test_a_message_goes_into_its_box_with_the_boxs_purpose_and_a_webhook_fires(tmp_path, anna, box):
    WebhookEndpoint.objects.create(name="CRM", url="https://crm.example/hooks", events=["voicemail.new"])
    message = a_message(tmp_path, box)
    assert message is not None and (message.mailbox, message.caller) == (box, CALLER)
    recording = message.recording
    assert (recording.kind, recording.purpose) == ("voicemail", box.purpose)
    assert recording.expires_at is not None
    assert round((recording.expires_at - recording.created_at) / timedelta(days=1)) == 14
    [delivery] = WebhookDelivery.objects.all()
    data = delivery.payload["data"]
    assert (delivery.event, data["mailbox"], data["caller"]) == ("voicemail.new", "Biuro", CALLER)
    # the ingest may run again (a retry, the sweep): still one message, one event
    again = do_file_message(
        str(recording.call_id), recording.asterisk_name, "wav", make_wav(tmp_path / "again.wav", 2.0), box.pk
    )
    assert again == recording and Message.objects.count() == 1 and WebhookDelivery.objects.count() == 1
    assert counts(box.pk) == (1, 0)


def test_a_message_without_a_box_is_stored_as_before_for_its_callback(tmp_path):
    assert a_message(tmp_path, None) is None
    assert Message.objects.count() == 0


def test_the_owners_get_one_e_mail_with_a_link_not_the_audio(tmp_path, anna, box, settings):
    settings.CENTRALA_URL = "https://centrala.biuro.example"
    message = a_message(tmp_path, box)
    assert message is not None
    assert notify_new_message(str(message.recording_id)) is True
    assert notify_new_message(str(message.recording_id)) is False  # told once
    [email] = mail.outbox
    assert email.to == ["anna@biuro.example"]
    assert email.subject == f"Nowa wiadomość głosowa od {CALLER} (Biuro)"
    assert f"https://centrala.biuro.example/admin/voicemail/message/{message.pk}/change/" in email.body
    assert "(2 s)" in email.body and email.attachments == []


def test_a_box_may_send_the_audio_itself(tmp_path, anna, box):
    box.attach_audio = True
    box.save()
    message = a_message(tmp_path, box)
    assert message is not None and notify_new_message(str(message.recording_id))
    [email] = mail.outbox
    [(name, content, mime)] = email.attachments
    assert name.endswith(".wav") and content[:4] == b"RIFF" and mime == "audio/wav"


def test_a_box_with_nobody_to_tell_sends_nothing(tmp_path, box):
    box.owners.clear()
    message = a_message(tmp_path, box)
    assert message is not None and notify_new_message(str(message.recording_id)) is False
    assert mail.outbox == []


def play(user: User, message: Message) -> int:
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), user)
    return int(client.get(f"/recordings/{message.recording_id}/audio").status_code)


def test_the_owner_hears_the_message_which_is_then_heard_and_nobody_else_may(tmp_path, anna, box):
    message = a_message(tmp_path, box)
    assert message is not None
    piotr = staff("piotr", "102")
    basia = User.objects.create_user("basia", password="Basia-Long-Password-1", is_staff=True)
    basia.groups.add(Group.objects.get(name="Office manager"))
    assert play(piotr, message) == 403
    assert play(basia, message) == 403  # the office manager sees the box, not its audio
    assert AuditEntry.objects.filter(action="recording.refused").count() == 2
    assert play(anna, message) == 200
    message.refresh_from_db()
    assert (message.heard_by, message.heard_at is not None) == ("anna", True)
    assert AuditEntry.objects.filter(action="voicemail.heard", actor="anna").exists()
    assert counts(box.pk) == (0, 1)


def test_whoever_calls_the_caller_back_may_hear_the_message(tmp_path, box):
    message = a_message(tmp_path, box)
    assert message is not None
    piotr = staff("piotr", "102")
    task = CallbackTask.objects.create(
        call=message.recording.call,
        number=CALLER,
        reason="voicemail",
        requested_at=timezone.now(),
        assigned_to=Extension.objects.get(number="102"),
    )
    # the task links to the message, and its assignee may hear it
    page = signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), piotr).get(f"/admin/pbx/callbacktask/{task.pk}/change/")
    assert f"/admin/voicemail/message/{message.pk}/change/" in page.content.decode()
    assert play(piotr, message) == 200


def test_the_admin_lists_only_the_messages_someone_may_hear(tmp_path, anna, box):
    mine = a_message(tmp_path, box, "vm1")
    other_box = Mailbox.objects.create(name="Serwis")
    a_message(tmp_path, other_box, "vm2")
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), anna)
    page = client.get("/admin/voicemail/message/").content.decode()
    assert mine is not None and f"/recordings/{mine.recording_id}/audio" in page
    assert page.count("<audio") == 1


def test_a_voicemail_destination_names_its_box_and_plays_the_boxs_greeting(box):
    greeting = Prompt.objects.create(name="Powitanie poczty", sound="vm-intro")
    box.greeting = greeting
    box.save()
    dest = Destination.objects.create(name="Poczta", kind="voicemail", mailbox=box, seconds=60)
    voicemail = load_directory().destinations[dest.pk]
    assert (voicemail.mailbox, voicemail.prompt) == (box.pk, "sound:vm-intro")  # type: ignore[union-attr]


def test_a_message_finished_while_the_app_was_away_still_goes_into_its_box(box):
    call = Call.objects.create(channel_id="c9", direction="inbound", caller=CALLER, started_at=timezone.now())
    call.ended_at = timezone.now()
    call.save()
    CallEvent.objects.create(call=call, at=call.started_at, kind="voicemail", detail={"seconds": 60, "mailbox": box.pk})
    [fact], _ = find_orphan_recordings([{"name": f"{call.pk}-voicemail", "format": "wav"}])
    assert (fact.kind, fact.mailbox_id) == ("voicemail", box.pk)


def test_each_extensions_lamp_counts_new_and_heard_messages_over_every_box_it_owns(tmp_path, anna, box):
    piotr = staff("piotr", "102")
    shared = Mailbox.objects.create(name="Sprzedaż")
    shared.owners.add(Extension.objects.get(number="101"), Extension.objects.get(number="102"))
    a_message(tmp_path, box, "vm1")
    heard = a_message(tmp_path, shared, "vm2")
    assert heard is not None
    assert lamp_states() == {"101": (2, 0), "102": (1, 0)}
    do_mark_heard(heard, "piotr")
    assert lamp_states() == {"101": (1, 1), "102": (0, 1)}
    Extension.objects.filter(user=piotr).update(active=False)  # an inactive phone has no lamp
    assert lamp_states() == {"101": (1, 1)}
    shared.owners.remove(Extension.objects.get(number="101"))
    assert lamp_states() == {"101": (1, 0)}


def test_an_erased_message_no_longer_lights_the_lamp(tmp_path, anna, box):
    message = a_message(tmp_path, box)
    assert message is not None
    do_erase_recording(message.recording, actor="dpo", reason="art. 17")
    assert lamp_states() == {"101": (0, 0)}
