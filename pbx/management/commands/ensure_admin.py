"""Create or update the admin account used by `make run`, with a password from the environment."""

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Ensure a superuser exists with the password held in an environment variable."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--password-env", required=True, help="name of the variable holding the password")

    def handle(self, *args: Any, username: str, password_env: str, **options: Any) -> None:
        password = os.environ.get(password_env, "")
        if len(password) < 12:
            raise CommandError(f"${password_env} must hold a password of at least 12 characters")
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"is_staff": True, "is_superuser": True}
        )
        user.set_password(password)
        user.save()
        self.stdout.write(f"admin user {username!r} {'created' if created else 'updated'}")
