"""People and their phones in the office manager's admin. Every path that changes what
Asterisk knows of an extension or a device (add, edit, new password, deactivate, delete one or
many) goes through pbx/extensions.py, which audits the change, and pushes the config once."""

from typing import Any

import segno
from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from compliance.admin_audit import AuditedModelAdmin
from pbx.callflow.pin import PIN_PATTERN
from pbx.extensions import (
    FORWARDING,
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
from pbx.models import Device, Extension, SetupLink, WeeklyDuty
from pbx.provisioning import WelcomeNotSent, do_create_setup_link, do_send_welcome, provisioning_url, setup_url
from pbx.sip_credentials import sip_password_problems

from .config import HOURS
from .pushing import pushing_config

WELCOME_FAILED = _(
    "The welcome e-mail could not be sent: the mail server did not take it. Nothing was changed; "
    "try again later, or give the person a setup link with the other action."
)


def link_row(link: SetupLink, token: str) -> dict[str, Any]:
    """What the setup-links page shows of one link: its address, and a QR code for a softphone's."""
    app = link.kind == SetupLink.Kind.APP
    url = setup_url(token) if app else provisioning_url(token)
    return {"link": link, "url": url, "qr_svg": segno.make(url, error="m").svg_inline(scale=4) if app else ""}


class PhoneLoginActions(AuditedModelAdmin):
    """The actions an extension and a device share: new SIP passwords, deactivate, reactivate.
    Subclasses say how one login is named, given a new password, and switched on or off."""

    actions = ["new_passwords", "setup_links", "desk_provisioning", "deactivate", "reactivate"]
    what = "phones"

    def login_name(self, obj: Any) -> str:
        raise NotImplementedError

    def login_of(self, obj: Any) -> tuple[Extension, Device | None]:
        """The extension, and the device (None: the extension's first phone)."""
        raise NotImplementedError

    def new_password(self, obj: Any, who: str) -> str:
        raise NotImplementedError

    def set_active(self, queryset: Any, active: bool, who: str) -> int:
        raise NotImplementedError

    def delete_logins(self, objs: list[Any], who: str) -> None:
        raise NotImplementedError

    @admin.action(description=_("Generate new SIP passwords"), permissions=["change"])
    def new_passwords(self, request: HttpRequest, queryset: Any) -> None:
        who = request.user.get_username()
        with pushing_config(request, f"new SIP passwords for {self.what}"):
            passwords = [(self.login_name(obj), self.new_password(obj, who)) for obj in queryset]
        for name, password in passwords:
            messages.warning(
                request, _("New SIP password for %(n)s, shown only now: %(p)s") % {"n": name, "p": password}
            )

    @admin.action(description=_("Setup link and QR code for a softphone (new password)"), permissions=["change"])
    def setup_links(self, request: HttpRequest, queryset: Any) -> TemplateResponse:
        return self._links(request, queryset, SetupLink.Kind.APP)

    @admin.action(description=_("Provisioning address for a desk phone (new password)"), permissions=["change"])
    def desk_provisioning(self, request: HttpRequest, queryset: Any) -> TemplateResponse:
        return self._links(request, queryset, SetupLink.Kind.DESK)

    def _links(self, request: HttpRequest, queryset: Any, kind: str) -> TemplateResponse:
        """Each login gets a new password sealed into a new link; the links (and QR codes) are
        on this page only: Centrala keeps no copy it could show again."""
        who = request.user.get_username()
        with pushing_config(request, f"setup links for {self.what}"):
            rows = [link_row(*do_create_setup_link(*self.login_of(obj), kind, who)) for obj in queryset]
        return self.links_page(request, rows)

    def links_page(self, request: HttpRequest, rows: list[dict[str, Any]]) -> TemplateResponse:
        context = {**self.admin_site.each_context(request), "title": _("Setting phones up"), "rows": rows}
        return TemplateResponse(request, "admin/pbx/setup_links.html", context)

    @admin.action(description=_("Deactivate: no login, never rung"), permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: Any) -> None:
        with pushing_config(request, f"{self.what} deactivated"):
            changed = self.set_active(queryset, False, request.user.get_username())
        messages.success(request, _("Deactivated: %(n)d. Their phones can no longer log in.") % {"n": changed})

    @admin.action(description=_("Reactivate"), permissions=["change"])
    def reactivate(self, request: HttpRequest, queryset: Any) -> None:
        with pushing_config(request, f"{self.what} reactivated"):
            changed = self.set_active(queryset, True, request.user.get_username())
        messages.success(request, _("Reactivated: %(n)d.") % {"n": changed})

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with pushing_config(request, f"{self.what} {self.login_name(obj)} deleted"):
            self.delete_logins([obj], request.user.get_username())

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with pushing_config(request, f"{self.what} deleted"):
            self.delete_logins(list(queryset), request.user.get_username())

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        # The writers audit each deletion themselves; Django's own history still records it.
        return admin.ModelAdmin.log_deletions(self, request, queryset)


FORWARDING_FIELDS = list(FORWARDING)
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


class WeeklyDutyInline(admin.TabularInline):
    """The person's week on the rota, edited with the rest of their page."""

    model = WeeklyDuty
    fields = ["weekday", "starts", "ends"]
    formfield_overrides = HOURS
    extra = 0
    verbose_name = _("weekly duty")
    verbose_name_plural = _("on duty every week (the rota)")


@admin.register(Extension)
class ExtensionAdmin(PhoneLoginActions):
    """A person: their number, name, first phone's login, PIN, do-not-disturb and forwarding."""

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
    what = "extensions"
    actions = [*PhoneLoginActions.actions, "send_welcome"]

    def login_name(self, obj: Extension) -> str:
        return obj.number

    def login_of(self, obj: Extension) -> tuple[Extension, Device | None]:
        return obj, None

    def new_password(self, obj: Extension, who: str) -> str:
        return do_set_sip_password(obj, None, who)

    def set_active(self, queryset: Any, active: bool, who: str) -> int:
        return do_set_extensions_active(queryset, active, who)

    def delete_logins(self, objs: list[Extension], who: str) -> None:
        do_delete_extensions(objs, who)

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

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        return [WeeklyDutyInline] if obj else []

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
            try:
                if do_send_welcome(created, request.user.get_username(), password=password):
                    address = created.user.email if created.user else ""
                    messages.info(request, _("Welcome e-mail with a setup link sent to %(e)s.") % {"e": address})
                    return
            except WelcomeNotSent:
                messages.warning(request, WELCOME_FAILED)
            # No e-mail went out: the next page shows the first phone's setup link and QR code,
            # holding the password just shown (no new one).
            made = do_create_setup_link(created, None, SetupLink.Kind.APP, request.user.get_username(), password)
            request.centrala_setup_rows = [link_row(*made)]  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: Extension, post_url_continue: Any = None) -> Any:
        rows = getattr(request, "centrala_setup_rows", None)
        if rows:
            return self.links_page(request, rows)
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description=_("Send a welcome e-mail with a setup link (new password)"), permissions=["change"])
    def send_welcome(self, request: HttpRequest, queryset: Any) -> None:
        sent: list[str] = []
        without: list[str] = []
        failed = False
        with pushing_config(request, "welcome e-mails"):
            for extension in queryset.select_related("user"):
                try:
                    ok = do_send_welcome(extension, request.user.get_username())
                except WelcomeNotSent:
                    failed = True
                    break  # the mail server is away: the next ones would fail alike
                (sent if ok else without).append(extension.number)
        if failed:
            messages.warning(request, WELCOME_FAILED)
        if sent:
            messages.success(request, _("Welcome e-mail sent for: %(n)s.") % {"n": ", ".join(sent)})
        if without:
            messages.warning(
                request,
                _("No e-mail address for: %(n)s. Pick a staff member with an e-mail address on the extension.")
                % {"n": ", ".join(without)},
            )


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
class DeviceAdmin(PhoneLoginActions):
    """A person's other phones. Each has its own SIP login, shown with its password once when
    added; every change reaches Asterisk through pbx/extensions.py."""

    form = DeviceForm
    list_display = ["sip_username", "extension", "name", "kind", "ring_after_seconds", "active"]
    list_filter = ["active", "kind"]
    search_fields = ["sip_username", "name", "extension__number", "extension__display_name"]
    readonly_fields = ["sip_username"]
    what = "devices"

    def login_name(self, obj: Device) -> str:
        return obj.sip_username

    def login_of(self, obj: Device) -> tuple[Extension, Device | None]:
        return obj.extension, obj

    def new_password(self, obj: Device, who: str) -> str:
        return do_set_device_password(obj, who)

    def set_active(self, queryset: Any, active: bool, who: str) -> int:
        return do_change_devices(list(queryset.filter(active=not active)), who, active=active)

    def delete_logins(self, objs: list[Device], who: str) -> None:
        do_change_devices(objs, who, delete=True)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["extension", "name", "kind", "ring_after_seconds", "active", "plain_sip"]
        return ["sip_username", *fields] if obj else fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["sip_username", "extension"] if obj else []

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


@admin.register(SetupLink)
class SetupLinkAdmin(AuditedModelAdmin):
    """Which setup links exist and whether they were used. Made by the extension and device
    actions (they are shown once there); deleting one here makes it stop working."""

    list_display = ["login", "extension", "kind", "created_at", "created_by", "expires_at", "used_at", "mac"]
    list_filter = ["kind"]

    @admin.display(description=_("SIP user name"))
    def login(self, obj: SetupLink) -> str:
        return obj.login

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
