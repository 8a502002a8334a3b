"""A merchant's purchases by time, with the member and the amount: the segments' counts
and sums over the last N days read this index alone (bench/segments.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("programs", "0011_purchase_discount")]

    operations = [
        migrations.AddIndex(
            model_name="purchase",
            index=models.Index(
                fields=["merchant", "occurred_at"],
                include=["member", "amount"],
                name="programs_purchase_window",
            ),
        ),
    ]
