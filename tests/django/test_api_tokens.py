"""Integration tokens: created once and shown once, refused alike when unknown or revoked,
narrowed by scopes and never wider than the user's role; the OpenAPI schema and docs page."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from api.actions import TokenError, do_create_token, do_revoke_token
from api.models import ApiToken, token_digest
from compliance.models import AuditEntry
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
REFUSED = {"error": "Invalid or revoked token."}


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")
    return client


def test_the_token_is_shown_once_and_only_its_digest_is_kept(manager, capsys):
    call_command("api_token", "create", "crm", "--user", "ola", "--scope", "numbers:read")
    token = capsys.readouterr().out.splitlines()[1]
    row = ApiToken.objects.get()
    assert token.startswith(f"ctr_{row.key_id}_") and len(token) > 40
    assert row.digest == token_digest(token) and token not in str(ApiToken.objects.values().get())
    assert bearer(token).get("/api/numbers/").status_code == 200
    row.refresh_from_db()
    assert row.last_used_at is not None
    assert AuditEntry.objects.get(action="api.token_create").detail == {
        "name": "crm",
        "user": "ola",
        "scopes": ["numbers:read"],
    }


@pytest.mark.parametrize("header", ["Bearer ctr_00000000_guess", "Bearer nonsense", "Bearer ctr_", "bearer x y"])
def test_unknown_and_malformed_tokens_are_refused(manager, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header, HTTP_ACCEPT_LANGUAGE="en")
    response = client.get("/api/numbers/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="centrala"'
    expected = {"error": "Send the token as 'Authorization: Bearer <token>'."} if header.count(" ") == 2 else REFUSED
    assert response.json() == expected


def test_a_revoked_or_tampered_token_gets_the_same_answer_as_an_unknown_one(manager):
    row, token = do_create_token("crm", manager, ["numbers:read"], actor="test")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert bearer(tampered).get("/api/numbers/").json() == REFUSED
    do_revoke_token(row, actor="test")
    response = bearer(token).get("/api/numbers/")
    assert (response.status_code, response.json()) == (401, REFUSED)


def test_a_token_without_the_scope_is_refused_by_name(manager):
    _, token = do_create_token("reader", manager, ["numbers:read"], actor="test")
    response = bearer(token).post("/api/numbers/", {"e164": "22 123 45 67"})
    assert (response.status_code, response.json()) == (
        403,
        {"error": "This token does not have the scope numbers:write."},
    )
    assert bearer(token).get("/api/porting-requests/").json() == {
        "error": "This token does not have the scope porting:read."
    }


def test_a_token_is_never_wider_than_its_users_role():
    agent = User.objects.create_user("jan", password="Jan-Long-Password-1")
    _, token = do_create_token("helpdesk", agent, ["numbers:read", "numbers:write"], actor="test")
    response = bearer(token).get("/api/numbers/")
    assert (response.status_code, response.json()) == (
        403,
        {"error": "Your role does not allow this (needs numbers.view_companynumber)."},
    )


def test_an_inactive_user_s_token_stops_working(manager):
    _, token = do_create_token("crm", manager, ["numbers:read"], actor="test")
    User.objects.filter(pk=manager.pk).update(is_active=False)
    assert bearer(token).get("/api/numbers/").json() == REFUSED


def test_bad_command_input_is_named_and_writes_nothing(manager):
    with pytest.raises(CommandError, match="There is no user 'nobody'"):
        call_command("api_token", "create", "crm", "--user", "nobody", "--scope", "numbers:read")
    with pytest.raises(CommandError, match=r"Unknown scope\(s\) calls:everything; known: numbers:read"):
        call_command("api_token", "create", "crm", "--user", "ola", "--scope", "calls:everything")
    with pytest.raises(CommandError, match="at least one scope"):
        call_command("api_token", "create", "crm", "--user", "ola")
    with pytest.raises(CommandError, match="There is no token named 'crm'"):
        call_command("api_token", "revoke", "crm")
    assert not ApiToken.objects.exists() and not AuditEntry.objects.exists()
    do_create_token("crm", manager, ["numbers:read"], actor="test")
    with pytest.raises(TokenError, match="already a token named 'crm'"):
        do_create_token("crm", manager, ["numbers:read"], actor="test")


def test_list_and_revoke_from_the_command(manager, capsys):
    do_create_token("crm", manager, ["porting:read", "numbers:read"], actor="test")
    call_command("api_token", "revoke", "crm")
    call_command("api_token", "list")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "token crm revoked"
    assert out[1].startswith("crm\tola\tnumbers:read,porting:read\trevoked ")


def test_the_admin_creates_a_token_and_shows_it_once(manager, client):
    signed_in(client, manager)
    response = client.post(
        "/admin/api/apitoken/add/", {"name": "crm", "user": manager.pk, "scopes": ["numbers:read"]}, follow=True
    )
    shown = [str(m) for m in response.context["messages"]]
    row = ApiToken.objects.get()
    token = next(m for m in shown if "ctr_" in m).split(": ")[-1]
    assert row.matches(token) and row.scopes == ["numbers:read"]


def test_the_schema_and_docs_page_are_served_without_outside_network(manager, client):
    signed_in(client, manager)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = schema.json()["paths"]
    assert {"/api/numbers/", "/api/porting-requests/{id}/move/", "/api/calls/{id}/recording/{action}"} <= set(paths)
    assert schema.json()["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    page = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in page and "cdn." not in page and "http://" not in page.replace("http://testserver", "")
