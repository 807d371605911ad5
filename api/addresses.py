"""Where webhooks may go: https, and addresses on the internet only.

A webhook address is typed by an office manager (or an API client) and then fetched by the
server, from inside the firm's network: pointed at 127.0.0.1:8088 it would reach Asterisk's
ARI, at 169.254.169.254 a cloud's metadata service. So the host must resolve to public
addresses only, checked when the address is saved and again before each delivery (a name
can be re-pointed after it was saved). WEBHOOK_ALLOWED_NETWORKS lets an IT person opt in a
CRM on the office network; loopback and link-local addresses are never allowed.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

Resolver = Callable[[str], list[str]]


def system_resolver(host: str) -> list[str]:
    """Every address `host` resolves to (raises OSError when it does not)."""
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)})


def webhook_address_problem(url: str, resolve: Resolver | None = None) -> str:
    """Why `url` may not receive webhooks, as a sentence; "" when it may."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        return _("Webhooks go over https only: the address must start with https://.")
    host = parts.hostname
    if not host:
        return _("The address names no host.")
    try:
        addresses = [str(ipaddress.ip_address(host))] if _is_address(host) else (resolve or system_resolver)(host)
    except OSError:
        return _("%(host)s cannot be resolved to an address.") % {"host": host}
    allowed = [ipaddress.ip_network(net, strict=False) for net in settings.WEBHOOK_ALLOWED_NETWORKS]
    for text in addresses or ["(none)"]:
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            return _("%(host)s resolves to no usable address.") % {"host": host}
        if address.is_loopback or address.is_link_local or address.is_unspecified or address.is_multicast:
            return _(
                "%(host)s resolves to %(address)s, an address of this machine or its network link: never allowed."
            ) % {"host": host, "address": address}
        if not address.is_global and not any(address in net for net in allowed):
            return _(
                "%(host)s resolves to %(address)s, an internal address: webhooks go to the internet only "
                "(or to networks listed in WEBHOOK_ALLOWED_NETWORKS)."
            ) % {"host": host, "address": address}
    return ""


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
