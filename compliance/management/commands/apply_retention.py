"""Delete recordings past their retention period (dry run unless --apply)."""

from typing import Any

from django.core.management.base import BaseCommand

from compliance.retention import do_apply_retention


class Command(BaseCommand):
    help = "Delete expired recordings not on legal hold, keeping a tombstone each. Dry run unless --apply."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--apply", action="store_true", help="really delete (default: only report)")

    def handle(self, *args: Any, apply: bool, **options: Any) -> None:
        def progress(done: int, total: int) -> None:
            if done == total or done % 100 == 0:
                self.stdout.write(f"  {done}/{total} deleted" if apply else f"  {done}/{total} checked")

        result = do_apply_retention(apply, progress)
        mode = "" if apply else "DRY RUN (nothing deleted; use --apply): "
        self.stdout.write(
            f"{mode}{result.expired} expired, {result.deleted} deleted, {result.held} kept on legal hold"
            + (f", {result.orphan_files} leftover files removed" if result.orphan_files else "")
        )
