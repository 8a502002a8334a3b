"""Each member's purchases and points per day, for the tier windows
(apps/programs/points/day_totals.py), filled from the purchases and bonuses so far."""

import django.db.models.deletion
from django.db import migrations, models

FILL = """
INSERT INTO programs_memberdaytotal (merchant_id, member_id, day, spend, points)
SELECT merchant_id, member_id, day, SUM(spend), SUM(points) FROM (
    SELECT merchant_id, member_id, {day} AS day,
           amount - refunded_amount AS spend, points_earned - points_reversed AS points
    FROM programs_purchase
    UNION ALL
    SELECT merchant_id, member_id, {day} AS day, 0 AS spend, points
    FROM programs_bonusaward WHERE points > 0
) AS parts GROUP BY merchant_id, member_id, day
"""


def fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        day = "(occurred_at AT TIME ZONE 'UTC')::date"
    else:
        day = "date(occurred_at)"
    schema_editor.execute(FILL.format(day=day))


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0008_location_opening_hours"),
        ("members", "0011_members_birthday"),
        ("programs", "0013_expiry_stages"),
    ]

    operations = [
        migrations.CreateModel(
            name="MemberDayTotal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(verbose_name="day")),
                ("spend", models.BigIntegerField(default=0, verbose_name="spend")),
                ("points", models.BigIntegerField(default=0, verbose_name="points")),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="members.member",
                        verbose_name="member",
                    ),
                ),
                (
                    "merchant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.merchant",
                        verbose_name="business",
                    ),
                ),
            ],
            options={
                "verbose_name": "member's day total",
                "verbose_name_plural": "members' day totals",
                "constraints": [
                    models.UniqueConstraint(
                        models.F("member"), models.F("day"), name="programs_member_day_total"
                    )
                ],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
