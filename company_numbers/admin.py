from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from company_numbers.actions import do_delete_number
from company_numbers.models import CompanyNumber, PortedNumber, PortingReminder, PortingRequest
from company_numbers.porting.flow import ADVICE, PortingError, check, deadlines, do_move
from compliance.admin_audit import AuditedModelAdmin
from compliance.audit import client_address
from pbx.admin.pushing import pushing_config, report_problems


@admin.register(CompanyNumber)
class CompanyNumberAdmin(AuditedModelAdmin):
    list_display = ["e164", "label", "kind", "status", "scenario", "is_main", "emergency_address"]
    list_filter = ["status", "kind"]
    search_fields = ["e164", "label"]

    def save_model(self, request: HttpRequest, obj: CompanyNumber, form: Any, change: bool) -> None:
        previous = CompanyNumber.objects.filter(is_main=True).exclude(pk=obj.pk).first() if obj.is_main else None
        with pushing_config(request, f"company number {obj.e164} saved"):
            super().save_model(request, obj, form, change)
        if previous is not None:
            text = _("%(old)s is no longer the main number: %(new)s is.") % {"old": previous, "new": obj}
            messages.info(request, text)
        transaction.on_commit(lambda: report_problems(request))

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        # do_delete_number audits each deletion itself; Django's own history still records it.
        return admin.ModelAdmin.log_deletions(self, request, queryset)

    def delete_model(self, request: HttpRequest, obj: CompanyNumber) -> None:
        with pushing_config(request, f"company number {obj.e164} deleted"):
            do_delete_number(obj, request.user.get_username(), source=client_address(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CompanyNumber]) -> None:
        with pushing_config(request, "company numbers deleted"):
            for number in queryset:
                do_delete_number(number, request.user.get_username(), source=client_address(request))


class PortedNumberInline(admin.TabularInline):
    model = PortedNumber
    extra = 0
    can_delete = False
    readonly_fields = ["number"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PortingReminderInline(admin.TabularInline):
    """The e-mails the scheduler sent about this request's deadlines (read only)."""

    model = PortingReminder
    extra = 0
    can_delete = False
    fields = ("deadline", "due", "kind", "sent_at", "sent_to")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MoveActionForm(ActionForm):
    reason = forms.CharField(label=_("reason"), required=False, max_length=300)
    port_date = forms.DateField(label=_("porting date"), required=False)


@admin.register(PortingRequest)
class PortingRequestAdmin(AuditedModelAdmin):
    """Requests are created with their numbers by `manage.py porting create` or here; moves go
    through the actions, so every rule of company_numbers/porting/flow.py applies."""

    list_display = ["pk", "subscriber_name", "state", "current_operator", "requested_date", "port_date"]
    list_filter = ["state", "subscriber_type"]
    search_fields = ["subscriber_name", "nip", "numbers__number__e164"]
    readonly_fields = ["state", "submitted_on", "port_date", "reason", "findings", "due"]
    inlines = [PortedNumberInline, PortingReminderInline]
    actions = ["validate", "submit", "accept", "schedule", "complete", "reject", "withdraw", "to_draft"]
    action_form = MoveActionForm

    @admin.display(description=_("problems and warnings"))
    def findings(self, obj: PortingRequest) -> str:
        found = check(obj, timezone.localdate())
        lines = [f"✗ {p}" for p in found.problems] + [f"! {w}" for w in found.warnings] + [f"i {a}" for a in ADVICE]
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))

    @admin.display(description=_("what is due when"))
    def due(self, obj: PortingRequest) -> str:
        return format_html_join(mark_safe("<br>"), "{}: {} ({})", ((d.due, d.what, d.note) for d in deadlines(obj)))

    def _move(self, request: HttpRequest, queryset: QuerySet[PortingRequest], to: str) -> None:
        reason = request.POST.get("reason", "")
        try:
            port_date = forms.DateField(required=False).clean(request.POST.get("port_date", ""))
        except forms.ValidationError:
            messages.error(request, _("The porting date must be a date, e.g. 2026-12-15."))
            return
        for porting in queryset:
            try:
                do_move(
                    porting, to, request.user.get_username(), timezone.localdate(), reason=reason, port_date=port_date
                )
            except PortingError as exc:
                messages.error(request, f"#{porting.pk}: {exc}")
            else:
                messages.success(request, f"#{porting.pk}: {porting.get_state_display()}")

    @admin.action(description=_("Validate (list every problem)"), permissions=["change"])
    def validate(self, request: HttpRequest, queryset: QuerySet[PortingRequest]) -> None:
        self._move(request, queryset, PortingRequest.State.VALIDATED)

    @admin.action(description=_("Mark as submitted to the operator"), permissions=["change"])
    def submit(self, request: HttpRequest, queryset: QuerySet[PortingRequest]) -> None:
        self._move(request, queryset, PortingRequest.State.SUBMITTED)

    @admin.action(description=_("Mark as accepted by the operator"), permissions=["change"])
    def accept(self, request: HttpRequest, queryset: QuerySet[PortingRequest]) -> None:
        self._move(request, queryset, PortingRequest.State.ACCEPTED)

    @admin.action(description=_("Mark as completed (the numbers start taking calls)"), permissions=["change"])
    def complete(self, request: HttpRequest, queryset: QuerySet[PortingRequest]) -> None:
        self._move(request, queryset, PortingRequest.State.COMPLETED)

    @admin.action(description=_("Schedule (give the porting date beside the action)"), permissions=["change"])
    def schedule(self, request: HttpRequest, queryset: QuerySet[PortingRequest]) -> None:
        self._move(request, queryset, PortingRequest.State.SCHEDULED)

    @admin.action(description=_("Mark as rejected by the operator (give the reason)"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[PortingRequest]) -> None:
        self._move(request, queryset, PortingRequest.State.REJECTED)

    @admin.action(description=_("Withdraw (give the reason)"), permissions=["change"])
    def withdraw(self, request: HttpRequest, queryset: QuerySet[PortingRequest]) -> None:
        self._move(request, queryset, PortingRequest.State.WITHDRAWN)

    @admin.action(description=_("Back to draft (to correct it)"), permissions=["change"])
    def to_draft(self, request: HttpRequest, queryset: QuerySet[PortingRequest]) -> None:
        self._move(request, queryset, PortingRequest.State.DRAFT)
