"""The office manager's security screens: failed logins with the top offenders, bans (made
automatically or by hand, lifted by hand), the never-ban list, and toll-fraud alerts."""

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Max, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from compliance.admin_audit import AuditedModelAdmin, ReadOnlyAdmin
from security.actions import do_ban, do_lift_ban, never_banned
from security.models import AllowedNetwork, EmergencyCall, SipAuthFailure, SipBan, TollFraudAlert

from . import admin_signins  # noqa: F401 - registers the sign-in and two-step screens


@admin.register(SipAuthFailure)
class SipAuthFailureAdmin(ReadOnlyAdmin):
    list_display = ["at", "source", "event", "account", "service", "transport"]
    list_filter = ["event", "service"]
    search_fields = ["source", "account"]
    date_hierarchy = "at"

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """Above the list: who tried most in the last 7 days, and whether they are banned now."""
        since = timezone.now() - timedelta(days=7)
        top = (
            SipAuthFailure.objects.filter(at__gte=since)
            .values("source")
            .annotate(attempts=Count("id"), last=Max("at"))
            .order_by("-attempts")[:10]
        )
        banned = set(SipBan.objects.active().values_list("source", flat=True))
        offenders = [{**row, "banned": row["source"] in banned} for row in top]
        return super().changelist_view(request, {**(extra_context or {}), "offenders": offenders})


class BanForm(forms.ModelForm):
    minutes = forms.IntegerField(
        label=_("for how many minutes"), required=False, min_value=1, help_text=_("Empty: until lifted by hand.")
    )

    class Meta:
        model = SipBan
        fields = ["source", "reason"]

    def clean_source(self) -> str:
        source = self.cleaned_data["source"]
        if never_banned(source):
            raise forms.ValidationError(_("%(s)s is on the never-ban list.") % {"s": source})
        return source


@admin.register(SipBan)
class SipBanAdmin(admin.ModelAdmin):
    list_display = ["source", "reason", "banned_at", "until", "banned_by", "is_active", "lifted_at", "lifted_by"]
    list_filter = ["banned_by"]
    search_fields = ["source", "reason"]
    actions = ["lift"]
    form = BanForm

    @admin.display(boolean=True, description=_("active"))
    def is_active(self, obj: SipBan) -> bool:
        return obj.active

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_fields(request, obj))
        return fields if obj is None else [f for f in fields if f != "minutes"]  # a ban as it stands: "until"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # lift instead: the history of bans stays

    def save_model(self, request: HttpRequest, obj: SipBan, form: Any, change: bool) -> None:
        try:
            ban = do_ban(obj.source, obj.reason, request.user.get_username(), minutes=form.cleaned_data["minutes"])
        except ValueError as exc:
            messages.error(request, str(exc))
            return
        obj.pk = ban.pk

    @admin.action(description=_("Lift the selected bans"), permissions=["change"])
    def lift(self, request: HttpRequest, queryset: QuerySet[SipBan]) -> None:
        for ban in queryset:
            do_lift_ban(ban, request.user.get_username())
        messages.success(request, _("%(n)d ban(s) lifted.") % {"n": len(queryset)})


@admin.register(AllowedNetwork)
class AllowedNetworkAdmin(AuditedModelAdmin):
    list_display = ["network", "note"]


class AlertAdmin(ReadOnlyAdmin):
    """Alerts written by Centrala: read-only, but whoever may change them marks them as seen."""

    actions = ["mark_seen"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        meta = self.model._meta
        return request.user.has_perm(f"{meta.app_label}.change_{meta.model_name}")

    @admin.action(description=_("Mark as seen"), permissions=["change"])
    def mark_seen(self, request: HttpRequest, queryset: QuerySet[Any]) -> TemplateResponse | None:
        queryset.filter(seen_by="").update(seen_by=request.user.get_username())
        return None


@admin.register(TollFraudAlert)
class TollFraudAlertAdmin(AlertAdmin):
    list_display = ["at", "kind", "extension", "number", "country", "seen_by"]
    list_filter = ["kind", "country"]
    search_fields = ["extension", "number"]
    fields = readonly_fields = ("at", "kind", "extension", "number", "country", "call", "seen_by", "guard_said")

    @admin.display(description=_("the guard's own words (for support)"))
    def guard_said(self, obj: TollFraudAlert) -> str:
        return format_html("<code>{}</code>", obj.message)


@admin.register(EmergencyCall)
class EmergencyCallAdmin(AlertAdmin):
    """Emergency calls from staff phones; unseen ones stand at the top of the admin's home page."""

    list_display = ["at", "extension", "number", "shown", "seen_by"]
    search_fields = ["extension", "number"]
