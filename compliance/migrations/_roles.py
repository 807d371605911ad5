"""Shared by the migrations that (re)create the roles."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions


def create_roles(apps, schema_editor):  # type: ignore[no-untyped-def]
    from compliance.roles import sync_roles

    # Permissions are normally created after all migrations; the roles need them now.
    for config in global_apps.get_app_configs():
        original, config.models_module = config.models_module, True
        try:
            create_permissions(config, verbosity=0, apps=apps)
        finally:
            config.models_module = original
    sync_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))
