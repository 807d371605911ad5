from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VoicemailConfig(AppConfig):
    name = "voicemail"
    verbose_name = _("Voicemail")
    default_auto_field = "django.db.models.BigAutoField"
