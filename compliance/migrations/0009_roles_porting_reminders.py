"""Roles again: the office manager sees the porting reminders the scheduler sent."""

from django.db import migrations

from compliance.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0008_roles_security"),
        ("numbers", "0004_porting_reminders"),
    ]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
