"""Roles exist from the first migration and carry exactly their permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from compliance.models import AuditEntry
from compliance.roles import ROLES
from recordings.access import recordings_visible_to
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def member_of(role: str) -> User:
    user = User.objects.create_user(role.lower().replace(" ", "-"), password="Long-Password-123", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)


def test_the_four_roles_exist():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)


def test_the_office_manager_configures_but_does_not_listen():
    ola = member_of("Office manager")
    assert ola.has_perm("pbx.change_queue") and ola.has_perm("numbers.add_companynumber")
    assert not ola.has_perm("recordings.view_recording")
    assert not ola.has_perm("compliance.view_auditentry")


def test_the_dpo_sees_recordings_and_the_audit_log_but_not_configuration():
    iod = member_of("Data protection officer")
    assert iod.has_perm("recordings.view_recording") and iod.has_perm("compliance.view_auditentry")
    assert not iod.has_perm("pbx.change_scenario")


def test_an_agent_works_callbacks_and_hears_only_the_messages_left_for_them(tmp_path):
    agent = member_of("Agent")
    assert agent.has_perm("pbx.change_callbacktask") and agent.has_perm("voicemail.view_message")
    assert agent.has_perm("recordings.view_recording") and not agent.has_perm("recordings.view_all_recordings")
    recording_in_queue(tmp_path, "Sprzedaż")  # a call recording of a team: not theirs to hear
    assert not recordings_visible_to(agent).exists()  # (tests/django/test_voicemail.py: what they do hear)


def test_a_recording_link_refuses_an_office_manager_and_logs_it(tmp_path):
    rec = recording_in_queue(tmp_path, "Sprzedaż")
    client = Client()
    signed_in(client, member_of("Office manager"))
    assert client.get(f"/recordings/{rec.pk}/audio").status_code == 403
    assert AuditEntry.objects.filter(action="recording.refused", actor="office-manager", target=str(rec.pk)).exists()
    assert not AuditEntry.objects.filter(action="recording.play").exists()


def recording_in_queue(tmp_path, queue: str):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from pbx.models import Call, Queue
    from recordings.actions import do_ingest_recording
    from tests.django.test_recordings import make_wav

    call = Call.objects.create(
        channel_id="1.1", direction="inbound", started_at=timezone.now(), queue=Queue.objects.create(name=queue)
    )
    return do_ingest_recording(str(call.pk), "k", "wav", make_wav(tmp_path / "r.wav", 1))
