from typing import Any

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from company_numbers.models import CompanyNumber
from compliance.admin_audit import AuditedModelAdmin
from pbx.admin.config import apply_config_and_report, report_problems


@admin.register(CompanyNumber)
class CompanyNumberAdmin(AuditedModelAdmin):
    list_display = ["e164", "label", "scenario", "is_main"]
    search_fields = ["e164", "label"]

    def save_model(self, request: HttpRequest, obj: CompanyNumber, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        transaction.on_commit(lambda: apply_config_and_report(request))
        transaction.on_commit(lambda: report_problems(request))
