"""Settings for the test suite: PostgreSQL, a private Asterisk instance on other ports."""

import base64
import os
import secrets
import tempfile
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/centrala")

from config.settings import *  # noqa: F403

# The "test" sandbox instance runs beside the "dev" one (make run) without clashing.
ASTERISK_HTTP_PORT = 18088
ASTERISK_SIP_PORT = 15060
ASTERISK_TLS_PORT = 15061
ASTERISK_RTP_START = 12000
ASTERISK_RTP_END = 12999
TRUNK_CONTACT = "sip:127.0.0.2:15090"  # the SIPp carrier of the e2e tests
ARI_URL = f"http://127.0.0.1:{ASTERISK_HTTP_PORT}/ari"
ARI_USER = "centrala-test"
# Fresh per run and rendered into the test instance; kept in the environment so that a
# `manage.py stasis` started by a test connects with the same password.
ARI_PASSWORD = os.environ.setdefault("CENTRALA_TEST_ARI_PASSWORD", secrets.token_hex(16))
ARI_APP = "centrala-test"
MEDIA_ROOT = Path(os.environ.get("CENTRALA_MEDIA_ROOT") or tempfile.mkdtemp(prefix="centrala-test-media-"))
# Rendered config (and the development TLS keys) go here unless a test names the sandbox's.
ASTERISK_CONFIG_DIR = Path(
    os.environ.get("ASTERISK_CONFIG_DIR") or tempfile.mkdtemp(prefix="centrala-test-asterisk-etc-")
)
# The sounds library of the tests; the end-to-end tier points it into the sandbox. Calls in
# tests hear Asterisk's stock sounds, whose lengths the tests know; the tests of the Polish
# built-in messages switch PROMPT_LANGUAGE to "pl" themselves.
# `manage.py stasis` started by a test as its own process is handed the test's (environment).
CENTRALA_SOUNDS_DIR = Path(os.environ.get("CENTRALA_SOUNDS_DIR") or tempfile.mkdtemp(prefix="centrala-test-sounds-"))
ASTERISK_SOUNDS_DIR = os.environ.get("ASTERISK_SOUNDS_DIR") or str(CENTRALA_SOUNDS_DIR)
PROMPT_LANGUAGE = "en"
# Each test process spools the Stasis app's facts in a folder of its own (make test runs two
# side by side); a `manage.py stasis` started by a test is handed it (tests/e2e/stasis_process.py).
STASIS_SPOOL_DIR = Path(os.environ.get("CENTRALA_SPOOL_DIR") or tempfile.mkdtemp(prefix="centrala-test-spool-"))
TLS_DEVELOPMENT_CERTIFICATES = True
RECORDING_MASTER_KEY = os.environ.setdefault(
    "CENTRALA_TEST_MASTER_KEY", base64.b64encode(secrets.token_bytes(32)).decode()
)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast users in tests only
LOGGING["root"] = {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")}  # noqa: F405
