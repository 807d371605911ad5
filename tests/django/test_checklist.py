"""The compliance checklist: each check fails when it should, with what to do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from compliance.checklist import run_checks
from compliance.models import ProcessingPurpose
from pbx.models import Call, Prompt
from recordings.actions import do_ingest_recording
from recordings.models import Recording, RecordingRule
from tests.conftest import signed_in
from tests.django.test_recordings import make_wav

pytestmark = pytest.mark.django_db


def titles(ok: bool) -> list[str]:
    return [c.title for c in run_checks() if c.ok is ok]


def test_a_clean_install_with_a_master_key_passes_every_check():
    assert titles(False) == []


def test_each_problem_is_reported_with_a_fix(settings, tmp_path):
    settings.RECORDING_MASTER_KEY = ""
    settings.DEBUG = True
    prompt = Prompt.objects.create(name="Nagrywamy", sound="conf-now-recording")
    ProcessingPurpose.objects.create(
        name="Jakość", legal_basis="6.1.f", retention_days=1, announcement=prompt, notice_text="..."
    )
    RecordingRule.objects.create(name="Bez celu", mode="always")
    call = Call.objects.create(channel_id="1", direction="inbound", started_at=timezone.now())
    rec = do_ingest_recording(str(call.pk), "r", "wav", make_wav(tmp_path / "r.wav", 1))
    Recording.objects.filter(pk=rec.pk).update(expires_at=timezone.now() - timedelta(days=1))
    User.objects.create_user("ola", is_staff=True).groups.add(Group.objects.get(name="Team supervisor"))
    problems = {c.title: (c.link, c.server) for c in run_checks() if not c.ok}
    # Each problem leads to the screen where it is fixed, and says whether it is the IT person's.
    assert problems == {
        "Recordings are encrypted with a development key kept on this machine": ("", True),
        "1 recording(s) are past their retention period": ("/admin/recordings/recording/", True),
        "Recording rules without a purpose: Bez celu": ("/admin/recordings/recordingrule/", False),
        "Purposes without a published notice: Jakość": ("/admin/compliance/processingpurpose/", False),
        "Can listen but has not set up two-factor login yet: ola": ("/admin/auth/user/", False),
    }
    fixes = {c.title: c.fix for c in run_checks() if not c.ok}
    assert "RECORDING_MASTER_KEY" in fixes["Recordings are encrypted with a development key kept on this machine"]
    assert "apply_retention" in fixes["1 recording(s) are past their retention period"]
    assert fixes["Recording rules without a purpose: Bez celu"] == (
        "Give each rule a processing purpose, or set it to never."
    )


def test_only_the_dpo_opens_the_checklist(settings):
    iod = User.objects.create_user("iod", is_staff=True)
    iod.groups.add(Group.objects.get(name="Data protection officer"))
    manager = User.objects.create_user("ola", is_staff=True)
    manager.groups.add(Group.objects.get(name="Office manager"))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    signed_in(client, manager)
    assert client.get("/admin/compliance/").status_code == 403
    signed_in(client, iod)
    page = client.get("/admin/compliance/").content.decode()
    assert 'id="checklist"' in page and "The audit log is intact" in page
    settings.RECORDING_MASTER_KEY = ""  # a problem only the IT person can fix: the page says so
    page = client.get("/admin/compliance/").content.decode()
    assert 'class="needs-server"' in page
