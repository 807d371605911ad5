from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "jobs"
    verbose_name = _("Background jobs")

    def ready(self) -> None:
        from .schedule import ensure_schedules

        # every migrate (each deploy, `make run`, the test database) puts the schedules right,
        # once django-q2's tables exist (this app has no models, so no signal of its own)
        post_migrate.connect(ensure_schedules, dispatch_uid="jobs.ensure_schedules")
