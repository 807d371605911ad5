from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from pbx.models import Call

        from .summary import forget_day_of

        # a call of a day already counted, written or deleted afterwards: count the day again
        post_save.connect(forget_day_of, sender=Call, dispatch_uid="reports.forget_day_of.save")
        post_delete.connect(forget_day_of, sender=Call, dispatch_uid="reports.forget_day_of.delete")
