from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from api.actions import TokenError, do_create_token, do_revoke_token
from api.models import ApiToken, WebhookDelivery, WebhookEndpoint
from api.scopes import SCOPES
from api.webhooks import EVENTS, do_resend
from compliance.admin_audit import AuditedModelAdmin, ReadOnlyAdmin


class NewTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=lambda: [(s, format_html("{}: <code>{}</code>", gettext(what), s)) for s, what in SCOPES.items()],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ApiToken
        fields = ["name", "user", "scopes"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """The token is shown once, in the message after saving; only its digest is kept."""

    list_display = ["name", "user", "scope_list", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    readonly_fields = ["name", "user", "scopes", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description=_("scopes"))
    def scope_list(self, obj: ApiToken) -> str:
        return ", ".join(obj.scopes)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = NewTokenForm
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.readonly_fields if obj else []

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            return
        try:
            row, token = do_create_token(obj.name, obj.user, form.cleaned_data["scopes"], request.user.get_username())
        except TokenError as exc:
            messages.error(request, str(exc))
            return
        obj.pk = row.pk
        messages.warning(
            request, _("Token for %(name)s, shown only now: %(token)s") % {"name": row.name, "token": token}
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the audit log keeps naming it

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            do_revoke_token(token, request.user.get_username())
        messages.success(request, _("%(n)d token(s) revoked.") % {"n": len(queryset)})


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=lambda: [(e, format_html("{}: <code>{}</code>", gettext(what), e)) for e, what in EVENTS.items()],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "events", "active", "secret"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AuditedModelAdmin):
    list_display = ["name", "url", "active", "failed"]
    form = WebhookEndpointForm

    @admin.display(description=_("failed deliveries"))
    def failed(self, obj: WebhookEndpoint) -> int:
        return obj.deliveries.filter(status=WebhookDelivery.Status.FAILED).count()


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """What was sent where and how it went; failed ones can be sent again once the receiver works."""

    list_display = [
        "created_at",
        "event",
        "endpoint",
        "status",
        "attempts",
        "response_code",
        "last_error",
        "next_attempt_at",
    ]
    list_filter = ["status", "event", "endpoint"]
    readonly_fields = [
        "endpoint",
        "event",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "response_code",
        "last_error",
        "created_at",
    ]
    actions = ["resend"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("api.view_webhookdelivery")

    @admin.action(description=_("Send again"), permissions=["resend"])
    def resend(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = do_resend(queryset)
        messages.success(request, _("%(n)d deliveries will be sent again.") % {"n": count})

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("api.change_webhookdelivery")
