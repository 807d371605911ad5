"""Export everything about a phone number for a data-subject access request (art. 15)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from compliance.dsar import InvalidPhoneNumber, do_export


class Command(BaseCommand):
    help = "Write a ZIP with the number's calls, decrypted recordings, callbacks and purposes."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--number", required=True, help="the person's phone number, any usual form")
        parser.add_argument("--output", required=True, type=Path, help="the ZIP file to write")
        parser.add_argument("--actor", default="cli", help="who asked for the export (for the audit log)")

    def handle(self, *args: Any, number: str, output: Path, actor: str, **options: Any) -> None:
        if output.exists():
            raise CommandError(f"{output} already exists; choose another name (nothing was written)")
        if not output.parent.is_dir():
            raise CommandError(f"folder {output.parent} does not exist (nothing was written)")
        try:
            found = do_export(number, output, actor)
        except InvalidPhoneNumber as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{output}: {len(found.calls)} calls, {len(found.recordings)} recordings, {len(found.callbacks)} callbacks"
        )
