"""Roles again: voicemail boxes (the office manager's) and their messages (heard by the people
they were left for)."""

from django.db import migrations

from compliance.migrations._roles import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0013_notice_url_https"),
        ("voicemail", "0001_initial"),
    ]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
