"""Render Asterisk's config files from asterisk-conf/ templates and the database.

Files are written atomically and only when their text changed, so a reload touches only the
modules whose config moved. Nothing here talks to Asterisk: reloading is the caller's job
(see `modules_to_reload`), through ARI, so it works when Asterisk runs on another host.
"""

import hashlib
import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.template import Context, Engine
from django.utils.translation import gettext as _

from company_numbers.models import CompanyNumber
from pbx.ari.client import AriClient, AriError, AriNotFound
from pbx.asterisk import http_session_limit, run_with_ari, worker_apps
from pbx.audio import library
from pbx.callflow.emergency import EMERGENCY_NUMBERS
from pbx.callflow.events import CONFIGURATION_CHANGED
from pbx.callflow.workers import shared_numbers
from pbx.directory import load_directory
from pbx.files import replace_file
from pbx.models import Extension, Queue
from pbx.sip_credentials import SIP_REALM
from pbx.tls import development_certificates
from security.models import SipBan

log = logging.getLogger(__name__)
TEMPLATE_DIR = Path(settings.BASE_DIR) / "asterisk-conf"
CONFIG_FILES = (
    "modules.conf",
    "http.conf",
    "ari.conf",
    "rtp.conf",
    "logger.conf",
    "pjsip.conf",
    "extensions.conf",
    "indications.conf",
    "musiconhold.conf",
    "stasis.conf",
    # Small files that keep Asterisk from logging errors about configs it looks for.
    "cdr.conf",
    "cel.conf",
    "features.conf",
    "acl.conf",
    "udptl.conf",
    "pjproject.conf",
    "websocket_client.conf",
    "manager.conf",
    "ccss.conf",
    "minivm.conf",
)
# Which module re-reads which file on `PUT /ari/asterisk/modules/{module}`. Files missing here
# (modules.conf, http.conf, logger.conf, stasis.conf) take effect on the next restart.
RELOAD_MODULE = {
    "pjsip.conf": "res_pjsip.so",
    "extensions.conf": "pbx_config.so",
    "ari.conf": "res_ari.so",
    "rtp.conf": "res_rtp_asterisk.so",
    "musiconhold.conf": "res_musiconhold.so",
}
SECRET_FILES = {"ari.conf", "pjsip.conf"}


class ConfigError(Exception):
    """A setting or database value would produce a broken or unsafe Asterisk config."""


@dataclass(frozen=True)
class RenderResult:
    changed: list[str]
    unchanged: list[str]

    @property
    def modules_to_reload(self) -> list[str]:
        return [RELOAD_MODULE[name] for name in self.changed if name in RELOAD_MODULE]

    @property
    def needs_restart(self) -> list[str]:
        return [name for name in self.changed if name not in RELOAD_MODULE]


def _engine() -> Engine:
    return Engine(dirs=[str(TEMPLATE_DIR)], autoescape=False)


def _context(directory: Path) -> dict[str, object]:
    if not settings.ARI_PASSWORD:
        raise ConfigError("ARI_PASSWORD is not set; Asterisk's ARI would have no password")
    if any(ch in settings.ARI_PASSWORD for ch in ";\n\r\t ") or len(settings.ARI_PASSWORD) < 16:
        raise ConfigError("ARI_PASSWORD must be at least 16 characters with no spaces or ';'")
    return {
        "app": settings.ARI_APP,
        "ari_user": settings.ARI_USER,
        "ari_password": settings.ARI_PASSWORD,
        "bind_address": settings.ASTERISK_BIND_ADDRESS,
        "http_bind_address": settings.ASTERISK_HTTP_BIND_ADDRESS,
        "http_port": settings.ASTERISK_HTTP_PORT,
        "http_session_limit": http_session_limit(),
        "sip_port": settings.ASTERISK_SIP_PORT,
        "rtp_start": settings.ASTERISK_RTP_START,
        "rtp_end": settings.ASTERISK_RTP_END,
        "trunk_match": settings.TRUNK_MATCH,
        "trunk_contact": settings.TRUNK_CONTACT,
        "trunk": _trunk_registration(),
        "realm": SIP_REALM,
        "phones": _phones(),
        "main_number": _main_number(),
        "emergency_numbers": sorted(EMERGENCY_NUMBERS),
        "tls": _tls(directory),
        "plain_networks": _networks(settings.SIP_PLAIN_NETWORKS, "SIP_PLAIN_NETWORKS"),
        "banned": SipBan.objects.active_sources(),
        "music_classes": _music_classes(),
        "workers": settings.STASIS_WORKERS,
        "shared_numbers": shared_numbers(load_directory()) if settings.STASIS_WORKERS > 1 else [],
    }


