"""Who is calling the API and what they may do.

An integration sends `Authorization: Bearer ctr_...`. An unknown, malformed or revoked token
gets one and the same answer, so tokens cannot be probed. A person logged in to the admin can
use the API from the browser (session) without scopes; either way the user must hold the
Django permission the request needs, so the API never shows more than the admin would.
"""

from datetime import timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from api.models import PREFIX, ApiToken

REFUSED = "Invalid or revoked token."
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per token
PERMISSION_BY_METHOD = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


class TokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send the token as 'Authorization: Bearer <token>'.")
        token = parts[1].decode(errors="replace")
        row = _find(token)
        if row is None or row.revoked_at or not row.matches(token) or not row.user.is_active:
            raise exceptions.AuthenticationFailed(REFUSED)
        now = timezone.now()
        if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        return row.user, row

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="centrala"'


def actor(request: Request) -> str:
    """Who did it, for the audit log: the user, and the integration when a token was used."""
    name = request.user.get_username()
    return f"{name} (token {request.auth})" if isinstance(request.auth, ApiToken) else name


def _find(token: str) -> ApiToken | None:
    if not token.startswith(PREFIX) or "_" not in token[len(PREFIX) :]:
        return None
    key_id = token[len(PREFIX) :].split("_", 1)[0]
    return ApiToken.objects.select_related("user").filter(key_id=key_id).first()


class ScopedPermission(BasePermission):
    """The view names its `scope_area` ('numbers' -> numbers:read for GET, numbers:write else)
    and, when it serves one model, its `model` (for the Django permission; a view with its own
    rule, like recording control, checks that itself). Refusals name what is missing."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        scope = f"{view.scope_area}:{'read' if request.method in SAFE_METHODS else 'write'}"
        if isinstance(request.auth, ApiToken) and scope not in request.auth.scopes:
            raise exceptions.PermissionDenied(f"This token does not have the scope {scope}.")
        if (model := getattr(view, "model", None)) is None:
            return True
        action = getattr(view, "permission_action", None) or PERMISSION_BY_METHOD.get(request.method or "", "view")
        permission = f"{model._meta.app_label}.{action}_{model._meta.model_name}"
        if not request.user.has_perm(permission):
            raise exceptions.PermissionDenied(f"Your role does not allow this (needs {permission}).")
        return True


class TokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes TokenAuthentication."""

    target_class = "api.auth.TokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "manage.py api_token create NAME --user U --scope S"}
