"""Two-factor login (TOTP) for everyone who can listen to recordings.

Such a person, signed in with a password only, reaches nothing but the two-factor page: first
visit, it shows a QR code to scan into an authenticator app and asks for a code to confirm it,
then shows ten recovery codes, once (each signs in once when the phone is lost or broken);
later visits ask for the current code or a recovery code. A verified session (django-otp)
lasts as long as the session. Everyone else is unaffected.
"""

from collections.abc import Callable
from typing import Any

import segno
from django import forms
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from compliance.audit import client_address, do_audit

EXEMPT_PREFIXES = ("/admin/2fa/", "/admin/logout/", "/admin/login/", "/static/", "/admin/jsi18n/")


def needs_two_factor(user: Any) -> bool:
    """Whoever can listen to any recording (superusers included)."""
    return bool(user.is_authenticated and user.is_active and user.has_perm("recordings.view_recording"))


class TwoFactorRequiredMiddleware:
    """After django_otp's OTPMiddleware: sends an unverified listener to the two-factor page
    (an API call made with the session gets 403 saying so; token calls have no session user
    here and are judged by their token)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            needs_two_factor(user)
            and not user.is_verified()  # type: ignore[union-attr]
            and not request.path.startswith(EXEMPT_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"error": "Finish two-factor login in the admin first."}, status=403)
            return HttpResponseRedirect(f"{reverse('two-factor')}?next={request.get_full_path()}")
        return self.get_response(request)


RECOVERY_CODES = 10


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code (or a recovery code)"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


@login_required(login_url="/admin/login/")
def two_factor(request: HttpRequest) -> HttpResponse:
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    setting_up = device is None
    if setting_up:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
            user=user, name="authenticator", confirmed=False
        )
    form = CodeForm(request.POST or None)
    context: dict[str, Any] = {**admin.site.each_context(request), "title": _("Two-factor login")}
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"].replace(" ", "").lower()
        if device.verify_token(code):
            if setting_up:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                do_audit(
                    user.get_username(), "security.2fa_enrolled", f"user:{user.pk}", source=client_address(request)
                )
                otp_login(request, device)
                codes = _new_recovery_codes(user)
                page = {**context, "codes": codes, "next": _safe_next(request)}
                return render(request, "security/recovery_codes.html", page)
            otp_login(request, device)
            return HttpResponseRedirect(_safe_next(request))
        recovery = None if setting_up else StaticDevice.objects.filter(user=user, confirmed=True).first()
        if recovery is not None and recovery.verify_token(code):  # a recovery code: used up now
            do_audit(
                user.get_username(), "security.2fa_recovery_code", f"user:{user.pk}", source=client_address(request)
            )
            otp_login(request, recovery)
            return HttpResponseRedirect(_safe_next(request))
        form.add_error("code", _("That code is not right (or has expired). Try the current one."))
    context.update({"form": form, "setting_up": setting_up})
    if setting_up:
        context["qr_svg"] = segno.make(device.config_url, error="m").svg_inline(scale=5)
        context["secret"] = _base32(device.bin_key)
    return render(request, "security/two_factor.html", context)


def _new_recovery_codes(user: Any) -> list[str]:
    """Ten single-use codes for a lost phone, replacing any earlier ones; shown once (only
    the codes' device keeps them, to check them)."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def _safe_next(request: HttpRequest) -> str:
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "/admin/"


def _base32(key: bytes) -> str:
    from base64 import b32encode

    text = b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))
