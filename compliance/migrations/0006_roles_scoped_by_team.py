"""Roles again, now that calls and recordings can be scoped by team (view_all_* permissions)."""

from django.db import migrations

from compliance.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0005_datasubjectrequest"),
        ("pbx", "0002_call_queue_staff_supervisors"),
        ("recordings", "0005_view_all_recordings"),
    ]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
