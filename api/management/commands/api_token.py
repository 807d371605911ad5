"""Tokens for integrations (CRM, helpdesk, scripts):

    manage.py api_token create crm --user ola --scope numbers:read --scope porting:read
    manage.py api_token list
    manage.py api_token revoke crm
    manage.py api_token scopes         what each scope allows

The token is printed once, on creation; Centrala keeps only its SHA-256.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from api.actions import TokenError, do_create_token, do_revoke_token
from api.models import ApiToken
from api.scopes import SCOPES


class Command(BaseCommand):
    help = "Create, list and revoke API tokens for integrations."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="a new token; printed once")
        create.add_argument("name", help="the integration, e.g. crm")
        create.add_argument("--user", required=True, help="the user the token acts for (their role applies)")
        create.add_argument("--scope", action="append", default=[], help="repeat; see 'api_token scopes'")
        sub.add_parser("list")
        sub.add_parser("revoke").add_argument("name")
        sub.add_parser("scopes")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _create(self, options: dict[str, Any]) -> None:
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"There is no user {options['user']!r}.")
        try:
            row, token = do_create_token(options["name"], user, options["scope"], actor="manage.py")
        except TokenError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"token for {row.name} (acts for {user.get_username()}; {', '.join(row.scopes)}):")
        self.stdout.write(token)
        self.stdout.write("It is shown only now: store it in the integration's settings.")

    def _list(self, options: dict[str, Any]) -> None:
        for row in ApiToken.objects.select_related("user"):
            state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
            used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never used"
            self.stdout.write(f"{row.name}\t{row.user.get_username()}\t{','.join(row.scopes)}\t{state}\t{used}")

    def _revoke(self, options: dict[str, Any]) -> None:
        row = ApiToken.objects.filter(name=options["name"]).first()
        if row is None:
            raise CommandError(f"There is no token named {options['name']!r}.")
        do_revoke_token(row, actor="manage.py")
        self.stdout.write(f"token {row.name} revoked")

    def _scopes(self, options: dict[str, Any]) -> None:
        for scope, what in SCOPES.items():
            self.stdout.write(f"{scope}\t{what}")
