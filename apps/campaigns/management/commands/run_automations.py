from django.core.management.base import BaseCommand, CommandError

from apps.campaigns.automations.run import automations_run
from apps.campaigns.automations.selectors import merchants_with_automations
from apps.core.models import Merchant


class Command(BaseCommand):
    help = (
        "Run the automations that are due now (the beat does the same every 5 minutes), for "
        "one merchant or every merchant with an automation on. Run twice, sends nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument("merchant", nargs="?", help="the merchant's slug (default: all)")

    def handle(self, *args, merchant=None, **options):
        if merchant:
            merchants = list(Merchant.objects.filter(slug=merchant))
            if not merchants:
                raise CommandError(f"No merchant {merchant!r}.")
        else:
            merchants = list(Merchant.objects.filter(pk__in=merchants_with_automations()))
        for each in merchants:
            result = automations_run(merchant=each)
            outcomes = ", ".join(f"{name} {n:,}" for name, n in sorted(result.outcomes.items()))
            self.stdout.write(
                f"{each.slug}: {result.days_scanned} day(s) looked at; {outcomes or 'nothing due'}"
            )
