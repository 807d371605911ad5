"""Health checks for containers and monitoring: `python manage.py healthcheck web|stasis|asterisk`.
Exit code 0 when healthy, 1 with the reason otherwise."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from pbx.ari.client import AriError
from pbx.asterisk import run_with_ari
from pbx.stasis.health import health_file, problem, read_report, worker_spool


class Command(BaseCommand):
    help = "Exit 0 when the named part is healthy: web (database), asterisk (ARI answers), stasis (app connected)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("part", choices=["web", "asterisk", "stasis"])

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['part']}")()
        self.stdout.write("ok")

    def _web(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as exc:
            raise CommandError(f"the database does not answer: {exc}") from exc

    def _asterisk(self) -> None:
        try:
            run_with_ari(lambda ari: ari.ping())
        except AriError as exc:
            raise CommandError(f"Asterisk's ARI does not answer: {exc}") from exc

    def _stasis(self) -> None:
        """The app's own report (pbx/health.py): Asterisk keeps listing an app that subscribed
        to endpoints after its websocket is gone, so ARI cannot tell a connected app."""
        troubles = []
        for worker in range(1, settings.STASIS_WORKERS + 1):
            trouble = problem(read_report(health_file(worker_spool(settings.STASIS_SPOOL_DIR, worker))))
            if trouble:
                troubles.append(f"worker {worker}: {trouble}" if settings.STASIS_WORKERS > 1 else trouble)
        if troubles:
            raise CommandError("; ".join(troubles))
