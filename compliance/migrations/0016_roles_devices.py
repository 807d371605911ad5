"""Roles again: a person's other phones (the office manager's, like extensions)."""

from django.db import migrations

from compliance.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0015_roles_missed_call_digests"),
        ("pbx", "0015_devices"),
    ]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
