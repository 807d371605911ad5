"""Demo data for a first look: a company number with a greeting, three extensions."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from company_numbers.models import CompanyNumber
from pbx.actions import do_create_extension
from pbx.models import Extension, Prompt

DEMO_NUMBER = "+48221234567"
DEMO_EXTENSIONS = [("101", "Anna Nowak"), ("102", "Piotr Kowalski"), ("103", "Recepcja")]


class Command(BaseCommand):
    help = "Load demo data (idempotent). New SIP passwords are written to var/demo-phones.txt."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            greeting, _ = Prompt.objects.get_or_create(name="Powitanie (demo)", defaults={"sound": "hello-world"})
            CompanyNumber.objects.get_or_create(
                e164=DEMO_NUMBER,
                defaults={"label": "Biuro (demo)", "greeting": greeting, "record_seconds": 3},
            )
            created = [
                do_create_extension(number, name)
                for number, name in DEMO_EXTENSIONS
                if not Extension.objects.filter(number=number).exists()
            ]
        if created:
            self._write_credentials(created)
        self.stdout.write(f"demo data ready: number {DEMO_NUMBER}, extensions 101-103")

    def _write_credentials(self, created: list[tuple[Extension, str]]) -> None:
        path = Path(settings.VAR_DIR) / "demo-phones.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"{ext.number}\t{password}\t{ext.display_name}" for ext, password in created]
        with path.open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        path.chmod(0o600)
        self.stdout.write(f"SIP passwords of new extensions written to {path} (shown nowhere else)")
