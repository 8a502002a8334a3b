"""The days each member bought on at each location, as bits (apps/analytics/daybits.py),
filled from the members' months there."""

from collections import defaultdict

import apps.analytics.daybits
import django.db.models.deletion
from django.db import migrations, models

BATCH = 2000


def _days(month, mask):
    first = month.toordinal()
    while mask:
        low = mask & -mask
        yield first + low.bit_length() - 1
        mask ^= low


def _bits(days, first):
    value = 0
    for day in days:
        value |= 1 << (day - first)
    return format(value, "b")[::-1] if value else ""


def fill_location_days(apps, schema_editor):
    MemberStats = apps.get_model("analytics", "MemberStats")
    MemberMonth = apps.get_model("analytics", "MemberMonth")
    MemberLocationDays = apps.get_model("analytics", "MemberLocationDays")
    last = 0
    while ids := list(
        MemberStats.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH]
    ):
        days = defaultdict(list)
        months = MemberMonth.objects.filter(member_id__in=ids).values_list(
            "merchant_id", "member_id", "location_id", "month", "day_mask"
        )
        for merchant_id, member_id, location_id, month, mask in months:
            days[(merchant_id, member_id, location_id)].extend(_days(month, mask))
        MemberLocationDays.objects.bulk_create(
            [
                MemberLocationDays(
                    merchant_id=merchant_id,
                    member_id=member_id,
                    location_id=location_id,
                    days_from=min(bought),
                    days=_bits(bought, min(bought)),
                )
                for (merchant_id, member_id, location_id), bought in days.items()
            ],
            batch_size=1000,
        )
        last = ids[-1]


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0002_member_days"),
        ("core", "0005_merchant_config_version"),
        ("members", "0005_files_removed_at"),
    ]

    operations = [
        migrations.CreateModel(
            name="MemberLocationDays",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "days_from",
                    models.IntegerField(help_text="The first day bought on, as date.toordinal()."),
                ),
                (
                    "days",
                    apps.analytics.daybits.DayBitsField(
                        help_text="From days_from on, 1 for each day with a purchase there."
                    ),
                ),
                (
                    "location",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.location",
                    ),
                ),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="members.member",
                    ),
                ),
                (
                    "merchant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.merchant",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "member location days",
                "indexes": [
                    models.Index(
                        fields=["merchant", "location"], name="analytics_member_days_where"
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        models.F("member"),
                        models.F("location"),
                        condition=models.Q(("location__isnull", False)),
                        name="analytics_member_days_at_location",
                    ),
                    models.UniqueConstraint(
                        models.F("member"),
                        condition=models.Q(("location__isnull", True)),
                        name="analytics_member_days_no_location",
                    ),
                ],
            },
        ),
        migrations.RunPython(fill_location_days, migrations.RunPython.noop, elidable=True),
    ]
