from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from api.actions import TokenError, do_create_token, do_revoke_token
from api.models import ApiToken
from api.scopes import SCOPES


class NewTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=[(s, f"{s}: {what}") for s, what in SCOPES.items()],
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

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
        messages.warning(request, _("Token for %(name)s, shown only now: %(token)s") % {"name": row.name,
                                                                                        "token": token})  # fmt: skip

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the audit log keeps naming it

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            do_revoke_token(token, request.user.get_username())
        messages.success(request, _("%(n)d token(s) revoked.") % {"n": len(queryset)})
