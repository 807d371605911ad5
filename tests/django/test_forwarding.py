"""Do-not-disturb and forwarding in the database and the admin: set on an extension's page, a
forward to the person's own phones refused, switched from the phone (*78) with an audit entry,
read by the call flow, and shown by the simulator in a sentence."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from compliance.models import AuditEntry
from pbx.actions import do_apply_facts
from pbx.callflow import commands as c
from pbx.callflow.simulate import Line
from pbx.directory import load_directory
from pbx.extensions import do_create_extension, do_set_forwarding
from pbx.models import Call, Destination, Extension
from pbx.web.views import describe
from tests.conftest import NO_ROTA, signed_in

pytestmark = pytest.mark.django_db


def change_form(extension: Extension, **changes: object) -> dict[str, object]:
    return {
        "number": extension.number,
        "display_name": extension.display_name,
        "kind": extension.kind,
        "forward_after_seconds": "20",
        **NO_ROTA,
        **changes,
    }


def test_the_office_manager_sets_do_not_disturb_and_forwards_and_the_call_flow_follows(manager: User, settings):
    settings.ARI_URL = "http://127.0.0.1:9/ari"
    anna = do_create_extension("101", "Anna")[0]
    voicemail = Destination.objects.create(name="Poczta", kind="voicemail", seconds=60)
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), manager)
    url = f"/admin/pbx/extension/{anna.pk}/change/"
    response = client.post(url, change_form(anna, dnd="on", forward_no_answer=voicemail.pk, forward_after_seconds="8"))
    assert response.status_code == 302, response.content.decode()[:2000]
    person = load_directory().people["101"]
    assert (person.dnd, person.forward_no_answer, person.forward_after_seconds) == (True, voicemail.pk, 8)
    to_herself = Destination.objects.create(name="Anna", kind="extension", extension=anna)
    refused = client.post(url, change_form(anna, forward_always=to_herself.pk))
    assert "would go round in circles" in refused.content.decode()
    anna.refresh_from_db()
    assert anna.forward_always is None


def test_do_not_disturb_switched_on_the_phone_is_saved_and_audited():
    anna = do_create_extension("101", "Anna")[0]
    call = Call.objects.create(channel_id="dnd", direction="internal", caller="101", started_at=timezone.now())
    do_apply_facts([c.DndChanged("dnd", call_key=str(call.pk), at=datetime.now(UTC), extension="101", on=True)])
    anna.refresh_from_db()
    assert anna.dnd and AuditEntry.objects.filter(action="extension.dnd", source="phone").exists()


def test_the_simulator_says_who_is_in_do_not_disturb():
    with translation.override("pl"):
        assert describe(Line(0, "dnd", {"extension": "101"}), {}) == "101: tryb nie przeszkadzać, bez dzwonienia"
        forwarded = Line(0, "forwarded", {"extension": "101", "why": "always"})
        assert describe(forwarded, {}) == "101: połączenia przekierowane (przekierowanie wszystkich połączeń)"
        covered = Line(
            0, "ring_queue", {"targets": ["101"], "strategy": "ring_all", "queue": "Dyżur", "covering_for": ["102"]}
        )
        assert describe(covered, {}) == "Kolejka Dyżur: dzwoni do: 101 (w zastępstwie: 102)"


def test_the_demo_has_a_person_who_forwards_to_a_mobile_and_one_with_two_phones(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("load_demo", stdout=io.StringIO())
    people = load_directory().people
    forward_id = people["102"].forward_unreachable
    assert forward_id is not None
    forward = Destination.objects.get(pk=forward_id)
    assert (forward.kind, forward.external_number) == ("external", "+48601000102")
    assert [login for login, _ in people["101"].devices] == ["101-2"]


def test_the_forwarding_writer_refuses_a_loop_and_an_unknown_setting_and_audits_the_rest():
    anna = do_create_extension("101", "Anna")[0]
    to_herself = Destination.objects.create(name="Anna", kind="extension", extension=anna)
    with pytest.raises(ValidationError, match="round in circles"):
        do_set_forwarding(anna, "ola", forward_always=to_herself)
    with pytest.raises(ValueError, match="not a forwarding setting: mobile"):
        do_set_forwarding(anna, "ola", mobile="+48601000101")
    anna.refresh_from_db()
    assert anna.forward_always is None
    do_set_forwarding(anna, "ola", dnd=True)
    anna.refresh_from_db()
    assert anna.dnd and AuditEntry.objects.filter(actor="ola", action="extension.forwarding").exists()


def test_a_forward_set_on_the_phone_reuses_or_makes_its_destination_and_off_clears_it(settings):
    settings.ARI_URL = "http://127.0.0.1:9/ari"
    anna = do_create_extension("101", "Anna")[0]
    piotr = do_create_extension("102", "Piotr")[0]
    call = Call.objects.create(channel_id="fwd", direction="internal", caller="101", started_at=timezone.now())
    now = datetime.now(UTC)

    def forward(**target: str) -> Extension:
        do_apply_facts([c.ForwardChanged("fwd", call_key=str(call.pk), at=now, extension="101", **target)])
        return Extension.objects.get(number="101")

    to_piotr = forward(to_extension="102").forward_always
    assert to_piotr is not None and (to_piotr.kind, to_piotr.extension) == ("extension", piotr)
    assert forward(to_extension="102").forward_always == to_piotr  # the same destination again
    outside = forward(to_number="+48601000999").forward_always
    assert outside is not None and (outside.kind, outside.external_number) == ("external", "+48601000999")
    assert forward().forward_always is None  # *73
    actions = list(AuditEntry.objects.filter(actor="ext. 101").values_list("action", flat=True))
    assert actions.count("extension.forwarding") == 4
    # a colleague who forwards everything back: refused, nothing changed, and the refusal audited
    to_anna = Destination.objects.create(name="Do Anny", kind="extension", extension=anna)
    do_set_forwarding(piotr, "test", forward_always=to_anna)
    assert forward(to_extension="102").forward_always is None
    assert AuditEntry.objects.filter(action="extension.forwarding_refused").exists()
