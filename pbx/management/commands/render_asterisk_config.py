"""Render Asterisk's config from the templates and the database, and reload what changed."""

import asyncio
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pbx.ari.client import AriClient, AriError
from pbx.asterisk_config import ConfigError, render_all, write_config


class Command(BaseCommand):
    help = "Render Asterisk's config files into ASTERISK_CONFIG_DIR and reload changed modules."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", type=Path, help="folder to write to (default: ASTERISK_CONFIG_DIR)")
        parser.add_argument("--reload", action="store_true", help="reload changed modules through ARI")

    def handle(self, *args: Any, output: Path | None, reload: bool, **options: Any) -> None:
        directory = output or Path(settings.ASTERISK_CONFIG_DIR)
        try:
            result = write_config(directory, render_all())
        except ConfigError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{directory}: {len(result.changed)} changed, {len(result.unchanged)} unchanged")
        for name in result.changed:
            self.stdout.write(f"  wrote {name}")
        if reload and result.changed:
            self._reload(result.modules_to_reload)
            for name in result.needs_restart:
                self.stdout.write(self.style.WARNING(f"  {name} takes effect when Asterisk restarts"))

    def _reload(self, modules: list[str]) -> None:
        try:
            asyncio.run(reload_modules(modules))
        except AriError as exc:
            raise CommandError(f"config written, but reloading Asterisk failed: {exc}") from exc
        for module in modules:
            self.stdout.write(f"  reloaded {module}")


async def reload_modules(modules: list[str]) -> None:
    async with AriClient.from_settings() as ari:
        for module in modules:
            await ari.reload_module(module)
