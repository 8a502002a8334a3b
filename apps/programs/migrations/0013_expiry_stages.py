"""Points expiring are announced at two stages: `reminder_days` (30) and a new
`final_reminder_days` (7) before. A notice names its stage; the notices written before
were all of the first stage, so they take their program's `reminder_days`. A program
reminding 7 days or fewer before keeps its one reminder (no final one: it would not
come after the first)."""

from django.db import migrations, models
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce


def _fill(apps, schema_editor):
    ExpiryNotice = apps.get_model("programs", "ExpiryNotice")
    ProgramSettings = apps.get_model("programs", "ProgramSettings")
    ProgramSettings.objects.filter(reminder_days__lte=F("final_reminder_days")).update(
        final_reminder_days=None
    )
    days = ProgramSettings.objects.filter(merchant=OuterRef("merchant")).values("reminder_days")
    # 30: the default of a program that never saved its settings.
    ExpiryNotice.objects.update(days_before=Coalesce(Subquery(days[:1]), 30))


class Migration(migrations.Migration):
    dependencies = [("programs", "0012_purchase_window_index")]

    operations = [
        migrations.AddField(
            model_name="programsettings",
            name="final_reminder_days",
            field=models.PositiveSmallIntegerField(
                blank=True,
                default=7,
                help_text="Remind members once more this many days before their points expire.",
                null=True,
                verbose_name="final reminder (days before expiry)",
            ),
        ),
        migrations.AddField(
            model_name="expirynotice",
            name="days_before",
            field=models.PositiveSmallIntegerField(null=True, verbose_name="days before expiry"),
        ),
        migrations.RunPython(_fill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="expirynotice",
            name="days_before",
            field=models.PositiveSmallIntegerField(verbose_name="days before expiry"),
        ),
        migrations.AddConstraint(
            model_name="programsettings",
            constraint=models.CheckConstraint(
                condition=Q(final_reminder_days__isnull=True)
                | Q(final_reminder_days__lt=F("reminder_days")),
                name="programs_final_reminder_after_first",
            ),
        ),
        migrations.RemoveConstraint(model_name="expirynotice", name="programs_expiry_notice_once"),
        migrations.AddConstraint(
            model_name="expirynotice",
            constraint=models.UniqueConstraint(
                fields=("member", "expires_at", "days_before"), name="programs_expiry_notice_once"
            ),
        ),
    ]
