"""Roles again: the office manager sees emergency calls and marks them seen."""

from django.db import migrations

from compliance.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0009_roles_porting_reminders"),
        ("security", "0002_emergency_calls"),
    ]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
