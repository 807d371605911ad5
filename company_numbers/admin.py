from typing import Any

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from company_numbers.models import CompanyNumber
from pbx.admin import apply_config_and_report


@admin.register(CompanyNumber)
class CompanyNumberAdmin(admin.ModelAdmin):
    list_display = ["e164", "label", "greeting", "record_seconds"]
    search_fields = ["e164", "label"]

    def save_model(self, request: HttpRequest, obj: CompanyNumber, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        transaction.on_commit(lambda: apply_config_and_report(request))