def _phones() -> list[dict[str, object]]:
    """Every SIP login of an active person: the extension's own, then its other devices."""
    phones: list[dict[str, object]] = []
    extensions = Extension.objects.filter(active=True).select_related("caller_id").prefetch_related("devices")
    for ext in extensions.order_by("number"):
        # The rows first: a hostile value is then refused naming its extension or device.
        phones.append(
            {"extension": ext, "device": None, "login": ext.number, "ha1": ext.sip_ha1, "plain_sip": ext.plain_sip}
        )
        for device in ext.active_devices():
            login, ha1, plain = device.sip_username, device.sip_ha1, device.plain_sip
            phones.append({"extension": ext, "device": device, "login": login, "ha1": ha1, "plain_sip": plain})
    return phones


def _music_classes() -> list[tuple[str, list[str]]]:
    """(class, files without extension, as Asterisk sees them) for each queue with hold music
    of its own; the Stasis app asks for the class by the same name (Queue.music_class)."""
    root = str(settings.ASTERISK_SOUNDS_DIR).rstrip("/")
    classes = []
    for queue in Queue.objects.prefetch_related("music__prompt").order_by("pk"):
        if stems := queue.own_music():
            classes.append((queue.music_class_name, [f"{root}/{library.PROMPTS}/{stem}" for stem in stems]))
    return classes


def _main_number() -> str:
    """The number shown when an extension has none of its own: the main one, else the first
    (as pbx.directory does for the Stasis app)."""
    return CompanyNumber.objects.order_by("-is_main", "e164").values_list("e164", flat=True).first() or ""


def _trunk_registration() -> dict[str, str] | None:
    values = {
        "username": settings.TRUNK_USERNAME,
        "password": settings.TRUNK_PASSWORD,
        "registrar": settings.TRUNK_REGISTRAR,
    }
    if not any(values.values()):
        return None
    missing = [f"TRUNK_{k.upper()}" for k, v in values.items() if not v]
    if missing:
        raise ConfigError(f"trunk registration needs {', '.join(missing)} as well")
    if not values["registrar"].startswith(("sip:", "sips:")):
        raise ConfigError(
            f"TRUNK_REGISTRAR must be a SIP URI such as sip:sip.operator.example, not {values['registrar']!r}"
        )
    for key, value in values.items():
        if any(ch in value for ch in ";\n\r\t "):
            raise ConfigError(f"TRUNK_{key.upper()} must not contain spaces, ';' or line breaks")
    host = values["registrar"].split(":", 1)[1]
    return {**values, "client_uri": f"sip:{values['username']}@{host}"}


def _tls(directory: Path) -> dict[str, object]:
    """The TLS transport's files, as Asterisk sees them."""
    cert, key = settings.TLS_CERT_FILE, settings.TLS_KEY_FILE
    if bool(cert) != bool(key):
        raise ConfigError("TLS_CERT_FILE and TLS_KEY_FILE go together: set both")
    if not cert:
        if not settings.TLS_DEVELOPMENT_CERTIFICATES:
            raise ConfigError(
                "TLS_CERT_FILE and TLS_KEY_FILE must be set outside development: staff phones connect over SIP TLS"
            )
        files = development_certificates(directory / "keys")
        cert, key = asterisk_path(files.cert), asterisk_path(files.key)
    for value in (cert, key):
        if any(ch in value for ch in ";\n\r\t "):
            raise ConfigError(f"TLS certificate paths must not contain spaces, ';' or line breaks: {value!r}")
    return {"port": settings.ASTERISK_TLS_PORT, "cert": cert, "key": key}


def asterisk_path(path: Path) -> str:
    """`path` (on this host) as Asterisk sees it: inside ASTERISK_CHROOT when it runs in one."""
    root = settings.ASTERISK_CHROOT
    if root and path.is_relative_to(root):
        return "/" + str(path.relative_to(root))
    return str(path)


def _networks(values: list[str], name: str) -> list[str]:
    try:
        return [str(ipaddress.ip_network(v.strip(), strict=False)) for v in values]
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from exc


def render_all(directory: Path | None = None) -> dict[str, str]:
    """Return {file name: text} for every config file Centrala owns (for `directory`, the
    config folder Asterisk reads; ASTERISK_CONFIG_DIR by default).

    Raises ConfigError, rendering nothing, when any value would break out of its line: the
    templates write values as they are (Asterisk's config has no escaping), so a line break in
    a name would start a section of its own (a hidden SIP account)."""
    values = _context(directory or Path(settings.ASTERISK_CONFIG_DIR))
    refuse_line_breaks(values)
    engine, context = _engine(), Context(values)
    return {name: engine.get_template(name).render(context) for name in CONFIG_FILES}


