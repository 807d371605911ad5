"""The office manager's configuration screens. Every save that changes what Asterisk needs
re-renders its config and reloads it; every save of call logic is checked for loops and dead
ends before it reaches a caller."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from compliance.admin_audit import AuditedModelAdmin
from pbx.asterisk_config import config_changed
from pbx.callflow.pin import PIN_PATTERN
from pbx.configuration import configuration_problems
from pbx.extensions import (
    MAX_DEVICES,
    do_add_device,
    do_change_devices,
    do_create_extension,
    do_delete_extensions,
    do_set_device_password,
    do_set_extensions_active,
    do_set_pin,
    do_set_sip_password,
)
from pbx.models import (
    CallingPolicy,
    Closure,
    Destination,
    Device,
    DutyShift,
    Extension,
    Menu,
    MenuOption,
    OpeningInterval,
    Queue,
    QueueMember,
    QueueMusic,
    Scenario,
    Schedule,
    WeeklyDuty,
)
from pbx.sip_credentials import sip_password_problems


@contextmanager
def pushing_config(request: HttpRequest, why: str) -> Iterator[None]:
    """Changes made inside reach Asterisk once, when they commit (pbx.asterisk_config.
    config_changed); if Asterisk could not take them, the manager is told plainly."""

    def report(problem: str) -> None:
        messages.warning(request, _("Saved, but Asterisk has not picked it up yet: %(e)s") % {"e": problem})

    with transaction.atomic():
        config_changed(why, on_failure=report)
        yield


def report_problems(request: HttpRequest) -> None:
    """After a save of call logic: say what would strand or loop a caller, if anything."""
    for problem in configuration_problems():
        messages.error(request, f"{problem.where}: {problem.message}")


class CallLogicAdmin(AuditedModelAdmin):
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        transaction.on_commit(lambda: report_problems(request))


FORWARDING_FIELDS = ["dnd", "forward_always", "forward_no_answer", "forward_after_seconds", "forward_unreachable"]
ADD_FIELDS = ["number", "display_name", "kind", "mobile", "caller_id", "user", "calling_policy", "plain_sip"]


class ExtensionAddForm(forms.ModelForm):
    class Meta:
        model = Extension
        fields = ADD_FIELDS


class ExtensionChangeForm(forms.ModelForm):
    new_sip_password = forms.CharField(
        label=_("new SIP password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Empty: keep the current one (or use the action 'Generate new SIP passwords'). At least 16 "
            "characters with lower-case letters, capitals and digits."
        ),
    )

    new_pin = forms.CharField(
        label=_("new PIN"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "4 to 8 digits, typed on the phone for its own voicemail (*97) and for recording prompts (*96). "
            "Empty: keep the current one."
        ),
    )
    clear_pin = forms.BooleanField(label=_("remove the PIN"), required=False)

    class Meta:
        model = Extension
        fields = [*ADD_FIELDS, *FORWARDING_FIELDS]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["forward_after_seconds"].required = False  # empty: the usual 20 s

    def clean_forward_after_seconds(self) -> int:
        seconds = self.cleaned_data.get("forward_after_seconds")
        return 20 if seconds is None else seconds

    def clean_new_pin(self) -> str:
        pin = self.cleaned_data["new_pin"].strip()
        if pin and not PIN_PATTERN.match(pin):
            raise forms.ValidationError(_("A PIN is 4 to 8 digits."))
        return pin

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("new_pin") and cleaned.get("clear_pin"):
            raise forms.ValidationError(_("Either type a new PIN or remove it, not both."))
        return cleaned

    def clean_new_sip_password(self) -> str:
        password = self.cleaned_data["new_sip_password"]
        if password and (problems := sip_password_problems(password, self.instance.number)):
            raise forms.ValidationError(_("Too weak; it needs %(p)s.") % {"p": "; ".join(problems)})
        return password


@admin.register(Extension)
class ExtensionAdmin(AuditedModelAdmin):
    """Every path that changes what Asterisk knows of an extension (add, edit, new password,
    deactivate, delete one or many) goes through pbx/extensions.py, which pushes the config."""

    list_display = ["number", "display_name", "active", "kind", "calling_policy", "encryption", "last_call_at"]
    list_filter = ["active"]
    search_fields = ["number", "display_name", "mobile"]
    fields = [
        "number",
        "display_name",
        "active",
        "kind",
        "mobile",
        "caller_id",
        "user",
        "calling_policy",
        "plain_sip",
        *FORWARDING_FIELDS,
        "new_sip_password",
        "pin_set",
        "new_pin",
        "clear_pin",
        "last_call_at",
        "last_call_tls",
        "last_call_srtp",
    ]
    readonly_fields = ["active", "pin_set", "last_call_at", "last_call_tls", "last_call_srtp"]
    form = ExtensionChangeForm
    actions = ["new_passwords", "deactivate", "reactivate"]

    @admin.display(description=_("PIN set"), boolean=True)
    def pin_set(self, obj: Extension) -> bool:
        return bool(obj.pin_digest)

    @admin.display(description=_("last call encrypted"))
    def encryption(self, obj: Extension) -> str:
        if obj.last_call_at is None:
            return "-"
        if obj.last_call_tls and obj.last_call_srtp:
            return str(_("yes (TLS + SRTP)"))
        missing = [name for name, ok in (("TLS", obj.last_call_tls), ("SRTP", obj.last_call_srtp)) if not ok]
        return str(_("NO: without %(what)s") % {"what": " and ".join(missing)})

    @admin.action(description=_("Generate new SIP passwords"), permissions=["change"])
    def new_passwords(self, request: HttpRequest, queryset: Any) -> None:
        with pushing_config(request, "new SIP passwords"):
            passwords = [(x.number, do_set_sip_password(x, None, request.user.get_username())) for x in queryset]
        for number, password in passwords:
            messages.warning(
                request, _("New SIP password for %(n)s, shown only now: %(p)s") % {"n": number, "p": password}
            )

    @admin.action(description=_("Deactivate: no login, never rung"), permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: Any) -> None:
        with pushing_config(request, "extensions deactivated"):
            changed = do_set_extensions_active(queryset, False, request.user.get_username())
        messages.success(request, _("Deactivated: %(n)d. Their phones can no longer log in.") % {"n": changed})

    @admin.action(description=_("Reactivate"), permissions=["change"])
    def reactivate(self, request: HttpRequest, queryset: Any) -> None:
        with pushing_config(request, "extensions reactivated"):
            changed = do_set_extensions_active(queryset, True, request.user.get_username())
        messages.success(request, _("Reactivated: %(n)d.") % {"n": changed})

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = ExtensionAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields if obj else ADD_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj else []

    def save_model(self, request: HttpRequest, obj: Extension, form: Any, change: bool) -> None:
        with pushing_config(request, f"extension {obj.number} saved"):
            self._save(request, obj, form, change)

    def _save(self, request: HttpRequest, obj: Extension, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            if password := form.cleaned_data.get("new_sip_password"):
                do_set_sip_password(obj, password, request.user.get_username())
            if pin := form.cleaned_data.get("new_pin"):
                do_set_pin(obj, pin, request.user.get_username())
            elif form.cleaned_data.get("clear_pin"):
                do_set_pin(obj, "", request.user.get_username())
        else:
            names = ("kind", "mobile", "caller_id", "user", "calling_policy", "plain_sip")
            fields = {name: getattr(obj, name) for name in names}
            created, password = do_create_extension(obj.number, obj.display_name, **fields)
            obj.pk = created.pk
            messages.success(
                request,
                _("SIP password for extension %(n)s: %(p)s. It is shown only now: enter it in the phone.")
                % {"n": created.number, "p": password},
            )

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        # do_delete_extensions audits each deletion itself; Django's own history still records it.
        return admin.ModelAdmin.log_deletions(self, request, queryset)

    def delete_model(self, request: HttpRequest, obj: Extension) -> None:
        with pushing_config(request, f"extension {obj.number} deleted"):
            do_delete_extensions([obj], request.user.get_username())

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with pushing_config(request, "extensions deleted"):
            do_delete_extensions(list(queryset), request.user.get_username())


class DeviceForm(forms.ModelForm):
    class Meta:
        model = Device
        fields = ["extension", "name", "kind", "ring_after_seconds", "active", "plain_sip"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        extension = cleaned.get("extension")
        if self.instance.pk is None and extension is not None and extension.devices.count() >= MAX_DEVICES:
            raise forms.ValidationError(
                _("A person can have at most %(n)d phones besides the first.") % {"n": MAX_DEVICES}
            )
        return cleaned


@admin.register(Device)
class DeviceAdmin(AuditedModelAdmin):
    """A person's other phones. Each has its own SIP login, shown with its password once when
    added; every change reaches Asterisk through pbx/extensions.py."""

    form = DeviceForm
    list_display = ["sip_username", "extension", "name", "kind", "ring_after_seconds", "active"]
    list_filter = ["active", "kind"]
    search_fields = ["sip_username", "name", "extension__number", "extension__display_name"]
    readonly_fields = ["sip_username"]
    actions = ["new_passwords", "deactivate", "reactivate"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["extension", "name", "kind", "ring_after_seconds", "active", "plain_sip"]
        return ["sip_username", *fields] if obj else fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["sip_username", "extension"] if obj else []

    @admin.action(description=_("Generate new SIP passwords"), permissions=["change"])
    def new_passwords(self, request: HttpRequest, queryset: Any) -> None:
        with pushing_config(request, "new SIP passwords for devices"):
            passwords = [(d.sip_username, do_set_device_password(d, request.user.get_username())) for d in queryset]
        for username, password in passwords:
            messages.warning(
                request, _("New SIP password for %(n)s, shown only now: %(p)s") % {"n": username, "p": password}
            )

    @admin.action(description=_("Deactivate: no login, never rung"), permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: Any) -> None:
        with pushing_config(request, "devices deactivated"):
            changed = do_change_devices(list(queryset.filter(active=True)), request.user.get_username(), active=False)
        messages.success(request, _("Deactivated: %(n)d. Their phones can no longer log in.") % {"n": changed})

    @admin.action(description=_("Reactivate"), permissions=["change"])
    def reactivate(self, request: HttpRequest, queryset: Any) -> None:
        with pushing_config(request, "devices reactivated"):
            changed = do_change_devices(list(queryset.filter(active=False)), request.user.get_username(), active=True)
        messages.success(request, _("Reactivated: %(n)d.") % {"n": changed})

    def save_model(self, request: HttpRequest, obj: Device, form: Any, change: bool) -> None:
        with pushing_config(request, f"device {obj.name} saved"):
            if change:
                names = ("name", "kind", "ring_after_seconds", "active", "plain_sip")
                fields = {name: getattr(obj, name) for name in names}
                do_change_devices([obj], request.user.get_username(), **fields)
                return
            device, password = do_add_device(
                obj.extension,
                obj.name,
                request.user.get_username(),
                kind=obj.kind,
                ring_after_seconds=obj.ring_after_seconds,
                active=obj.active,
            )
            obj.pk = device.pk
            messages.success(
                request,
                _("SIP login %(u)s, password %(p)s. It is shown only now: enter both in the phone.")
                % {"u": device.sip_username, "p": password},
            )

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        return admin.ModelAdmin.log_deletions(self, request, queryset)  # do_change_devices audits

    def delete_model(self, request: HttpRequest, obj: Device) -> None:
        with pushing_config(request, f"device {obj.sip_username} deleted"):
            do_change_devices([obj], request.user.get_username(), delete=True)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with pushing_config(request, "devices deleted"):
            do_change_devices(list(queryset), request.user.get_username(), delete=True)


class OpeningIntervalInline(admin.TabularInline):
    model = OpeningInterval
    extra = 0


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0


@admin.register(Schedule)
class ScheduleAdmin(AuditedModelAdmin):
    list_display = ["name", "timezone", "public_holidays", "override", "override_until"]
    inlines = [OpeningIntervalInline, ClosureInline]


class QueueMemberInline(admin.TabularInline):
    model = QueueMember
    extra = 0


class QueueMusicInline(admin.TabularInline):
    model = QueueMusic
    extra = 0


@admin.register(Queue)
class QueueAdmin(CallLogicAdmin):
    list_display = ["name", "strategy", "member_ring_seconds", "max_wait_seconds"]
    inlines = [QueueMemberInline, QueueMusicInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Its own hold music is a music class in Asterisk's musiconhold.conf.
        with pushing_config(request, f"queue {form.instance.name} saved"):
            super().save_related(request, form, formsets, change)


class MenuOptionInline(admin.TabularInline):
    model = MenuOption
    fk_name = "menu"
    extra = 0


@admin.register(Menu)
class MenuAdmin(CallLogicAdmin):
    list_display = ["name", "prompt", "timeout_seconds", "retries"]
    inlines = [MenuOptionInline]


@admin.register(Destination)
class DestinationAdmin(CallLogicAdmin):
    list_display = ["name", "kind", "then"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(Scenario)
class ScenarioAdmin(CallLogicAdmin):
    list_display = ["name", "schedule", "when_open", "when_closed", "on_holiday"]


@admin.register(CallingPolicy)
class CallingPolicyAdmin(AuditedModelAdmin):
    """The toll-fraud guard's allow-lists; changes reach live calls within seconds."""

    list_display = [
        "name",
        "countries",
        "allow_premium",
        "international_any_time",
        "max_concurrent",
        "max_daily_minutes",
    ]
    fieldsets = [
        (_("Domestic"), {"fields": ["name", "allow_mobile", "allow_freephone", "allow_shared_cost", "allow_premium"]}),
        (
            _("International"),
            {"fields": ["countries", "international_from", "international_until", "international_any_time"]},
        ),
        (_("Limits"), {"fields": ["max_concurrent", "max_daily_minutes", "blocked_prompt"]}),
    ]


@admin.register(WeeklyDuty)
class WeeklyDutyAdmin(AuditedModelAdmin):
    list_display = ["weekday", "starts", "ends", "extension"]
    list_filter = ["weekday", "extension"]


@admin.register(DutyShift)
class DutyShiftAdmin(AuditedModelAdmin):
    list_display = ["starts_at", "ends_at", "extension"]
    list_filter = ["extension"]
