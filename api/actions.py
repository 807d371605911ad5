"""Creating and revoking integration tokens. Every change is in the audit log."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from api.models import ApiToken, token_digest
from api.scopes import SCOPES, unknown_scopes
from compliance.audit import do_audit


class TokenError(Exception):
    """A token that cannot be created or revoked as asked, with the reason."""


def do_create_token(name: str, user: User, scopes: list[str], actor: str) -> tuple[ApiToken, str]:
    """A new token for integration `name` acting for `user`. Returns the row and the token,
    which is never stored and cannot be shown again."""
    name = name.strip()
    if not name:
        raise TokenError("Name the integration (e.g. crm).")
    if bad := unknown_scopes(scopes):
        raise TokenError(f"Unknown scope(s) {', '.join(bad)}; known: {', '.join(SCOPES)}.")
    if not scopes:
        raise TokenError(f"Give the token at least one scope: {', '.join(SCOPES)}.")
    if ApiToken.objects.filter(name=name).exists():
        raise TokenError(f"There is already a token named {name!r}; revoke it or choose another name.")
    key_id, token = ApiToken.new_secret()
    with transaction.atomic():
        row = ApiToken.objects.create(
            name=name, user=user, scopes=sorted(set(scopes)), key_id=key_id, digest=token_digest(token)
        )
        do_audit(
            actor, "api.token_create", f"apitoken:{row.pk}", name=name, user=user.get_username(), scopes=row.scopes
        )
    return row, token


def do_revoke_token(token: ApiToken, actor: str) -> None:
    """From now on the token is refused. Idempotent: revoking twice keeps the first time."""
    if token.revoked_at:
        return
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        do_audit(actor, "api.token_revoke", f"apitoken:{token.pk}", name=token.name)
