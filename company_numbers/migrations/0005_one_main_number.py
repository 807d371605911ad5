"""One main number at most, in the database too. Where the admin let several be marked (it did
not take the mark from the old main number), the oldest keeps it."""

from django.db import migrations, models


def keep_one_main_number(apps, schema_editor):  # type: ignore[no-untyped-def]
    numbers = apps.get_model("numbers", "CompanyNumber")
    first = numbers.objects.filter(is_main=True).order_by("pk").first()
    if first is not None:
        numbers.objects.filter(is_main=True).exclude(pk=first.pk).update(is_main=False)


class Migration(migrations.Migration):
    dependencies = [
        ("numbers", "0004_porting_reminders"),
        ("pbx", "0004_call_notes_click_to_call"),
    ]

    operations = [
        migrations.RunPython(keep_one_main_number, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="companynumber",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_main", True)), fields=("is_main",), name="one_main_number"
            ),
        ),
    ]
