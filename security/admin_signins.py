"""Sign-in lockouts (django-axes) and two-step devices (django-otp) in the office's language:
the packages' own screens are replaced by these, on proxy models (security/models.py), so the
columns, filters, titles and times read as the rest of the admin. The office manager unlocks
a person (deletes their lockout) and resets a lost phone (deletes its device) here; a device
is added by its owner at /admin/2fa/."""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from pbx.local_time import office_time
from security.models import FailedSignIn, SignIn, SignInLockout, TwoStepDevice


def replace_vendor_screens(site: admin.AdminSite) -> None:
    """Take the packages' own screens away (the proxies' below stand in for them). Called once
    every admin module is loaded (config/admin_site.py), since the packages register theirs
    after this app."""
    for original in (AccessAttempt, AccessFailureLog, AccessLog, TOTPDevice, StaticDevice):
        if site.is_registered(original):
            site.unregister(original)


class LockedFilter(admin.SimpleListFilter):
    title = _("locked out")
    parameter_name = "locked"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("yes")), ("no", _("no"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        limit = settings.AXES_FAILURE_LIMIT
        if self.value() == "yes":
            return queryset.filter(failures_since_start__gte=limit)
        if self.value() == "no":
            return queryset.filter(failures_since_start__lt=limit)
        return queryset


class SignInRecordAdmin(admin.ModelAdmin):
    """Read-only: written by the sign-in itself."""

    search_fields = ["username", "ip_address"]
    date_hierarchy = "attempt_time"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("when"), ordering="attempt_time")
    def when(self, obj: Any) -> str:
        return office_time(obj.attempt_time)

    @admin.display(description=_("address"), ordering="ip_address")
    def address(self, obj: Any) -> str:
        return obj.ip_address or ""

    @admin.display(description=_("user name"), ordering="username")
    def who(self, obj: Any) -> str:
        return obj.username or ""


@admin.register(SignInLockout)
class SignInLockoutAdmin(SignInRecordAdmin):
    """Deleting a lockout unlocks the person (the usual delete permission)."""

    list_display = fields = readonly_fields = ("who", "address", "when", "failures", "locked")
    list_filter = [LockedFilter]

    @admin.display(description=_("failed attempts"), ordering="failures_since_start")
    def failures(self, obj: SignInLockout) -> int:
        return obj.failures_since_start

    @admin.display(description=_("locked out"), boolean=True)
    def locked(self, obj: SignInLockout) -> bool:
        return obj.failures_since_start >= settings.AXES_FAILURE_LIMIT


@admin.register(FailedSignIn)
class FailedSignInAdmin(SignInRecordAdmin):
    list_display = fields = readonly_fields = ("who", "address", "when", "locked")

    @admin.display(description=_("locked out"), boolean=True)
    def locked(self, obj: FailedSignIn) -> bool:
        return obj.locked_out


@admin.register(SignIn)
class SignInAdmin(SignInRecordAdmin):
    list_display = fields = readonly_fields = ("who", "address", "when", "left")

    @admin.display(description=_("signed out"), ordering="logout_time")
    def left(self, obj: SignIn) -> str:
        return office_time(obj.logout_time)


@admin.register(TwoStepDevice)
class TwoStepDeviceAdmin(admin.ModelAdmin):
    list_display = fields = readonly_fields = ("device", "owner", "ready", "added", "used")
    search_fields = ["name", "user__username"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # each person adds their own, at /admin/2fa/

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("device"), ordering="name")
    def device(self, obj: TwoStepDevice) -> str:
        return obj.name

    @admin.display(description=_("person"), ordering="user__username")
    def owner(self, obj: TwoStepDevice) -> str:
        return str(obj.user)

    @admin.display(description=_("ready to use"), boolean=True)
    def ready(self, obj: TwoStepDevice) -> bool:
        return obj.confirmed

    @admin.display(description=_("added"), ordering="created_at")
    def added(self, obj: TwoStepDevice) -> str:
        return office_time(obj.created_at)

    @admin.display(description=_("last used"), ordering="last_used_at")
    def used(self, obj: TwoStepDevice) -> str:
        return office_time(obj.last_used_at)
