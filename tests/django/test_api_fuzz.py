"""Schemathesis against the OpenAPI schema: requests generated from the schema (valid and
not) never get a server error. Runs in-process (WSGI) on the test database with a token that
holds every scope. Every operation is covered: those that ring phones or steer a live call talk
to a stand-in ARI on loopback (tests/fake_ari.py), so their success paths run here too; the
end-to-end tier runs them on the real Asterisk."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from api.actions import do_create_token
from api.scopes import SCOPES


def _schema() -> schemathesis.schemas.BaseSchema:
    raw = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.app = get_wsgi_application()
    return loaded


schema = _schema()


@pytest.fixture
def bearer(db: None) -> Iterator[dict[str, str]]:
    root = User.objects.create_superuser("root", "root@firma.test", "Root-Long-Password-1")
    _, token = do_create_token("fuzz", root, list(SCOPES), actor="test")
    # As Django's own test client does: the requests share the test's transaction, so the
    # handler must not close the connection after each one.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_request_gets_a_server_error(case, bearer, fake_ari):  # type: ignore[no-untyped-def]
    response = case.call(headers=bearer)
    case.validate_response(response, checks=[not_a_server_error])
