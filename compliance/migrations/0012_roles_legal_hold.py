"""Roles again: legal holds need their own permission, which only the DPO role holds."""

from django.db import migrations

from compliance.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0011_purpose_announce_to_called"),
        ("recordings", "0006_legal_hold_permission"),
    ]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
