"""Rewards get an opaque public id for the API: added empty, filled one by one (each
needs its own random value), then made unique and required."""

from django.db import migrations, models

from apps.programs.rewards.models import new_reward_id


def fill_public_ids(apps, schema_editor):
    Reward = apps.get_model("programs", "Reward")
    for reward in Reward.objects.filter(public_id__isnull=True).only("pk"):
        reward.public_id = new_reward_id()
        reward.save(update_fields=["public_id"])


class Migration(migrations.Migration):
    dependencies = [("programs", "0006_coupon_reward")]

    operations = [
        migrations.AddField(
            model_name="reward",
            name="public_id",
            field=models.CharField(max_length=24, null=True, editable=False),
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="reward",
            name="public_id",
            field=models.CharField(
                default=new_reward_id,
                editable=False,
                max_length=24,
                unique=True,
            ),
        ),
    ]
