"""Fideliza speaks Spanish, Romanian and English: a merchant in any other language (one we
offered without a catalog) moves to English."""

from django.db import migrations

SPOKEN = ("es", "ro", "en")


def to_spoken_languages(apps, schema_editor):
    Merchant = apps.get_model("core", "Merchant")
    Merchant.objects.exclude(language__in=SPOKEN).update(language="en")


class Migration(migrations.Migration):
    dependencies = [("core", "0005_merchant_config_version")]

    operations = [migrations.RunPython(to_spoken_languages, migrations.RunPython.noop)]
