"""Sign-in accounts and roles (Django's users and groups) with their permissions named in the
office's language. Django stores each permission's name in English when it creates it ("Can
change queue"); here each is shown as the screen it opens and what it allows ("kolejka:
zmiana"), from the model's translated name."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission, User
from django.db.models import ManyToManyField
from django.forms import ModelMultipleChoiceField
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

# Permissions no role of Centrala uses: the machinery's and the third-party parts' own (their
# screens are Centrala's proxies, security/admin_signins.py).
HIDDEN_APPS = ["admin", "contenttypes", "sessions", "axes", "otp_totp", "otp_static", "otp_email", "otp_hotp"]

VERBS = {
    "add": gettext_noop("adding"),
    "change": gettext_noop("changing"),
    "delete": gettext_noop("deleting"),
    "view": gettext_noop("viewing"),
}


def permission_label(permission: Permission) -> str:
    model = permission.content_type.model_class()
    what = str(model._meta.verbose_name) if model is not None else permission.content_type.model
    verb, _sep, rest = permission.codename.partition("_")
    if verb in VERBS and model is not None and rest == model._meta.model_name:
        return f"{what}: {_(VERBS[verb])}"
    return f"{what}: {_(permission.name)}"  # a permission of Centrala's own (Meta.permissions)


class PermissionChoices(ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return permission_label(obj)


class PolishPermissions:
    def formfield_for_manytomany(self, db_field: ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name in ("permissions", "user_permissions"):
            kwargs["form_class"] = PermissionChoices
            kwargs["queryset"] = Permission.objects.select_related("content_type").exclude(
                content_type__app_label__in=HIDDEN_APPS
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class PeopleUserAdmin(PolishPermissions, UserAdmin):  # type: ignore[type-arg]
    pass


@admin.register(Group)
class RoleAdmin(PolishPermissions, GroupAdmin):
    pass
