from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompanyNumbersConfig(AppConfig):
    # The package is not called "numbers": that would shadow Python's standard library
    # module of the same name (imported by decimal, fractions and many libraries).
    name = "company_numbers"
    label = "numbers"
    verbose_name = _("Company numbers")
