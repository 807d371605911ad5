"""Centrala settings. Everything a deployment changes comes from the environment.

SQLite by default so `make run` works anywhere; DATABASE_URL selects PostgreSQL
(postgres://user@host:port/name, psycopg 3).
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CENTRALA_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

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

# Recordings are encrypted at rest with per-recording keys wrapped by this master key
# (32 random bytes, base64). Development uses a per-machine key in var/ when unset.
RECORDING_MASTER_KEY = os.environ.get("RECORDING_MASTER_KEY", "")
# How long recordings without a processing purpose (voicemail) are kept.
DEFAULT_RETENTION_DAYS = int(os.environ.get("DEFAULT_RETENTION_DAYS", "30"))

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
ARI_URL = os.environ.get("ARI_URL", "http://127.0.0.1:8088/ari")
ARI_USER = os.environ.get("ARI_USER", "centrala")
ARI_PASSWORD = os.environ.get("ARI_PASSWORD", "")
ARI_APP = os.environ.get("ARI_APP", "centrala")
# Where render_asterisk_config writes; the sandbox instance's etc/ or a shared volume.
ASTERISK_CONFIG_DIR = Path(os.environ.get("ASTERISK_CONFIG_DIR", VAR_DIR / "asterisk-etc"))
ASTERISK_HTTP_PORT = int(os.environ.get("ASTERISK_HTTP_PORT", "8088"))
ASTERISK_SIP_PORT = int(os.environ.get("ASTERISK_SIP_PORT", "5060"))
ASTERISK_BIND_ADDRESS = os.environ.get("ASTERISK_BIND_ADDRESS", "127.0.0.1")
ASTERISK_RTP_START = int(os.environ.get("ASTERISK_RTP_START", "10000"))
ASTERISK_RTP_END = int(os.environ.get("ASTERISK_RTP_END", "10999"))
# The carrier (SIP trunk) is identified by its source address; in the sandbox SIPp plays it.
TRUNK_MATCH = os.environ.get("TRUNK_MATCH", "127.0.0.2")
# Where calls to the outside world go (the carrier's SIP URI); in the sandbox a SIPp carrier.
TRUNK_CONTACT = os.environ.get("TRUNK_CONTACT", "sip:127.0.0.2:5090")
# Carriers that want a registration (most Polish SIP operators): all three set, or none.
TRUNK_USERNAME = os.environ.get("TRUNK_USERNAME", "")
TRUNK_PASSWORD = os.environ.get("TRUNK_PASSWORD", "")
TRUNK_REGISTRAR = os.environ.get("TRUNK_REGISTRAR", "")  # e.g. sip:sip.operator.example

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "websockets": {"level": "WARNING"}},
}
