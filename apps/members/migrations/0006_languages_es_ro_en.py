"""Fideliza speaks Spanish, Romanian and English: a member in any other language (one we
offered without a catalog) moves to English; an empty language (the merchant's) stays."""

from django.db import migrations

SPOKEN = ("es", "ro", "en", "")


def to_spoken_languages(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    Member.objects.exclude(language__in=SPOKEN).update(language="en")


class Migration(migrations.Migration):
    dependencies = [("members", "0005_files_removed_at")]

    operations = [migrations.RunPython(to_spoken_languages, migrations.RunPython.noop)]
