"""Pausing a recording through the API: who may, and clear refusals that change nothing.
(The accepted path reaches a live call on the real Asterisk: tests/e2e/test_recording_rules.py.)"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from compliance.models import AuditEntry
from pbx.extensions import do_create_extension
from pbx.models import Call, Queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_call() -> Call:
    anna = User.objects.create_user("anna", password="Anna-Long-Password-1")
    extension, _ = do_create_extension("101", "Anna")
    extension.user = anna
    extension.save()
    call = Call.objects.create(
        channel_id="1.1", direction="inbound", started_at=timezone.now(), queue=Queue.objects.create(name="Sprzedaż")
    )
    call.staff.add(extension)
    return call


def client_for(username: str) -> APIClient:
    client = APIClient()
    user = User.objects.filter(username=username).first() or User.objects.create_user(username, password="X-Long-1!")
    client.force_authenticate(user)
    return client


def test_anonymous_requests_are_refused():
    response = APIClient().post(
        "/api/calls/6f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e5f/recording/pause", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert (response.status_code, response["WWW-Authenticate"]) == (401, 'Bearer realm="centrala"')
    assert response.json() == {"error": "Authentication credentials were not provided."}


def test_an_unknown_action_is_named_in_the_error(live_call):
    response = client_for("anna").post(f"/api/calls/{live_call.pk}/recording/stop")
    assert response.status_code == 400
    assert response.json() == {"error": "Unknown action 'stop': use one of pause, resume."}


def test_someone_not_on_the_call_cannot_pause_it_even_the_office_manager(live_call):
    response = client_for("ola").post(f"/api/calls/{live_call.pk}/recording/pause")
    assert response.status_code == 403
    assert response.json() == {"error": "Only the staff on the call or its queue's supervisors can do this."}
    assert not AuditEntry.objects.exists()


def test_a_call_that_has_ended_cannot_be_paused(live_call):
    Call.objects.filter(pk=live_call.pk).update(ended_at=timezone.now())
    response = client_for("anna").post(f"/api/calls/{live_call.pk}/recording/pause")
    assert (response.status_code, response.json()) == (409, {"error": "The call has ended."})
    assert not AuditEntry.objects.exists()


def test_asterisk_down_is_a_503_with_the_reason(live_call, settings):
    settings.ARI_URL = "http://127.0.0.1:9/ari"  # nothing listens on the discard port
    Queue.objects.get().supervisors.add(User.objects.create_user("ewa", password="Ewa-Long-Password-1"))
    response = client_for("ewa").post(f"/api/calls/{live_call.pk}/recording/pause")
    assert response.status_code == 503 and response.json()["error"].startswith("Asterisk cannot be reached")
    assert not AuditEntry.objects.exists()


def test_get_is_not_allowed_and_an_unknown_call_is_404(live_call):
    assert client_for("anna").get(f"/api/calls/{live_call.pk}/recording/pause").status_code == 405
    assert client_for("anna").post("/api/calls/6f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e5f/recording/pause").status_code == 404


def test_an_integration_token_needs_the_recordings_scope(live_call):
    from api.actions import do_create_token

    anna = User.objects.get(username="anna")
    _, token = do_create_token("softphone", anna, ["numbers:read"], actor="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(f"/api/calls/{live_call.pk}/recording/pause")
    assert (response.status_code, response.json()) == (
        403,
        {"error": "This token does not have the scope recordings:write."},
    )
    assert not AuditEntry.objects.filter(action="recording.pause").exists()


@pytest.mark.parametrize("worker", [1, 2])
def test_the_request_reaches_the_stasis_worker_serving_the_call(live_call, settings, monkeypatch, worker):
    """With several Stasis workers (STASIS_WORKERS) the user event goes to the call's own."""
    settings.ARI_APP, settings.STASIS_WORKERS = "centrala", 2
    Call.objects.filter(pk=live_call.pk).update(stasis_worker=worker)
    sent: list[tuple[str, str]] = []

    class Ari:
        async def user_event(self, app: str, name: str, channel_id: str, variables: dict[str, str]) -> None:
            sent.append((app, channel_id))

    def run_with_ari(action: Any) -> Any:
        return asyncio.run(action(Ari()))

    monkeypatch.setattr("recordings.actions.run_with_ari", run_with_ari)
    response = client_for("anna").post(f"/api/calls/{live_call.pk}/recording/pause")
    assert response.status_code in (200, 202, 204), response.content
    assert sent == [("centrala" if worker == 1 else "centrala-2", "1.1")]
