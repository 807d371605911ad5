"""Check the audit log's hash chain; exit 1 and name the first broken entry if tampered with."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from compliance.audit import verify_chain
from compliance.models import AuditEntry


class Command(BaseCommand):
    help = "Verify that no audit log entry was changed, removed or inserted."

    def handle(self, *args: Any, **options: Any) -> None:
        broken = verify_chain()
        if broken is not None:
            raise CommandError(f"audit log broken at entry #{broken.seq}: {broken.reason}")
        self.stdout.write(self.style.SUCCESS(f"audit log intact: {AuditEntry.objects.count()} entries"))
