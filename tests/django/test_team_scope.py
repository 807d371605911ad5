"""Who sees which calls and recordings: supervisors their own queues, agents their own calls,
the office manager every call but no recording, the DPO everything; refusals are logged."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from compliance.models import AuditEntry, ProcessingPurpose
from pbx.access import calls_visible_to
from pbx.models import Prompt, Queue
from recordings.access import recordings_visible_to
from recordings.models import Recording
from tests.conftest import signed_in
from tests.django.personas import person

pytestmark = pytest.mark.django_db


def test_the_history_knows_each_calls_queue_and_who_talked(firm):
    sales, service = firm["calls"]
    assert (sales.queue.name, [x.number for x in sales.staff.all()]) == ("Sprzedaż", ["101"])
    assert (service.queue.name, [x.number for x in service.staff.all()]) == ("Serwis", ["102"])


def test_supervisors_see_their_own_queues_calls_and_recordings_only(firm):
    sales, _ = firm["calls"]
    assert list(calls_visible_to(firm["ewa"])) == [sales]
    assert list(recordings_visible_to(firm["ewa"])) == [firm["rec"]["sales"]]
    assert list(recordings_visible_to(firm["jan"])) == [firm["rec"]["service"]]


def test_a_supervisor_cannot_open_another_teams_recording_and_the_attempt_is_logged(firm):
    client = Client()
    signed_in(client, firm["ewa"])
    theirs, ours = firm["rec"]["service"], firm["rec"]["sales"]
    response = client.get(f"/recordings/{theirs.pk}/audio", REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 403 and b"RIFF" not in response.content
    refused = AuditEntry.objects.get(action="recording.refused")
    assert (refused.actor, refused.target, refused.source) == ("ewa", str(theirs.pk), "10.0.0.7")
    assert not AuditEntry.objects.filter(action="recording.play").exists()
    assert client.get(f"/recordings/{ours.pk}/audio").status_code == 200
    assert AuditEntry.objects.filter(action="recording.play", target=str(ours.pk)).count() == 1


def test_the_admin_lists_only_the_supervisors_recordings_and_logs_a_peek_at_others(firm):
    client = Client()
    signed_in(client, firm["ewa"])
    listing = client.get("/admin/recordings/recording/")
    assert listing.status_code == 200
    assert str(firm["rec"]["sales"].pk) in listing.content.decode()
    assert str(firm["rec"]["service"].pk) not in listing.content.decode()
    peek = client.get(f"/admin/recordings/recording/{firm['rec']['service'].pk}/change/")
    assert (peek.status_code, peek["Location"]) == (302, "/admin/")  # "does not exist"
    assert AuditEntry.objects.filter(action="recording.refused", target=str(firm["rec"]["service"].pk)).exists()


def test_recordings_can_be_searched_by_queue_and_extension(firm):
    client = Client()
    signed_in(client, User.objects.create_superuser("root", password="Long-Password-123"))
    sales_queue = Queue.objects.get(name="Sprzedaż")
    by_queue = client.get(f"/admin/recordings/recording/?call__queue__id__exact={sales_queue.pk}").content.decode()
    assert str(firm["rec"]["sales"].pk) in by_queue and str(firm["rec"]["service"].pk) not in by_queue
    by_extension = client.get("/admin/recordings/recording/?q=102").content.decode()
    assert str(firm["rec"]["service"].pk) in by_extension and str(firm["rec"]["sales"].pk) not in by_extension


def test_agents_see_their_own_calls_and_no_recordings(firm):
    _, service = firm["calls"]
    assert list(calls_visible_to(firm["piotr"])) == [service]
    assert not recordings_visible_to(firm["piotr"]).exists()


def test_the_office_manager_sees_every_call_but_no_recording_and_the_dpo_everything(firm):
    ola, iod = person("ola", "Office manager"), person("iod", "Data protection officer")
    assert calls_visible_to(ola).count() == 2 and not recordings_visible_to(ola).exists()
    assert calls_visible_to(iod).count() == 2 and recordings_visible_to(iod).count() == 2


def test_a_purpose_naming_who_may_listen_narrows_even_the_dpo(firm):
    iod = person("iod", "Data protection officer")
    purpose = ProcessingPurpose.objects.create(
        name="Reklamacje",
        legal_basis="6.1.f",
        retention_days=30,
        notice_text="x",
        announcement=Prompt.objects.create(name="Nagrywamy", sound="conf-now-recording"),
    )
    purpose.listeners.add(Group.objects.get(name="Team supervisor"))
    Recording.objects.filter(pk=firm["rec"]["sales"].pk).update(purpose=purpose, created_at=timezone.now())
    assert list(recordings_visible_to(iod)) == [firm["rec"]["service"]]
    assert list(recordings_visible_to(firm["ewa"])) == [firm["rec"]["sales"]]


def test_the_call_list_offers_a_supervisor_her_own_queues_and_the_office_every_queue(firm, basia):
    Queue.objects.create(name="Księgowość")  # no calls yet
    ewa = signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), firm["ewa"])
    spec = next(s for s in ewa.get("/admin/pbx/call/").context["cl"].filter_specs if s.field_path == "queue")
    assert [name for _pk, name in spec.lookup_choices] == ["Sprzedaż"]
    office = signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), basia)
    spec = next(s for s in office.get("/admin/pbx/call/").context["cl"].filter_specs if s.field_path == "queue")
    assert sorted(name for _pk, name in spec.lookup_choices) == ["Księgowość", "Serwis", "Sprzedaż"]
