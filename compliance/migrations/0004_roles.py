"""Create the four roles (groups) with their permissions."""

from django.db import migrations

from compliance.migrations._roles import create_roles


def remove_roles(apps, schema_editor):  # type: ignore[no-untyped-def]
    from compliance.roles import ROLES

    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0003_recordingtombstone_processingpurpose"),
        ("recordings", "0003_recording_expires_at_recording_hold_reason_and_more"),
        ("pbx", "0001_initial"),
        ("numbers", "0002_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, remove_roles)]
