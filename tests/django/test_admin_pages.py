"""Every admin page of every model opens, as the superuser and as each role: list, add and the
change page of a real row. A role may be refused (403) or sent elsewhere, never a 500."""

from __future__ import annotations

import io
import wave
from datetime import date, timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db.models import Model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_q.models import Failure
from django_q.tasks import async_task

from api.actions import do_create_token
from api.models import WebhookDelivery, WebhookEndpoint
from company_numbers.porting.flow import do_create_request
from compliance.audit import do_audit
from compliance.models import DataSubjectRequest, ProcessingPurpose, RecordingTombstone
from compliance.roles import ROLES
from pbx.models import Call, CallbackTask, CallingPolicy, DutyShift, Extension, Prompt
from pbx.provisioning import do_create_setup_link
from recordings.actions import do_ingest_recording
from recordings.models import Recording, RecordingRule
from security.models import AllowedNetwork, EmergencyCall, SipAuthFailure, SipBan, TollFraudAlert
from tests.conftest import signed_in
from voicemail.models import Mailbox, Message, MissedCallDigest

pytestmark = pytest.mark.django_db

PORTING = {
    "subscriber_type": "company",
    "subscriber_name": "ACME sp. z o.o.",
    "nip": "5261040828",
    "address": "ul. Prosta 1, 00-001 Warszawa",
    "current_operator": "Orange",
    "requested_date": date(2026, 12, 15),
}


@pytest.fixture(autouse=True)
def config_dir(settings, tmp_path):
    settings.ASTERISK_CONFIG_DIR = tmp_path
    settings.ARI_URL = "http://127.0.0.1:9/ari"  # nothing listens: reload must fail gracefully


def _recording(tmp_path: Path, call: Call, purpose: ProcessingPurpose) -> Recording:
    path = tmp_path / "rec.wav"
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\x01\x02" * 8000)
    return do_ingest_recording(str(call.pk), f"{call.pk}-call", "wav", path, purpose_id=purpose.pk)


@pytest.fixture
def a_row_of_everything(tmp_path, manager: User) -> None:
    """The demo office plus one row of each model the demo does not fill."""
    make_a_row_of_everything(tmp_path, manager)


def make_a_row_of_everything(tmp_path: Path, manager: User) -> None:
    call_command("load_demo", stdout=io.StringIO())
    now = timezone.now()
    prompt = Prompt.objects.first()
    assert prompt is not None
    purpose = ProcessingPurpose.objects.create(
        name="Reklamacje", legal_basis="6.1.f", retention_days=90, announcement=prompt, notice_text="Nagrywamy."
    )
    RecordingRule.objects.create(name="Wszystkie", purpose=purpose)
    call = Call.objects.create(channel_id="1.1", direction="inbound", caller="+48601234567", started_at=now)
    call.events.create(at=now, kind="started", detail={})
    recording = _recording(tmp_path, call, purpose)
    Message.objects.create(
        recording=recording, mailbox=Mailbox.objects.get(name="Biuro"), caller=call.caller, left_at=now
    )
    CallbackTask.objects.create(call=call, number="+48601234567", reason="requested", requested_at=now)
    digest = MissedCallDigest.objects.create(name="Sprzedaż")
    digest.recipients.add(*Extension.objects.all()[:1])
    CallingPolicy.objects.create(name="Handlowcy", countries="DE")
    someone = Extension.objects.first()
    assert someone is not None
    DutyShift.objects.create(extension=someone, starts_at=now, ends_at=now + timedelta(hours=8))
    do_create_request(PORTING, ["+48 22 765 43 21"], actor="it")
    do_audit("ola", "config.change", "pbx.queue:1")
    RecordingTombstone.objects.create(
        recording_id="00000000-0000-0000-0000-000000000001",
        sha256="0" * 64,
        recorded_at=now,
        deleted_at=now,
        reason="retention",
        duration_seconds=3,
    )
    DataSubjectRequest.objects.create(kind="access", number="+48601234567", requester="Jan", received_on=now.date())
    do_create_token("CRM", manager, ["calls:read"], actor="ola")
    endpoint = WebhookEndpoint.objects.create(name="CRM", url="https://crm.firma.test/hooks", events=["call.ended"])
    WebhookDelivery.objects.create(endpoint=endpoint, event="call.ended", payload={}, next_attempt_at=now)
    SipAuthFailure.objects.create(at=now, source="203.0.113.5", event="InvalidPassword")
    SipBan.objects.create(source="203.0.113.5", reason="failed logins")
    AllowedNetwork.objects.create(network="198.51.100.0/24", note="biuro")
    EmergencyCall.objects.create(at=now, extension="101", number="112", shown="+48221234567", call=call)
    TollFraudAlert.objects.create(at=now, kind="night", extension="101", number="+4470", message="night call")
    TOTPDevice.objects.create(user=manager, name="telefon", confirmed=True)
    do_create_setup_link(Extension.objects.get(number="103"), None, "desk", actor="ola")
    AccessAttempt.objects.create(username="x", ip_address="203.0.113.9", failures_since_start=1)
    AccessLog.objects.create(username="ola", ip_address="127.0.0.1")
    AccessFailureLog.objects.create(username="x", ip_address="203.0.113.9")
    Group.objects.get_or_create(name="Office manager")
    async_task("jobs.runner.summarise_calls", sync=True)  # a finished job, run as a worker runs it
    Failure.objects.create(
        id="f" * 32, name="lima-two", func="jobs.runner.apply_retention", started=now, stopped=now, success=False,
        result="Traceback (most recent call last):\nOSError: [Errno 113] No route to host", attempt_count=1,
    )  # fmt: skip


def _pages() -> list[tuple[type[Model], str]]:
    pages = []
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        pages.append((model, reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")))
        pages.append((model, reverse(f"admin:{meta.app_label}_{meta.model_name}_add")))
        row = model_admin.get_queryset(_superuser_request()).first() or model._default_manager.first()
        assert row is not None, f"no {meta.label} row to open its change page: add one to a_row_of_everything"
        pages.append((model, reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[row.pk])))
    return pages


def _superuser_request():  # type: ignore[no-untyped-def]
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = User.objects.filter(is_superuser=True).get()
    return request


def _member_of(role: str) -> User:
    user = User.objects.create_user(role.lower().replace(" ", "-"), password="Long-Password-123", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize("who", ["superuser", *ROLES])
def test_every_admin_page_opens_without_a_server_error(a_row_of_everything, manager: User, who: str):
    user = manager if who == "superuser" else _member_of(who)
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), user)
    failed = []
    for model, url in _pages():
        status = client.get(url).status_code
        if status >= 500 or (who == "superuser" and status != _superuser_sees(model, url)):
            failed.append(f"{url}: {status}")
    assert not failed, "\n".join(failed)


def _superuser_sees(model: type[Model], url: str) -> int:
    """200 everywhere, but 403 on the add page of what nobody adds by hand (history, logs)."""
    model_admin = admin.site._registry[model]
    if url.endswith("/add/") and not model_admin.has_add_permission(_superuser_request()):
        return 403
    return 200


def test_the_porting_request_form_opens_before_it_has_dates(manager: User):
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), manager)
    page = client.get("/admin/numbers/portingrequest/add/")
    assert page.status_code == 200
    assert 'name="subscriber_name"' in page.content.decode()
