"""The audit log: chained, append-only, tampering found by verify_audit_log."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from compliance.audit import GENESIS, do_audit, verify_chain
from compliance.models import AuditEntry, AuditLogIsAppendOnly
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def three() -> list[AuditEntry]:
    return [
        do_audit("ola", "recording.play", "rec-1", source="127.0.0.1", call="c-1"),
        do_audit("system", "retention.run", "policy", deleted=3),
        do_audit("jan", "config.change", "Destination 4", fields=["then"]),
    ]


def raw(sql: str) -> None:
    """What an intruder with the database owner's rights can do: bypass the trigger."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE compliance_auditentry DISABLE TRIGGER compliance_auditentry_append_only")
        cursor.execute(sql)
        cursor.execute("ALTER TABLE compliance_auditentry ENABLE TRIGGER compliance_auditentry_append_only")


def test_entries_chain_from_genesis(three):
    assert [e.seq for e in three] == [1, 2, 3]
    assert three[0].previous_hash == GENESIS
    assert three[1].previous_hash == three[0].entry_hash and three[2].previous_hash == three[1].entry_hash
    assert verify_chain() is None


def test_the_command_reports_an_intact_log(three, capsys):
    call_command("verify_audit_log")
    assert "audit log intact: 3 entries" in capsys.readouterr().out


def test_the_orm_refuses_to_change_or_delete_entries(three):
    entry = three[1]
    entry.actor = "someone else"
    with pytest.raises(AuditLogIsAppendOnly):
        entry.save()
    with pytest.raises(AuditLogIsAppendOnly):
        entry.delete()


def test_the_database_refuses_updates_and_deletes(three):
    for sql in ("UPDATE compliance_auditentry SET actor = 'x'", "DELETE FROM compliance_auditentry"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEntry.objects.count() == 3


def test_an_edited_entry_is_found(three):
    raw("UPDATE compliance_auditentry SET target = 'rec-2' WHERE seq = 2")
    with pytest.raises(CommandError, match="broken at entry #2: its content was changed after it was written"):
        call_command("verify_audit_log")


def test_a_removed_entry_is_found(three):
    raw("DELETE FROM compliance_auditentry WHERE seq = 2")
    assert verify_chain().seq == 2  # type: ignore[union-attr]
    assert verify_chain().reason == "entry #2 is missing"  # type: ignore[union-attr]


def test_a_rewritten_tail_is_found(three):
    # Rewriting an entry and its own hash still breaks the link from the next one.
    forged = three[1]
    raw(f"UPDATE compliance_auditentry SET actor = 'x', entry_hash = '{'f' * 64}' WHERE seq = {forged.seq}")
    broken = verify_chain()
    assert broken is not None and broken.seq == 2


def test_the_admin_cannot_add_change_or_delete(manager):
    from django.test import Client

    do_audit("ola", "recording.play", "rec-1")
    client = Client()
    signed_in(client, manager)
    entry = AuditEntry.objects.get()
    assert client.get("/admin/compliance/auditentry/").status_code == 200
    assert client.get("/admin/compliance/auditentry/add/").status_code == 403
    assert client.post(f"/admin/compliance/auditentry/{entry.pk}/delete/").status_code == 403
    assert AuditEntry.objects.count() == 1


def test_configuration_changes_in_the_admin_are_in_the_audit_log():
    from django.contrib.auth.models import User
    from django.test import Client

    from pbx.models import Prompt

    client = Client()
    signed_in(client, User.objects.create_superuser("ola", password="Ola-Long-Password-1"))
    url = "/admin/pbx/prompt/"
    stock = {"name": "Powitanie", "source": "stock", "sound": "hello-world"}
    assert client.post(f"{url}add/", stock).status_code == 302
    prompt = Prompt.objects.get()
    client.post(f"{url}{prompt.pk}/change/", {"name": "Powitanie", "source": "stock", "sound": "vm-goodbye"})
    client.post(f"{url}{prompt.pk}/delete/", {"post": "yes"}, REMOTE_ADDR="10.0.0.9")
    log = [(e.actor, e.action, e.target) for e in AuditEntry.objects.order_by("seq")]
    target = f"pbx.prompt:{prompt.pk}"
    assert log == [("ola", "config.add", target), ("ola", "config.change", target), ("ola", "config.delete", target)]
    change = AuditEntry.objects.get(action="config.change")
    assert change.detail == {"object": str(prompt), "change": [{"changed": {"fields": ["Stock sound"]}}]}
    assert AuditEntry.objects.get(action="config.delete").source == "10.0.0.9"
    assert verify_chain() is None


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.7", "127.0.0.1"),  # no proxy: the header is anyone's to write, and ignored
        (1, "203.0.113.7", "203.0.113.7"),  # one proxy, which appended the client's address
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the client wrote the first one itself
        (2, "203.0.113.7, 10.0.0.2", "203.0.113.7"),  # two proxies
        (2, "203.0.113.7", "127.0.0.1"),  # fewer entries than proxies: not trusted
    ],
)
def test_behind_the_proxy_the_audit_log_names_the_client_not_the_proxy(manager, settings, proxies, forwarded, expected):
    from django.test import Client

    from compliance.audit import client_address
    from tests.conftest import signed_in

    settings.TRUSTED_PROXY_COUNT = proxies
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_X_FORWARDED_FOR=forwarded), manager)
    client.post("/admin/pbx/prompt/add/", {"name": "Powitanie", "source": "stock", "sound": "hello-world"})
    entry = AuditEntry.objects.get(action="config.add")
    assert entry.source == expected
    login = client.post("/admin/login/", {"username": "x", "password": "y"}).wsgi_request
    assert client_address(login) == expected
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.get().ip_address == expected  # the lockout counts the same address
