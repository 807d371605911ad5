"""Porting requests for the IT person: create, validate, status, advance, list.

    manage.py porting create --type company --name "ACME sp. z o.o." --nip 5261040828 \
        --address "ul. Prosta 1, 00-001 Warszawa" --operator Orange --date 2026-12-15 --number "22 123 45 67"
    manage.py porting create --file requests.json      (a list of objects, or a CSV with a header row)
    manage.py porting validate 7       every problem at once; exit code 1 if there is any
    manage.py porting status 7         state, numbers, warnings, deadlines
    manage.py porting advance 7 submitted | rejected --reason "..." | scheduled --date 2026-12-15 | completed
    manage.py porting list             open requests with what is due next
    manage.py porting remind [--days 3] [--dry-run]    e-mail deadlines coming up or overdue, once each
"""

import argparse
import csv
import json
from datetime import date
from pathlib import Path
from smtplib import SMTPException
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from company_numbers.models import PortingRequest
from company_numbers.porting.flow import ADVICE, OPEN, PortingError, check, deadlines, do_create_request, do_move
from company_numbers.porting.reminders import do_send_reminders

FIELDS = {  # option -> model field
    "type": "subscriber_type",
    "name": "subscriber_name",
    "name_on_record": "name_on_record",
    "pesel": "pesel",
    "id_document": "id_document",
    "nip": "nip",
    "regon": "regon",
    "register_number": "register_number",
    "address": "address",
    "correspondence_address": "correspondence_address",
    "installation_address": "installation_address",
    "operator": "current_operator",
    "contract_end": "contract_end_date",
    "notice": "notice",
    "date": "requested_date",
}


class Command(BaseCommand):
    help = "Create, check and move number-porting requests."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="a new draft request")
        create.add_argument("--file", type=Path, help="JSON (list of objects) or CSV with these option names")
        for option in FIELDS:
            create.add_argument(f"--{option.replace('_', '-')}", dest=option, default="")
        create.add_argument("--number", action="append", default=[], help="repeat for several numbers")
        for name in ("validate", "status"):
            sub.add_parser(name).add_argument("id", type=int)
        advance = sub.add_parser("advance", help="move to a new state")
        advance.add_argument("id", type=int)
        advance.add_argument("state", choices=[s.value for s in PortingRequest.State])
        advance.add_argument("--reason", default="")
        advance.add_argument("--date", type=date.fromisoformat, help="the porting date (for 'scheduled')")
        sub.add_parser("list", help="open requests and what is due")
        remind = sub.add_parser("remind", help="e-mail the deadlines coming up or overdue (daily, by the scheduler)")
        remind.add_argument("--days", type=int, default=None, help="how far ahead (PORTING_REMINDER_DAYS)")
        remind.add_argument("--dry-run", action="store_true", help="print them; send and record nothing")
        remind.add_argument("--today", type=date.fromisoformat, default=None, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            getattr(self, f"_{action}")(options)
        except (PortingError, ValidationError) as exc:
            raise CommandError(_message(exc)) from exc

    def _create(self, options: dict[str, Any]) -> None:
        rows = _read_file(options["file"]) if options["file"] else [options]
        for row in rows:  # each in its own transaction: one bad row never half-writes another
            fields = {model: row.get(option) for option, model in FIELDS.items() if row.get(option)}
            numbers = row.get("number") or row.get("numbers") or []
            numbers = numbers.split(";") if isinstance(numbers, str) else numbers
            request = do_create_request(fields, numbers, actor="manage.py")
            self.stdout.write(f"created porting request #{request.pk} ({', '.join(numbers)})")
        for advice in ADVICE:
            self.stdout.write(f"note: {advice}")

    def _validate(self, options: dict[str, Any]) -> None:
        request = _get(options["id"])
        findings = check(request, timezone.localdate())
        for warning in findings.warnings:
            self.stdout.write(f"warning: {warning}")
        if findings.problems:
            raise CommandError(
                f"request #{request.pk} has {len(findings.problems)} problem(s):\n- " + "\n- ".join(findings.problems)
            )
        self.stdout.write(f"request #{request.pk} is ready to submit")

    def _status(self, options: dict[str, Any]) -> None:
        request = _get(options["id"])
        self.stdout.write(f"#{request.pk} {request.subscriber_name}: {request.state}")
        self.stdout.write("numbers: " + ", ".join(p.number.e164 for p in request.numbers.select_related("number")))
        if request.reason:
            self.stdout.write(f"reason: {request.reason}")
        for warning in check(request, timezone.localdate()).warnings:
            self.stdout.write(f"warning: {warning}")
        for deadline in deadlines(request):
            self.stdout.write(f"{deadline.due}  {deadline.what} ({deadline.note})")

    def _advance(self, options: dict[str, Any]) -> None:
        request = do_move(
            _get(options["id"]),
            options["state"],
            actor="manage.py",
            today=timezone.localdate(),
            reason=options["reason"],
            port_date=options["date"],
        )
        self.stdout.write(f"request #{request.pk} is now {request.state}")

    def _remind(self, options: dict[str, Any]) -> None:
        try:
            texts = do_send_reminders(today=options["today"], horizon_days=options["days"], dry_run=options["dry_run"])
        except (OSError, SMTPException) as exc:
            raise CommandError(f"The reminders could not be e-mailed ({exc}); nothing is marked sent.") from exc
        for text in texts:
            self.stdout.write(f"- {text}")
        verb = "would send" if options["dry_run"] else "sent"
        self.stdout.write(f"{verb} {len(texts)} porting reminder(s)" if texts else "no porting deadline to remind of")

    def _list(self, options: dict[str, Any]) -> None:
        requests = PortingRequest.objects.filter(state__in=OPEN).prefetch_related("numbers__number")
        for request in requests:
            due = deadlines(request)
            next_due = f"{due[0].due} {due[0].what}" if due else "-"
            numbers = ",".join(p.number.e164 for p in request.numbers.all())
            self.stdout.write(f"#{request.pk}\t{request.state}\t{numbers}\t{next_due}\t{request.subscriber_name}")
        if not requests:
            self.stdout.write("no open porting requests")


def _get(pk: int) -> PortingRequest:
    request = PortingRequest.objects.filter(pk=pk).first()
    if request is None:
        raise CommandError(f"There is no porting request #{pk}.")
    return request


def _read_file(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
    if path.suffix.lower() == ".csv":
        return list(csv.DictReader(text.splitlines()))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"{path} is not valid JSON: {exc}") from exc
    rows = data if isinstance(data, list) else [data]
    if not all(isinstance(row, dict) for row in rows):
        raise CommandError(f"{path}: expected an object or a list of objects")
    return rows


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and hasattr(exc, "message_dict"):
        return "; ".join(f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items())
    return str(exc)
