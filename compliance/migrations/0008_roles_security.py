"""Roles again: the office manager sees failed logins, bans, toll-fraud alerts and calling policies."""

from django.db import migrations

from compliance.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0007_roles_porting"),
        ("pbx", "0003_calling_policy_and_encryption"),
        ("security", "0001_initial"),
        ("api", "0001_initial"),
    ]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
