"""Every admin action declares the permission it needs, and each role is offered exactly the
actions of its job. Then the ones a review found open, tried by the role that must not use them:
nothing happens."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.test import Client, RequestFactory
from django.utils import timezone

from api.actions import do_create_token
from api.models import ApiToken
from compliance.roles import ROLES
from pbx.extensions import do_create_extension
from pbx.models import CallbackTask, Extension
from recordings.models import Recording
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
OURS = {"api", "compliance", "numbers", "pbx", "recordings", "security"}

OFFICE, SUPERVISOR, DPO, AGENT = "Office manager", "Team supervisor", "Data protection officer", "Agent"
# (model, action) -> the roles offered it. A new action must be added here, deliberately.
OFFERED = {
    ("compliance.DataSubjectRequest", "carry_out_erasure"): {DPO},
    ("compliance.DataSubjectRequest", "delete_selected"): {DPO},
    ("compliance.DataSubjectRequest", "export_zip"): {DPO},
    ("compliance.ProcessingPurpose", "delete_selected"): {DPO},
    ("numbers.CompanyNumber", "delete_selected"): {OFFICE},
    **{
        ("numbers.PortingRequest", move): {OFFICE}
        for move in (
            "accept",
            "complete",
            "delete_selected",
            "reject",
            "schedule",
            "submit",
            "to_draft",
            "validate",
            "withdraw",
        )
    },
    ("pbx.CallbackTask", "call_back"): {OFFICE, AGENT},
    ("pbx.CallbackTask", "delete_selected"): {OFFICE},
    **{
        (f"pbx.{model}", "delete_selected"): {OFFICE}
        for model in (
            "CallingPolicy",
            "Destination",
            "DutyShift",
            "Extension",
            "Menu",
            "Prompt",
            "Queue",
            "Scenario",
            "Schedule",
            "WeeklyDuty",
        )
    },
    ("pbx.Extension", "deactivate"): {OFFICE},
    ("pbx.Device", "deactivate"): {OFFICE},
    ("pbx.Device", "new_passwords"): {OFFICE},
    ("pbx.Device", "reactivate"): {OFFICE},
    ("pbx.Device", "delete_selected"): {OFFICE},
    ("pbx.Extension", "new_passwords"): {OFFICE},
    ("pbx.Extension", "reactivate"): {OFFICE},
    ("pbx.Extension", "setup_links"): {OFFICE},
    ("pbx.Extension", "desk_provisioning"): {OFFICE},
    ("pbx.Extension", "send_welcome"): {OFFICE},
    ("pbx.Device", "setup_links"): {OFFICE},
    ("pbx.Device", "desk_provisioning"): {OFFICE},
    ("pbx.SetupLink", "delete_selected"): {OFFICE},
    ("recordings.Recording", "place_hold"): {DPO},
    ("recordings.Recording", "release_hold"): {DPO},
    ("security.AllowedNetwork", "delete_selected"): {OFFICE},
    ("security.EmergencyCall", "mark_seen"): {OFFICE},
    ("security.SipBan", "lift"): {OFFICE},
    # unlock a person locked out of the admin; reset the two-step device of a lost phone
    ("security.SignInLockout", "delete_selected"): {OFFICE},
    ("security.TwoStepDevice", "delete_selected"): {OFFICE},
    ("security.TollFraudAlert", "mark_seen"): {OFFICE},
    ("voicemail.Mailbox", "delete_selected"): {OFFICE},
    ("voicemail.MissedCallDigest", "delete_selected"): {OFFICE},
    ("api.ApiToken", "revoke"): set(),  # the superuser's: tokens act with their owner's rights
    ("api.WebhookDelivery", "resend"): set(),
}


def member_of(role: str) -> User:
    user = User.objects.create_user(role.lower().replace(" ", "-"), password="Long-Password-123", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)


def request_by(user: User):  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_every_action_of_ours_declares_the_permission_it_needs():
    undeclared = [
        f"{model._meta.label}.{name}"
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in OURS
        for name in model_admin.actions or []
        if not getattr(name if callable(name) else getattr(model_admin, name, None), "allowed_permissions", None)
    ]
    assert undeclared == []


def test_each_role_is_offered_exactly_the_actions_of_its_job():
    offered: dict[tuple[str, str], set[str]] = {}
    for role in ROLES:
        request = request_by(member_of(role))
        for model, model_admin in admin.site._registry.items():
            if not model_admin.has_view_or_change_permission(request):
                continue  # the list is closed to this role: no action is reachable
            for name in model_admin.get_actions(request):
                offered.setdefault((model._meta.label, name), set()).add(role)
    for key in OFFERED:
        offered.setdefault(key, set())
    assert offered == OFFERED


@pytest.fixture
def held_recording(tmp_path) -> Recording:
    from tests.django.test_retention import recording

    rec = recording(tmp_path, "sporny")
    holder = member_of(DPO)
    Recording.objects.filter(pk=rec.pk).update(hold_reason="spór", hold_set_by=holder, hold_set_at=timezone.now())
    return Recording.objects.get(pk=rec.pk)


@pytest.mark.parametrize("role", [SUPERVISOR, OFFICE, AGENT])
def test_only_the_dpo_role_releases_or_places_a_legal_hold(held_recording, role):
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), member_of(role))
    for action in ("release_hold", "place_hold"):
        client.post(
            "/admin/recordings/recording/",
            {"action": action, "_selected_action": [held_recording.pk], "reason": "inny powód"},
        )
    held_recording.refresh_from_db()
    assert held_recording.hold_reason == "spór"


def test_the_hold_actions_refuse_anyone_without_the_permission(held_recording):
    from compliance.retention import HoldError, do_release_legal_hold, do_set_legal_hold

    supervisor = member_of(SUPERVISOR)
    with pytest.raises(HoldError, match="Only the data protection officer's role"):
        do_release_legal_hold(held_recording, supervisor)
    with pytest.raises(HoldError, match="Only the data protection officer's role"):
        do_set_legal_hold(held_recording, supervisor, "x")


def test_an_office_manager_who_may_only_view_tokens_cannot_revoke_one(manager):
    token, _ = do_create_token("CRM", manager, ["calls:read"], actor="ola")
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), member_of(OFFICE))
    client.post("/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert ApiToken.objects.get().revoked_at is None


@pytest.fixture
def two_agents() -> dict[str, tuple[User, Extension, CallbackTask]]:
    people = {}
    for number, role_user in (("101", "anna"), ("102", "piotr")):
        user = User.objects.create_user(role_user, password="Long-Password-123", is_staff=True)
        user.groups.add(Group.objects.get(name=AGENT))
        extension, _ = do_create_extension(number, role_user.title())
        Extension.objects.filter(pk=extension.pk).update(user=user)
        task = CallbackTask.objects.create(
            number="+48601234567", reason="no_answer", requested_at=timezone.now(), assigned_to=extension
        )
        people[role_user] = (User.objects.get(pk=user.pk), extension, task)
    return people


def test_an_agent_sees_and_edits_only_their_own_callbacks_and_not_whom_to_call(two_agents, settings, tmp_path):
    settings.ASTERISK_CONFIG_DIR = tmp_path
    anna, anna_ext, own = two_agents["anna"]
    _, piotr_ext, other = two_agents["piotr"]
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), anna)
    listed = client.get("/admin/pbx/callbacktask/").context["cl"].result_list
    assert [t.pk for t in listed] == [own.pk]
    assert client.get(f"/admin/pbx/callbacktask/{other.pk}/change/").status_code == 302  # "does not exist"
    edit = {"number": "+48700000000", "reason": "requested", "assigned_to": piotr_ext.pk, "status": "done"}
    client.post(f"/admin/pbx/callbacktask/{own.pk}/change/", edit)
    own.refresh_from_db()
    assert (own.number, own.reason, own.assigned_to_id, own.status) == (
        "+48601234567",
        "no_answer",
        anna_ext.pk,
        "done",
    )


def test_an_agent_cannot_ring_a_colleagues_phone_through_the_api(two_agents, fake_ari):
    from rest_framework.test import APIClient

    anna, _, own = two_agents["anna"]
    other = two_agents["piotr"][2]
    api = APIClient()
    api.force_authenticate(anna)
    refused = api.post(f"/api/callbacks/{own.pk}/call/", {"extension": "102"}, format="json")
    assert (refused.status_code, refused.json()) == (403, {"error": "You can ring only your own extension."})
    assert api.post(f"/api/callbacks/{other.pk}/call/", {}, format="json").status_code == 404
    assert fake_ari.sent("POST", "channels") == []
    mine = api.post(f"/api/callbacks/{own.pk}/call/", {}, format="json")
    assert mine.status_code == 202
    [(query, _)] = fake_ari.sent("POST", "channels")
    assert query["endpoint"] == ["PJSIP/101"]
