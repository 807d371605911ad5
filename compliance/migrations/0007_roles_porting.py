"""Roles again: the office manager now handles porting requests too."""

from django.db import migrations

from compliance.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0006_roles_scoped_by_team"),
        ("numbers", "0003_porting"),
    ]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
