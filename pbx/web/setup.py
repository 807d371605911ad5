"""The addresses phones and people open to set a phone up (pbx/provisioning.py): no login, the
secret in the address is the key. A softphone's link: a page with a QR code for Linphone and,
once, the settings to type by hand; Linphone's XML. A desk phone's provisioning address: the
files Yealink and Grandstream phones ask for. Unknown: 404; used, expired or switched off: 410."""

from collections.abc import Callable
from functools import wraps
from typing import Any

import segno
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from compliance.audit import client_address
from pbx.models import SetupLink
from pbx.phone_profiles import (
    GRANDSTREAM_FILE,
    YEALINK_COMMON,
    YEALINK_FILE,
    grandstream_xml,
    linphone_xml,
    yealink_cfg,
)
from pbx.provisioning import LinkGone, WrongPhone, do_open_link, find_link, setup_url


def link_view(kind: str) -> Callable[..., Callable[..., HttpResponse]]:
    """Find the link of `kind` for the token in the address, or answer 404 / 410 / 403."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @never_cache
        @wraps(view)
        def wrapper(request: HttpRequest, token: str, **kwargs: Any) -> HttpResponse:
            try:
                link = find_link(token)
                if link.kind != kind:
                    raise Http404
                response = view(request, link, token, **kwargs)
            except SetupLink.DoesNotExist:
                raise Http404 from None
            except LinkGone:
                response = render(request, "pbx/setup_gone.html", status=410)
            except WrongPhone:
                response = HttpResponse("This address belongs to another phone.", status=403, content_type="text/plain")
            response["Referrer-Policy"] = "no-referrer"
            return response

        return wrapper

    return decorate


@require_http_methods(["GET", "POST"])
@link_view(SetupLink.Kind.APP)
def setup_page(request: HttpRequest, link: SetupLink, token: str) -> HttpResponse:
    """GET: what to do, and the QR code Linphone scans (opening the page uses nothing up).
    POST: the settings to type by hand, shown once (this uses the link up)."""
    if request.method == "POST":
        profile = do_open_link(link, token, client_address(request))
        return render(request, "pbx/setup_revealed.html", {"profile": profile})
    qr = segno.make(f"{setup_url(token)}linphone.xml", error="m").svg_inline(scale=5, dark="#1d2733")
    return render(request, "pbx/setup.html", {"link": link, "qr_svg": qr})


@require_http_methods(["GET"])
@link_view(SetupLink.Kind.APP)
def linphone(request: HttpRequest, link: SetupLink, token: str) -> HttpResponse:
    profile = do_open_link(link, token, client_address(request))
    return HttpResponse(linphone_xml(profile), content_type="application/xml; charset=utf-8")


@require_http_methods(["GET"])
@link_view(SetupLink.Kind.DESK)
def desk_phone(request: HttpRequest, link: SetupLink, token: str, filename: str) -> HttpResponse:
    """The file a desk phone asks for at boot: its own (named by its MAC address) carries the
    account; Yealink's common file carries nothing; anything else is not here."""
    name = filename.lower()
    if YEALINK_COMMON.match(name):
        return HttpResponse(b"#!version:1.0.0.1\n", content_type="text/plain; charset=utf-8")
    if match := YEALINK_FILE.match(name):
        profile = do_open_link(link, token, client_address(request), mac=match["mac"])
        return HttpResponse(yealink_cfg(profile), content_type="text/plain; charset=utf-8")
    if match := GRANDSTREAM_FILE.match(name):
        profile = do_open_link(link, token, client_address(request), mac=match["mac"])
        return HttpResponse(grandstream_xml(profile, match["mac"]), content_type="application/xml; charset=utf-8")
    raise Http404
