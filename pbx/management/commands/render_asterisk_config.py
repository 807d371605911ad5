"""Render Asterisk's config from the templates and the database, and reload what changed."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pbx.ari.client import AriError
from pbx.asterisk_config import ConfigError, apply_config


class Command(BaseCommand):
    help = "Render Asterisk's config files into ASTERISK_CONFIG_DIR and reload changed modules."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", type=Path, help="folder to write to (default: ASTERISK_CONFIG_DIR)")
        parser.add_argument("--reload", action="store_true", help="reload changed modules through ARI")

    def handle(self, *args: Any, output: Path | None, reload: bool, **options: Any) -> None:
        try:
            result = apply_config(output, reload=reload)
        except ConfigError as exc:
            raise CommandError(str(exc)) from exc
        except AriError as exc:
            raise CommandError(f"config written, but Asterisk did not reload it: {exc}") from exc
        self.stdout.write(f"{len(result.changed)} changed, {len(result.unchanged)} unchanged")
        for name in result.changed:
            self.stdout.write(f"  wrote {name}")
        if reload:
            for module in result.modules_to_reload:
                self.stdout.write(f"  reloaded {module}")
            for name in result.needs_restart:
                self.stdout.write(self.style.WARNING(f"  {name} takes effect when Asterisk restarts"))
