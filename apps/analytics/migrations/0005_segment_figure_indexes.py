"""The rollup figures segments select on, each indexed with the member, so that a
segment's count reads the members in a range from an index alone (bench/segments.py).
The recency index gains the member too."""

from django.db import migrations, models


def _index(column: str, name: str) -> models.Index:
    return models.Index(fields=["merchant", column], include=["member"], name=name)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0004_translated_labels")]

    operations = [
        migrations.RemoveIndex(model_name="memberstats", name="analytics_member_recency"),
        migrations.AddIndex(
            model_name="memberstats", index=_index("last_seen_on", "analytics_member_recency")
        ),
        migrations.AddIndex(
            model_name="memberstats", index=_index("last_purchase_on", "analytics_member_last_buy")
        ),
        migrations.AddIndex(
            model_name="memberstats", index=_index("purchases", "analytics_member_buys")
        ),
        migrations.AddIndex(
            model_name="memberstats", index=_index("spent", "analytics_member_spent")
        ),
    ]