def refuse_line_breaks(value: object, where: str = "") -> None:
    """ConfigError naming the object and field when any text that reaches a rendered file (a
    setting, or a field of a database row, or of the row it points at) holds a control
    character. Models validate their fields too; this holds for rows written any other way."""
    if isinstance(value, str):
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise ConfigError(
                f"{where}: {value!r} holds a line break or control character; Asterisk would read it as configuration"
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_line_breaks(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list | tuple):
        for item in value:
            refuse_line_breaks(item, where)
    elif isinstance(value, Model):
        _refuse_in_row(value, depth=1)


def _refuse_in_row(row: Model, depth: int) -> None:
    """Every field of the row passes its own validators (an extension number is digits, a name
    holds no config syntax), and no text holds a control character."""
    relations = [f.name for f in row._meta.concrete_fields if f.is_relation]
    names = {f.name: f.verbose_name for f in row._meta.concrete_fields}
    try:
        row.clean_fields(exclude=relations)
    except ValidationError as exc:
        problems = "; ".join(
            f"{names.get(name, name)}: {' '.join(errors)}" for name, errors in exc.message_dict.items()
        )
        raise ConfigError(f"{row._meta.verbose_name} {row.pk}: {problems}") from exc
    for column in row._meta.concrete_fields:
        if column.is_relation:
            related = row._state.fields_cache.get(column.name) if depth else None
            if isinstance(related, Model):
                _refuse_in_row(related, depth - 1)
            continue
        text = getattr(row, column.attname)
        if isinstance(text, str):
            refuse_line_breaks(text, f"{row._meta.verbose_name} {row.pk}, {column.verbose_name}")


def write_config(directory: Path, files: dict[str, str]) -> RenderResult:
    """Write files whose text differs from what is on disk; each write is atomic."""
    directory.mkdir(parents=True, exist_ok=True)
    changed, unchanged = [], []
    for name, text in files.items():
        target = directory / name
        if target.exists() and _digest(target.read_bytes()) == _digest(text.encode()):
            unchanged.append(name)
            continue
        _write_config(target, text, mode=0o640 if name in SECRET_FILES else 0o644)
        changed.append(name)
    return RenderResult(changed=changed, unchanged=unchanged)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_config(target: Path, text: str, mode: int) -> None:
    replace_file(target, text.encode(), mode=mode, owner_from=target.parent)


def apply_config(directory: Path | None = None, *, reload: bool = True) -> RenderResult:
    """Render into ASTERISK_CONFIG_DIR (or `directory`) and reload what changed through ARI.

    Raises ConfigError for bad settings and pbx.ari.client.AriError when Asterisk could not
    reload; the files are written either way, so the next start picks them up.
    """
    directory = directory or Path(settings.ASTERISK_CONFIG_DIR)
    result = write_config(directory, render_all(directory))
    if reload and result.modules_to_reload:
        modules = result.modules_to_reload
        run_with_ari(lambda ari: _reload_modules(ari, modules))
    return result


@dataclass
class _Push:
    """One push of the configuration waiting for its transaction to commit."""

    why: list[str] = field(default_factory=list)
    on_failure: list[Callable[[str], None]] = field(default_factory=list)

    def __call__(self) -> None:
        try:
            apply_config(reload=True)
            tell_the_stasis_app()
        except (AriError, httpx.HTTPError, OSError) as exc:
            # Asterisk not running (yet): one line; the files are written and read at its start.
            why = "; ".join(self.why)
            log.warning("%s; Asterisk is not reachable, it reads the new files when it starts (%s)", why, exc)
            for report in self.on_failure:
                report(str(_("the phone system is not reachable right now; it takes the change when it is back")))
        except Exception as exc:
            log.exception("%s, but the Asterisk configuration could not be applied", "; ".join(self.why))
            text = str(exc) if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"
            for report in self.on_failure:
                report(text)


def tell_the_stasis_app() -> None:
    """Every Stasis worker reads the configuration now rather than at its next refresh (10 s):
    a user event through Asterisk to each worker's app. A worker not connected (404) reads it
    when it connects."""

    async def tell_each(ari: AriClient) -> None:
        for app in worker_apps():
            try:
                await ari.user_event(app, CONFIGURATION_CHANGED)
            except AriNotFound:
                log.info("Stasis app %s is not connected; it reads the configuration when it connects", app)

    try:
        run_with_ari(tell_each)
    except (AriError, httpx.HTTPError, OSError) as exc:  # it reads it at its next refresh anyway
        log.warning("could not tell the Stasis app that the configuration changed (%s)", exc)


def config_changed(why: str, on_failure: Callable[[str], None] | None = None) -> None:
    """The one way a change that Asterisk must know reaches it (an extension added, removed,
    deactivated or given a new password, a company number, a ban): once the transaction
    commits, render the config and reload what changed, once however many changes the
    transaction holds (a bulk action pushes once). Outside a transaction, at once.

    A failure never undoes the change: it is logged and handed, as a sentence, to each
    `on_failure` (the admin shows it); the files are written either way, so Asterisk's next
    start has them."""
    connection = transaction.get_connection()
    pending = (
        next((func for _, func, _ in connection.run_on_commit if isinstance(func, _Push)), None)
        if connection.in_atomic_block
        else None
    )
    push = pending or _Push()
    push.why.append(why)
    if on_failure is not None:
        push.on_failure.append(on_failure)
    if pending is None:
        transaction.on_commit(push)


async def _reload_modules(ari: AriClient, modules: list[str]) -> None:
    for module in modules:
        await ari.reload_module(module)
