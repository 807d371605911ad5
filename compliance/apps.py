from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    """GDPR (RODO): processing purposes, retention, data-subject requests, audit (issue 4)."""

    name = "compliance"
    verbose_name = _("Data protection (GDPR)")
