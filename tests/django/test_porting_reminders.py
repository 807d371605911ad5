"""Issue 8's scheduler: porting deadlines by e-mail, each once, overdue ones once more."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from smtplib import SMTPServerDisconnected

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command

from company_numbers.models import PortingReminder, PortingRequest
from company_numbers.porting.flow import PortingError, do_create_request
from company_numbers.porting.reminders import do_send_reminders
from compliance.models import AuditEntry

from .test_porting import ACME  # requested for 2026-12-15, a Tuesday

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"
    settings.PORTING_REMINDER_EMAILS = ["it@firma.pl"]


@pytest.fixture
def acme() -> PortingRequest:
    return do_create_request(dict(ACME), ["22 123 45 67"], "test")


def test_each_deadline_is_announced_once_and_again_only_when_it_passes_undone(english, acme, mailoutbox):
    def remind(today: date) -> list[str]:
        return do_send_reminders(today=today, horizon_days=3)

    [withdraw] = remind(date(2026, 12, 11))
    assert withdraw == (
        f"Porting request #{acme.pk} (ACME sp. z o.o.; +48221234567): last day to withdraw on "
        "2026-12-13 (2 days before porting). The request is draft."
    )
    assert remind(date(2026, 12, 11)) == []  # the same day again: nothing new
    [porting] = remind(date(2026, 12, 12))  # the withdrawal is not repeated
    assert "porting date on 2026-12-15" in porting
    assert [m.to for m in mailoutbox] == [["it@firma.pl"], ["it@firma.pl"]]
    assert mailoutbox[0].subject == "Centrala: 1 porting deadline(s)" and withdraw in mailoutbox[0].body

    # Submitted long ago, and no decision recorded: overdue, once.
    PortingRequest.objects.filter(pk=acme.pk).update(state="submitted", submitted_on=date(2026, 11, 2))
    [decision] = remind(date(2026, 12, 12))
    # 14 working days; 11 November, Independence Day, is not one
    assert "the operator's decision was due on 2026-11-23 and is not recorded" in decision
    assert remind(date(2026, 12, 12)) == []

    # Rescheduled for a later date: its deadlines are new ones.
    PortingRequest.objects.filter(pk=acme.pk).update(state="scheduled", port_date=date(2026, 12, 22))
    assert [t.split(": ", 1)[1].split(" on ")[0] for t in remind(date(2026, 12, 19))] == [
        "last day to withdraw",
        "porting date",
    ]
    # The date passed and nobody marked the request completed.
    [undone] = remind(date(2026, 12, 28))
    assert "the numbers should work here since 2026-12-23, but the request is still scheduled" in undone
    assert remind(date(2026, 12, 29)) == []
    assert PortingReminder.objects.filter(request=acme).count() == 6
    assert AuditEntry.objects.filter(action="porting.remind").count() == len(mailoutbox) == 5  # one per e-mail


def test_completed_and_withdrawn_requests_are_never_reminded_of(english, acme, mailoutbox):
    PortingRequest.objects.filter(pk=acme.pk).update(state="completed")
    assert do_send_reminders(today=date(2026, 12, 14), horizon_days=3) == []
    PortingRequest.objects.filter(pk=acme.pk).update(state="withdrawn")
    assert do_send_reminders(today=date(2026, 12, 28), horizon_days=3) == []
    assert mailoutbox == []


def test_office_managers_get_them_in_polish_when_no_address_is_set(acme, mailoutbox, settings):
    settings.PORTING_REMINDER_EMAILS = []
    manager = User.objects.create_user("ola", "ola@firma.pl")
    manager.groups.add(Group.objects.get(name="Office manager"))
    User.objects.create_user("agent", "agent@firma.pl").groups.add(Group.objects.get(name="Agent"))
    [text] = do_send_reminders(today=date(2026, 12, 11), horizon_days=3)
    assert mailoutbox[0].to == ["ola@firma.pl"]
    assert mailoutbox[0].subject == "Centrala: terminy przeniesienia numeru: 1"
    assert text == (
        f"Wniosek o przeniesienie #{acme.pk} (ACME sp. z o.o.; +48221234567): ostatni dzień na wycofanie: "
        "2026-12-13 (2 dni przed przeniesieniem). Stan wniosku: szkic."
    )


def test_with_nobody_to_tell_or_a_failed_send_nothing_is_marked_sent(english, acme, mailoutbox, settings, monkeypatch):
    settings.PORTING_REMINDER_EMAILS = []
    with pytest.raises(PortingError, match="Nobody to remind: set PORTING_REMINDER_EMAILS"):
        do_send_reminders(today=date(2026, 12, 11), horizon_days=3)
    settings.PORTING_REMINDER_EMAILS = ["it@firma.pl"]

    def smtp_down(*args: object, **kwargs: object) -> None:
        raise SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr("company_numbers.porting.reminders.send_mail", smtp_down)
    with pytest.raises(CommandError, match=r"e-mailed .*Connection unexpectedly closed.*nothing is marked"):
        call_command("porting", "remind", "--today", "2026-12-11", "--days", "3")
    assert not PortingReminder.objects.exists()
    monkeypatch.undo()
    settings.PORTING_REMINDER_EMAILS = ["it@firma.pl"]
    settings.LANGUAGE_CODE = "en"
    assert len(do_send_reminders(today=date(2026, 12, 11), horizon_days=3)) == 1  # the next run sends it


def test_the_command_dry_run_prints_and_sends_nothing(english, acme, mailoutbox, capsys):
    call_command("porting", "remind", "--today", "2026-12-11", "--days", "3", "--dry-run")
    out = capsys.readouterr().out
    assert "last day to withdraw on 2026-12-13" in out and "would send 1 porting reminder(s)" in out
    assert mailoutbox == [] and not PortingReminder.objects.exists()
    call_command("porting", "remind", "--today", "2026-12-11", "--days", "3")
    assert "sent 1 porting reminder(s)" in capsys.readouterr().out
    call_command("porting", "remind", "--today", "2026-12-11", "--days", "3")
    assert "no porting deadline to remind of" in capsys.readouterr().out
    with pytest.raises(CommandError, match="0 days or more, not -1"):
        call_command("porting", "remind", "--days", "-1")


@pytest.mark.parametrize(
    ("name", "value", "what"),
    [
        ("PORTING_REMINDER_DAYS", "three", "a whole number"),
        ("STASIS_SWEEP_SECONDS", "soon", "a number"),
        ("ARI_REQUESTS_OVER_WEBSOCKET", "maybe", "1/true/yes/on or 0/false/no/off"),
    ],
)
def test_a_setting_of_the_wrong_kind_is_named_at_start(name, value, what):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", name: value}
    env.pop("DATABASE_URL", None)
    proc = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    assert f"{name} must be {what}, not '{value}'" in proc.stderr
