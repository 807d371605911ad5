"""Roles again: setup links for phones (the office manager's, like devices)."""

from django.db import migrations

from compliance.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0016_roles_devices"),
        ("pbx", "0017_setup_links"),
    ]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
