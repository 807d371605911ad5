"""Number porting: identifiers, names, Polish working days, the state machine and the command."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command

from company_numbers.models import CompanyNumber, PortingRequest
from company_numbers.porting.calendar import add_working_days, is_working_day, next_working_day
from company_numbers.porting.checks import identifier_problems, name_warnings
from company_numbers.porting.flow import PortingError, check, deadlines, do_create_request, do_move
from compliance.models import AuditEntry
from pbx.phone import InvalidPhoneNumber, to_e164
from tests.conftest import signed_in

TODAY = date(2026, 11, 23)  # a Monday
CHECKSUM = "The number's checksum or check digit is invalid."
BAD_PART = "One of the parts of the number are invalid or unknown."
# The command and the admin use the real today: give them a date that stays in the future.
IN_A_MONTH = next_working_day(date.today() + timedelta(days=30))
ACME = {
    "subscriber_type": "company",
    "subscriber_name": "ACME sp. z o.o.",
    "nip": "5261040828",
    "address": "ul. Prosta 1, 00-001 Warszawa",
    "current_operator": "Orange",
    "requested_date": date(2026, 12, 15),
}


@pytest.mark.parametrize(
    ("kind", "values", "expected"),
    [
        ("company", {"nip": "8567346215"}, []),
        ("company", {"nip": "5261040828"}, []),
        ("company", {"nip": "8567346216"}, [f"NIP '8567346216' is not valid: {CHECKSUM}"]),
        ("company", {"regon": "123456785"}, []),
        ("company", {"regon": "192598184"}, []),
        ("company", {"regon": "123456786"}, [f"REGON '123456786' is not valid: {CHECKSUM}"]),
        ("company", {"regon": "12345678512347"}, []),
        ("company", {"regon": "12345678512348"}, [f"REGON '12345678512348' is not valid: {CHECKSUM}"]),
        ("person", {"pesel": "44051401359"}, []),
        ("person", {"pesel": "02211307589"}, []),
        ("person", {"pesel": "44051401358"}, [f"PESEL '44051401358' is not valid: {CHECKSUM}"]),
        ("person", {"pesel": "44023001356"}, [f"PESEL '44023001356' is not valid: {BAD_PART}"]),  # born 30 February
    ],
)
def test_identifier_checksums(kind, values, expected):
    assert identifier_problems(kind, values) == expected


def test_identifiers_are_cross_checked_against_the_subscriber_type():
    assert identifier_problems("person", {"nip": "8567346215"}) == [
        "A person needs PESEL or identity document.",
        "NIP does not belong to a person: check the subscriber type.",
    ]
    assert identifier_problems("company", {"pesel": "44051401359"}) == [
        "A company needs NIP or REGON or register number (KRS/CEIDG).",
        "PESEL does not belong to a company: check the subscriber type.",
    ]
    assert identifier_problems("sole_trader", {"nip": "8567346215"}) == ["A sole trader needs PESEL or REGON."]
    assert identifier_problems("person", {"id_document": "ABC123456"}) == []


@pytest.mark.parametrize(
    ("entered", "on_record", "kinds"),
    [
        ("ACME sp. z o.o.", "ACME sp. z o.o.", None),
        ("ACME  sp. z o.o.", "ACME sp. z o.o.", "spacing"),
        ("Acme Sp. Z O.O.", "ACME sp. z o.o.", "letter case"),
        ('"Bud-Pol" sp.j.', "„Bud-Pol” sp.j.", "quotation marks"),
        ("ACME sp. z o.o.", "ACME spółka z ograniczoną odpowiedzialnością", "legal-form abbreviation"),
        ("Zakład Łączności", "Zaklad Lacznosci", "Polish letters (diacritics)"),
    ],
)
def test_name_differences_are_named_never_fixed(entered, on_record, kinds):
    warnings = name_warnings(entered, on_record)
    if kinds is None:
        assert warnings == []
    else:
        assert warnings == [
            f"The name differs from the operator's record ({on_record!r}) in {kinds}: use it exactly "
            "as on the operator's invoice, or the port will be rejected."
        ]


def test_a_different_name_is_called_different():
    assert name_warnings("Jan Kowalski", "Jan Kowalsky") == [
        "The name 'Jan Kowalski' is not the name the operator has on record ('Jan Kowalsky')."
    ]


@pytest.mark.parametrize(
    "raw", ["22 123 45 67", "22-123-45-67", "0048 22 123 45 67", "+48 22 123 45 67", "0 22 123 45 67", "+48221234567"]
)
def test_polish_numbers_are_normalised(raw):
    assert to_e164(raw) == "+48221234567"


def test_an_invalid_number_is_refused_by_name():
    with pytest.raises(InvalidPhoneNumber, match="'22 123' is not a valid phone number"):
        to_e164("22 123")


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 4, 2), 1, date(2026, 4, 3)),  # Maundy Thursday -> Good Friday (a working day)
        (date(2026, 4, 3), 1, date(2026, 4, 7)),  # Good Friday -> over Easter Monday
        (date(2026, 6, 3), 1, date(2026, 6, 5)),  # over Corpus Christi (Thursday 4 June 2026)
        (date(2025, 12, 23), 1, date(2025, 12, 29)),  # Christmas Eve is a day off from 2025
        (date(2024, 12, 23), 1, date(2024, 12, 24)),  # ...but not before
        (date(2026, 12, 30), 2, date(2027, 1, 4)),  # over New Year's Day and the weekend
        (date(2026, 11, 23), 14, date(2026, 12, 11)),  # 14 working days: the fixed-line decision
    ],
)
def test_working_days_skip_weekends_and_polish_holidays(start, days, expected):
    assert add_working_days(start, days) == expected


def test_a_deadline_on_a_day_off_moves_to_the_next_working_day():
    assert not is_working_day(date(2026, 11, 11)) and next_working_day(date(2026, 11, 11)) == date(2026, 11, 12)
    assert next_working_day(date(2026, 12, 24)) == date(2026, 12, 28)


@pytest.mark.django_db
class TestTheRequestsLife:
    def make(self, **changes) -> PortingRequest:
        return do_create_request({**ACME, **changes}, ["22 123 45 67", "22 123 45 68"], actor="it")

    def test_creation_reserves_the_numbers_as_porting_in_and_they_do_not_route(self):
        request = self.make()
        numbers = CompanyNumber.objects.order_by("e164")
        assert [(n.e164, n.status, n.kind) for n in numbers] == [
            ("+48221234567", "porting_in", "geographic"),
            ("+48221234568", "porting_in", "geographic"),
        ]
        assert request.state == "draft" and AuditEntry.objects.get().action == "porting.create"
        from pbx.directory import load_directory

        assert load_directory().numbers == {}

    def test_a_bad_number_or_field_writes_nothing(self):
        with pytest.raises(PortingError, match="'22 12' is not a valid phone number"):
            do_create_request(ACME, ["22 123 45 67", "22 12"], actor="it")
        with pytest.raises(Exception, match="subscriber_type"):
            do_create_request({**ACME, "subscriber_type": "alien"}, ["22 123 45 67"], actor="it")
        assert not PortingRequest.objects.exists() and not CompanyNumber.objects.exists()

    def test_validation_lists_every_problem_at_once(self):
        request = self.make(nip="8567346216", requested_date=date(2026, 12, 26))
        findings = check(request, TODAY)
        assert findings.problems == [
            "NIP '8567346216' is not valid: The number's checksum or check digit is invalid.",
            "The requested porting date 2026-12-26 is not a working day; the next one is 2026-12-28.",
        ]
        with pytest.raises(PortingError, match="not ready"):
            do_move(request, "validated", "it", TODAY)
        assert PortingRequest.objects.get().state == "draft"

    def test_the_happy_path_to_completion_makes_the_numbers_active(self):
        request = self.make()
        for state in ("validated", "submitted", "accepted"):
            do_move(request, state, "it", TODAY)
        assert [(d.what, d.due) for d in deadlines(request)][:1] == [("last day to withdraw", date(2026, 12, 13))]
        do_move(request, "scheduled", "it", TODAY, port_date=date(2026, 12, 15))
        with pytest.raises(PortingError, match="has not come yet"):
            do_move(request, "completed", "it", TODAY)
        do_move(request, "completed", "it", date(2026, 12, 15))
        assert set(CompanyNumber.objects.values_list("status", flat=True)) == {"active"}
        assert [e.action for e in AuditEntry.objects.order_by("seq")][1:] == [
            "porting.validated",
            "porting.submitted",
            "porting.accepted",
            "porting.scheduled",
            "porting.completed",
        ]

    def test_the_operator_decision_deadline_counts_working_days(self):
        request = self.make()
        do_move(request, "validated", "it", TODAY)
        do_move(request, "submitted", "it", TODAY)
        first = deadlines(request)[0]
        assert (first.what, first.due, first.note) == (
            "operator decides",
            date(2026, 12, 11),
            "14 working days from submission",
        )

    @pytest.mark.parametrize(
        ("state", "to", "message"),
        [
            ("draft", "submitted", "A draft request cannot become submitted; allowed: validated, withdrawn."),
            ("completed", "withdrawn", "A completed request cannot become withdrawn; allowed: none (it is final)."),
            ("submitted", "rejected", "Say why the request is rejected (reason)."),
            ("accepted", "scheduled", "Give the porting date the operator confirmed."),
            ("draft", "lost", "Unknown state 'lost'"),
        ],
    )
    def test_refused_moves_say_why_and_change_nothing(self, state, to, message):
        request = self.make()
        PortingRequest.objects.filter(pk=request.pk).update(state=state)
        request.refresh_from_db()
        with pytest.raises(PortingError, match=message.replace("(", r"\(").replace(")", r"\)")):
            do_move(request, to, "it", TODAY)
        assert PortingRequest.objects.get().state == state

    def test_rejection_keeps_the_reason_and_allows_a_fixed_resubmission(self):
        request = self.make()
        do_move(request, "validated", "it", TODAY)
        do_move(request, "submitted", "it", TODAY)
        do_move(request, "rejected", "it", TODAY, reason="nazwa niezgodna z umową")
        assert request.reason == "nazwa niezgodna z umową"
        do_move(request, "draft", "it", TODAY)

    def test_withdrawal_closes_at_the_cut_off(self):
        request = self.make()
        with pytest.raises(PortingError, match="Too late to withdraw: the last day was 2026-12-13"):
            do_move(request, "withdrawn", "it", date(2026, 12, 14), reason="zmiana planów")
        do_move(request, "withdrawn", "it", date(2026, 12, 13), reason="zmiana planów")
        assert set(CompanyNumber.objects.values_list("status", flat=True)) == {"reserved"}


@pytest.mark.django_db
def test_the_command_creates_validates_advances_and_lists(tmp_path, capsys):
    path = tmp_path / "ports.json"
    path.write_text(
        json.dumps(
            [
                {
                    "type": "company",
                    "name": "ACME sp. z o.o.",
                    "nip": "5261040828",
                    "address": "ul. Prosta 1",
                    "operator": "Orange",
                    "date": IN_A_MONTH.isoformat(),
                    "numbers": ["22 123 45 67"],
                }
            ]
        )
    )
    call_command("porting", "create", "--file", str(path))
    out = capsys.readouterr().out
    pk = PortingRequest.objects.get().pk
    assert f"created porting request #{pk} (22 123 45 67)" in out and "do not terminate" in out.lower()
    call_command("porting", "advance", str(pk), "validated")
    call_command("porting", "status", str(pk))
    status = capsys.readouterr().out
    assert "validated" in status and "+48221234567" in status and "last day to withdraw" in status
    call_command("porting", "list")
    assert f"#{pk}\tvalidated\t+48221234567" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_command_refuses_bad_input_with_the_reason_and_writes_nothing(tmp_path):
    with pytest.raises(CommandError, match="There is no porting request #99"):
        call_command("porting", "status", "99")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CommandError, match="is not valid JSON"):
        call_command("porting", "create", "--file", str(bad))
    with pytest.raises(CommandError, match="requested_date"):
        call_command(
            "porting",
            "create",
            "--type",
            "company",
            "--name",
            "X",
            "--nip",
            "5261040828",
            "--address",
            "a",
            "--operator",
            "o",
            "--number",
            "22 123 45 67",
        )
    assert not PortingRequest.objects.exists() and not CompanyNumber.objects.exists()
    request = do_create_request({**ACME, "nip": "8567346216"}, ["22 123 45 67"], actor="it")
    with pytest.raises(CommandError, match="has 1 problem"):
        call_command("porting", "validate", str(request.pk))


def test_validate_exits_non_zero_from_the_shell():
    """A CommandError is exit code 1 for scripts; checked on the real entry point."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "manage.py", "porting", "validate", "abc"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2 and "invalid int value: 'abc'" in result.stderr


@pytest.mark.django_db
def test_the_office_manager_moves_a_request_in_the_admin_and_sees_what_is_wrong():
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    signed_in(client, User.objects.create_superuser("ola", password="Ola-Long-Password-1"))
    request = do_create_request(
        {**ACME, "nip": "8567346216", "requested_date": IN_A_MONTH}, ["22 123 45 67"], actor="it"
    )
    page = client.get(f"/admin/numbers/portingrequest/{request.pk}/change/").content.decode()
    # The office manager reads the findings in the admin's language, Polish by default.
    assert "NIP &#x27;8567346216&#x27; jest niepoprawny" in page and "Nie wypowiadaj sam umowy" in page
    url = "/admin/numbers/portingrequest/"
    client.post(url, {"action": "validate", "_selected_action": [request.pk]})
    assert PortingRequest.objects.get().state == "draft"
    client.post(url, {"action": "withdraw", "_selected_action": [request.pk], "reason": ""})
    assert PortingRequest.objects.get().state == "draft"  # no reason, no withdrawal
    client.post(url, {"action": "withdraw", "_selected_action": [request.pk], "reason": "rezygnacja"})
    assert (PortingRequest.objects.get().state, PortingRequest.objects.get().reason) == ("withdrawn", "rezygnacja")
