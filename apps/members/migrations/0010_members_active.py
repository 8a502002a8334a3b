"""An index of the merchant's members still members, by id, with the columns segments
select on: a segment's count reads them from it, not from the table's wide rows
(bench/segments.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("members", "0009_import_send_welcome")]

    operations = [
        migrations.AddIndex(
            model_name="member",
            index=models.Index(
                fields=["merchant", "id"],
                include=[
                    "birthday",
                    "consent_email",
                    "consent_sms",
                    "language",
                    "channel",
                    "location",
                    "enrolled_at",
                ],
                condition=models.Q(erased_at__isnull=True, merged_into__isnull=True),
                name="members_active",
            ),
        ),
    ]
