"""Roles again: missed-call digests (the office manager's)."""

from django.db import migrations

from compliance.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0014_roles_voicemail"),
        ("voicemail", "0002_missed_call_digest"),
    ]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
