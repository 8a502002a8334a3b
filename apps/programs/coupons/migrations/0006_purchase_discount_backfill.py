"""The counter's sales paid partly with a coupon recorded the purchase at what was paid and
the coupon's redemption at the basket, with the ticket as its redeem key: their discount
is known exactly, so `Purchase.discount` is filled in for them. (A storefront's two calls
may have recorded the basket or what was paid: those stay as they were.)"""

from django.db import migrations
from django.db.models import F, Value
from django.db.models.functions import Concat, Least, Left


def backfill(apps, schema_editor):
    Coupon = apps.get_model("coupons", "Coupon")
    Purchase = apps.get_model("programs", "Purchase")
    used = (
        Coupon.objects.filter(status="redeemed", redeemed_purchase__isnull=False)
        .annotate(
            ticket_key=Left(Concat(Value("purchase:"), F("redeemed_purchase__external_id")), 100)
        )
        .filter(redeem_key=F("ticket_key"), redeemed_purchase__discount=0)
        .annotate(discount=Least(F("value"), F("redeemed_amount")))
        .values_list("redeemed_purchase_id", "discount")
    )
    for purchase_id, discount in used.iterator(chunk_size=1000):
        Purchase.objects.filter(pk=purchase_id).update(discount=discount)


class Migration(migrations.Migration):
    dependencies = [
        ("coupons", "0005_cashback_entries_append_only"),
        ("programs", "0011_purchase_discount"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
