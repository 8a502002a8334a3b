from django.core.management.base import BaseCommand, CommandError

from apps.programs.coupons.cashback import wallet_mismatches


class Command(BaseCommand):
    help = "Check that every cashback wallet's balance equals the sum of its entries."

    def handle(self, *args, **options):
        mismatches = wallet_mismatches()
        for row in mismatches:
            self.stderr.write(
                f"member {row.member_id}: wallet {row.balance}, entries {row.ledger_sum}"
            )
        if mismatches:
            raise CommandError(f"{len(mismatches)} wallet(s) do not add up.")
        self.stdout.write(self.style.SUCCESS("Every wallet equals the sum of its entries."))
