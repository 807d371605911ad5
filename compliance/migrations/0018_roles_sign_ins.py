"""Roles again: the office manager unlocks people and resets lost two-step devices."""

from django.db import migrations

from compliance.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0017_roles_setup_links"),
        ("security", "0003_sign_ins_in_polish"),
    ]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
