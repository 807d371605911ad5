"""Centrala settings. Everything a deployment changes comes from the environment.

SQLite by default so `make run` works anywhere; DATABASE_URL selects PostgreSQL
(postgres://user@host:port/name, psycopg 3).
"""

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CENTRALA_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/true/yes/on or 0/false/no/off, not {value!r}")


def env_int(name: str, default: int) -> int:
    return int(_env_number(name, default, int, "a whole number"))


def env_float(name: str, default: float) -> float:
    return _env_number(name, default, float, "a number")


def _env_number(name: str, default: float, parse: Callable[[str], float], what: str) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return parse(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {what}, not {value!r}") from None


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "config.admin_site.CentralaAdminConfig",  # django.contrib.admin, its menu grouped by task
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "pbx",
    "company_numbers",
    "recordings",
    "compliance",
    "api",
    "security",
    "voicemail",
    "staff",
    "reports",
    "django_q",
    "jobs",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # recovery codes for a lost phone
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "security.twofactor.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {"default": dj_database_url.config(default=f"sqlite:///{VAR_DIR / 'centrala.sqlite3'}", conn_max_age=60)}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # An unreachable server (not a refusing one) must not hold the Stasis app's writer for
    # the minutes a TCP connect can take: five seconds, then the facts wait in the spool.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Admin hardening (docs/security.md) ------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before checking it
    "django.contrib.auth.backends.ModelBackend",
]
# django-axes: 5 failed logins lock that username and that address out for 15 minutes
# (manage.py axes_reset_username / axes_reset_ip to lift it early).
AXES_FAILURE_LIMIT = env_int("ADMIN_LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = env_float("ADMIN_LOCKOUT_HOURS", 0.25)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "security/locked_out.html"
# Proxies in front of the admin (0: none). The client's address comes from one function for the
# lockout and the audit log alike (compliance.audit.client_address).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "compliance.audit.client_address"
# Sessions end after 30 idle minutes (every request renews them) and with the browser.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
OTP_TOTP_ISSUER = os.environ.get("OTP_ISSUER", "Centrala")
if not DEBUG:
    # Static files (the admin's CSS and JS) served by the app itself, compressed and cached.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
    # Outside development the admin is served over HTTPS only (behind a proxy: set
    # TRUSTED_PROXY_COUNT and the proxy's X-Forwarded-Proto).
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    if env_int("TRUSTED_PROXY_COUNT", 0):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
# HSTS preload is a decision for whoever owns the domain (it binds every subdomain for good).
SILENCED_SYSTEM_CHECKS = ["security.W021"]

LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", "Polski"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Warsaw"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("CENTRALA_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def s3_storage(environ: Mapping[str, str]) -> dict[str, Any] | None:
    """Recordings in S3-compatible object storage (AWS, MinIO, Ceph, Wasabi, OVH, ...) when
    CENTRALA_S3_BUCKET is set (docs/deployment.md); they are encrypted before they leave the
    app, so the storage holds ciphertext only. None: local files under MEDIA_ROOT."""
    bucket = environ.get("CENTRALA_S3_BUCKET", "")
    if not bucket:
        return None
    options = {
        "bucket_name": bucket,
        "endpoint_url": environ.get("CENTRALA_S3_ENDPOINT") or None,  # unset: AWS itself
        "region_name": environ.get("CENTRALA_S3_REGION") or None,
        "access_key": environ.get("CENTRALA_S3_ACCESS_KEY") or None,  # unset: the usual AWS chain
        "secret_key": environ.get("CENTRALA_S3_SECRET_KEY") or None,
        "location": environ.get("CENTRALA_S3_PREFIX", ""),  # several firms or hosts in one bucket
        "default_acl": None,  # the bucket's own policy: private
        "querystring_auth": True,
        "file_overwrite": False,  # a second file of one name gets a new name, never replaces
    }
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


if (s3 := s3_storage(os.environ)) is not None:
    STORAGES["default"] = s3

# Recordings are encrypted at rest with per-recording keys wrapped by this master key
# (32 random bytes, base64). Development uses a per-machine key in var/ when unset.
RECORDING_MASTER_KEY = os.environ.get("RECORDING_MASTER_KEY", "")
# How long recordings without a processing purpose (voicemail) are kept.
DEFAULT_RETENTION_DAYS = env_int("DEFAULT_RETENTION_DAYS", 30)

# --- Background jobs (jobs/, docs/architecture.md "Background jobs") --------------------
# django-q2 with its database broker: the jobs wait in Centrala's own database (PostgreSQL in
# production, SQLite for `make run`), so there is nothing more to run than `manage.py qcluster`
# (compose's `worker`). A job is claimed by one worker with a conditional update; a scheduled
# one is put on the queue under a row lock, so two workers never run it twice. A job whose
# worker died is given to a worker again after `retry` seconds; a job that fails is recorded
# with its error and retried with back-off by jobs/runner.py, not by the broker.
Q_CLUSTER = {
    "name": "centrala",
    "orm": "default",
    "workers": env_int("JOB_WORKERS", 1),
    "timeout": env_int("JOB_TIMEOUT", 1800),  # a job running longer is stopped (retention of years: minutes)
    "retry": env_int("JOB_RETRY", 2400),  # must exceed the timeout: a job still running is never handed out again
    "max_attempts": 3,  # for jobs whose worker died; failures are retried by jobs/runner.py
    "ack_failures": True,
    "catch_up": False,  # a worker that was down runs a missed daily job once, not once a day missed
    "save_limit": 200,  # successful runs kept for the admin, per job; failures are all kept
    "save_limit_per": "func",
    "label": "Zadania w tle",
    "poll": 1,
}

# --- REST API (docs/api.md) -------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.auth.ScopedPermission"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Centrala API",
    "DESCRIPTION": "Company numbers, porting, calls and recordings of a Centrala PBX. "
    "Authenticate with 'Authorization: Bearer <token>' (manage.py api_token create).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Asterisk and ARI -----------------------------------------------------------------
# ARI credentials never live in the repository: ARI_PASSWORD comes from the environment
# (make run / make test generate one per machine into var/).
# Unset: Asterisk on this host, at the port render_asterisk_config gives it (ASTERISK_HTTP_PORT).
ARI_URL = os.environ.get("ARI_URL") or f"http://127.0.0.1:{env_int('ASTERISK_HTTP_PORT', 8088)}/ari"
ARI_USER = os.environ.get("ARI_USER", "centrala")
ARI_PASSWORD = os.environ.get("ARI_PASSWORD", "")
ARI_APP = os.environ.get("ARI_APP", "centrala")
# The Stasis app sends its requests over its event websocket (REST over WebSocket, Asterisk
# 22.4 and later), several times cheaper than HTTP; off: HTTP only, for an older Asterisk.
ARI_REQUESTS_OVER_WEBSOCKET = env_bool("ARI_REQUESTS_OVER_WEBSOCKET", True)
# More websockets that carry the app's requests only (app names ARI_APP-requests-<n>): Asterisk
# works each socket's requests one at a time, so they let it work on several calls' at once,
# and bridge joins ride an idle one rather than HTTP. 0: the event socket alone.
ARI_SPARE_SOCKETS = env_int("ARI_SPARE_SOCKETS", 2)
if not 0 <= ARI_SPARE_SOCKETS <= 8:  # each one more HTTP session on Asterisk (its limit is rendered to fit)
    raise ImproperlyConfigured(f"ARI_SPARE_SOCKETS must be from 0 to 8, not {ARI_SPARE_SOCKETS}")
# How many Stasis processes serve calls (docs/architecture.md, "Several Stasis workers"): the
# first (app ARI_APP) serves every call that may ring someone; the others (ARI_APP-2, ...) share
# the calls to numbers that only play messages, menus and voicemail. 1: one process.
STASIS_WORKERS = env_int("STASIS_WORKERS", 1)
if not 1 <= STASIS_WORKERS <= 16:
    raise ImproperlyConfigured(f"STASIS_WORKERS must be from 1 to 16, not {STASIS_WORKERS}")
# How often the Stasis app closes calls whose end it missed and stores recordings Asterisk
# finished while it was away (after a crash or restart); also done on every reconnect.
STASIS_SWEEP_SECONDS = env_float("STASIS_SWEEP_SECONDS", 30.0)
# For finding a leak (bench/soak.py --trace): frames tracemalloc keeps per allocation; 0: off.
STASIS_TRACE_MEMORY = env_int("STASIS_TRACE_MEMORY", 0)
# Asterisk's recording directory (astspooldir/recording) as this host sees it, when Asterisk
# runs here or shares it as a volume: finished recordings are read there instead of being
# downloaded over ARI. Empty: download (Asterisk on another host).
# The sounds library (pbx/audio/library.py): written here, read by Asterisk at
# ASTERISK_SOUNDS_DIR (the same folder as Asterisk sees it: a shared volume, or the sandbox's
# chroot). Callers hear Centrala's built-in messages in PROMPT_LANGUAGE where it has them.
CENTRALA_SOUNDS_DIR = Path(os.environ.get("CENTRALA_SOUNDS_DIR") or BASE_DIR / "var" / "sounds")
ASTERISK_SOUNDS_DIR = os.environ.get("ASTERISK_SOUNDS_DIR") or str(CENTRALA_SOUNDS_DIR)
PROMPT_LANGUAGE = os.environ.get("PROMPT_LANGUAGE", "pl")
# Text to speech: empty for espeak-ng; else a command reading text on stdin, writing the WAV
# file named by its last argument (another offline engine).
SPEECH_COMMAND = os.environ.get("SPEECH_COMMAND", "")
ASTERISK_RECORDING_DIR = (
    Path(os.environ["ASTERISK_RECORDING_DIR"]) if os.environ.get("ASTERISK_RECORDING_DIR") else None
)
# Where the Stasis app keeps call facts while PostgreSQL is unreachable, and the last
# configuration it read (for a start during an outage). Local disk, one per app.
STASIS_SPOOL_DIR = Path(os.environ.get("CENTRALA_SPOOL_DIR", VAR_DIR / "spool"))
# Where render_asterisk_config writes; the sandbox instance's etc/ or a shared volume.
ASTERISK_CONFIG_DIR = Path(os.environ.get("ASTERISK_CONFIG_DIR", VAR_DIR / "asterisk-etc"))
ASTERISK_HTTP_PORT = env_int("ASTERISK_HTTP_PORT", 8088)
ASTERISK_SIP_PORT = env_int("ASTERISK_SIP_PORT", 5060)
ASTERISK_BIND_ADDRESS = os.environ.get("ASTERISK_BIND_ADDRESS", "127.0.0.1")  # SIP (UDP, TLS)
# ARI and Asterisk's HTTP server: loopback unless Asterisk runs on another host (then firewall it).
ASTERISK_HTTP_BIND_ADDRESS = os.environ.get("ASTERISK_HTTP_BIND_ADDRESS", "127.0.0.1")
ASTERISK_RTP_START = env_int("ASTERISK_RTP_START", 10000)
ASTERISK_RTP_END = env_int("ASTERISK_RTP_END", 10999)
# The carrier (SIP trunk) is identified by its source address; in the sandbox SIPp plays it.
TRUNK_MATCH = os.environ.get("TRUNK_MATCH", "127.0.0.2")
# Where calls to the outside world go (the carrier's SIP URI); in the sandbox a SIPp carrier.
TRUNK_CONTACT = os.environ.get("TRUNK_CONTACT", "sip:127.0.0.2:5090")
# Carriers that want a registration (most Polish SIP operators): all three set, or none.
TRUNK_USERNAME = os.environ.get("TRUNK_USERNAME", "")
TRUNK_PASSWORD = os.environ.get("TRUNK_PASSWORD", "")
TRUNK_REGISTRAR = os.environ.get("TRUNK_REGISTRAR", "")  # e.g. sip:sip.operator.example

# --- SIP security (docs/security.md) ------------------------------------------------------
# Staff phones use SIP over TLS and SRTP. Without TLS_CERT_FILE, development renders a CA and
# certificate of its own (asterisk-etc/keys/); outside development the certificate is required.
ASTERISK_TLS_PORT = env_int("ASTERISK_TLS_PORT", 5061)
TLS_CERT_FILE = os.environ.get("TLS_CERT_FILE", "")  # as Asterisk sees it, e.g. fullchain.pem
TLS_KEY_FILE = os.environ.get("TLS_KEY_FILE", "")
TLS_DEVELOPMENT_CERTIFICATES = env_bool("TLS_DEVELOPMENT_CERTIFICATES", DEBUG)
# When Asterisk runs in a chroot (the sandbox), paths it reads are given relative to it.
ASTERISK_CHROOT = os.environ.get("ASTERISK_CHROOT", "")
# Plain SIP (no TLS, no SRTP) is accepted only for extensions marked so, and only from here.
SIP_PLAIN_NETWORKS = [n for n in os.environ.get("SIP_PLAIN_NETWORKS", "127.0.0.0/8").split(",") if n]
# Countries whose fixed and mobile numbers may be forward targets and plan-B mobiles (ISO codes,
# e.g. "DE,CZ"); Polish fixed, mobile and freephone numbers always may. Premium, shared-cost and
# personal numbers never may.
FORWARD_COUNTRIES = [c.strip() for c in os.environ.get("FORWARD_COUNTRIES", "").split(",") if c.strip()]
# Internal networks a webhook may go to (e.g. "192.168.1.0/24" for a CRM in the office);
# public addresses always may, loopback and link-local never (api/addresses.py).
WEBHOOK_ALLOWED_NETWORKS = [n.strip() for n in os.environ.get("WEBHOOK_ALLOWED_NETWORKS", "").split(",") if n.strip()]
# Failed-login bans: SIP_BAN_AFTER failures within SIP_BAN_WINDOW_MINUTES ban a source for
# SIP_BAN_MINUTES; SIP_NEVER_BAN (and the carrier, and the admin's list) are never banned.
SIP_BAN_AFTER = env_int("SIP_BAN_AFTER", 5)
SIP_BAN_WINDOW_MINUTES = env_int("SIP_BAN_WINDOW_MINUTES", 10)
SIP_BAN_MINUTES = env_int("SIP_BAN_MINUTES", 60)
SIP_NEVER_BAN = [n for n in os.environ.get("SIP_NEVER_BAN", "127.0.0.1/32,::1/128").split(",") if n]
ASTERISK_SECURITY_LOG = os.environ.get("ASTERISK_SECURITY_LOG", "")  # default: beside the config dir
# Toll-fraud and ban alerts by e-mail (comma separated); empty: office managers with an address.
SECURITY_ALERT_EMAILS = [a for a in os.environ.get("SECURITY_ALERT_EMAILS", "").split(",") if a]
# Porting deadlines by e-mail (manage.py porting remind, daily in the scheduler): to these
# addresses, else to every office manager; a deadline is announced this many days ahead.
PORTING_REMINDER_EMAILS = [a for a in os.environ.get("PORTING_REMINDER_EMAILS", "").split(",") if a]
PORTING_REMINDER_DAYS = env_int("PORTING_REMINDER_DAYS", 3)
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "centrala@localhost")
# Where people reach Centrala's pages: links in e-mails (a new voicemail) start with it.
CENTRALA_URL = os.environ.get("CENTRALA_URL", "http://127.0.0.1:8000").rstrip("/")
# The name phones reach Asterisk by (in setup links and provisioning files); default: CENTRALA_URL's
# host. A setup link for a softphone works once, for SETUP_LINK_HOURS.
SIP_PUBLIC_HOST = os.environ.get("SIP_PUBLIC_HOST", "") or (urlsplit(CENTRALA_URL).hostname or "127.0.0.1")
SETUP_LINK_HOURS = env_int("SETUP_LINK_HOURS", 72)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "httpx": {"level": "WARNING"},
        "websockets": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # ARI_LOG_EVENTS=1: every ARI message as received (support, captured test fixtures)
        "pbx.ari.raw": {"level": "DEBUG" if os.environ.get("ARI_LOG_EVENTS") == "1" else "WARNING"},
    },
}
