"""Percent coupons: a coupon is worth a fixed `value` or a `percent` of the basket, exactly
one of the two. What a redemption took off the basket is kept (`redeemed_discount`): a
percent coupon's discount depends on the basket, and a retry and the analytics read it
back instead of working it out again. Coupons redeemed before took min(value, basket)."""

from django.db import migrations, models
from django.db.models import F
from django.db.models.functions import Least


def backfill(apps, schema_editor):
    Coupon = apps.get_model("coupons", "Coupon")
    Coupon.objects.filter(status="redeemed", redeemed_discount__isnull=True).update(
        redeemed_discount=Least(F("value"), F("redeemed_amount"))
    )


class Migration(migrations.Migration):
    dependencies = [("coupons", "0006_purchase_discount_backfill")]

    operations = [
        migrations.RemoveConstraint(
            model_name="coupon",
            name="coupons_value_positive",
        ),
        migrations.AddField(
            model_name="coupon",
            name="percent",
            field=models.PositiveSmallIntegerField(
                default=0,
                help_text="Of the basket, 1 to 100; 0 for a coupon of a fixed value.",
                verbose_name="percent off",
            ),
        ),
        migrations.AddField(
            model_name="coupon",
            name="redeemed_discount",
            field=models.BigIntegerField(
                blank=True,
                help_text="What it took off the basket, in minor units.",
                null=True,
                verbose_name="discount given",
            ),
        ),
        migrations.AlterField(
            model_name="coupon",
            name="value",
            field=models.BigIntegerField(
                help_text="Minor units of `currency`; 0 for a percent coupon.",
                verbose_name="value",
            ),
        ),
        migrations.AddConstraint(
            model_name="coupon",
            constraint=models.CheckConstraint(
                condition=models.Q(("percent", 0), ("value__gt", 0))
                | models.Q(("percent__gte", 1), ("percent__lte", 100), ("value", 0)),
                name="coupons_value_or_percent",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
