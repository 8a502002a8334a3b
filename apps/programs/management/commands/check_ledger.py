from django.core.management.base import BaseCommand, CommandError

from apps.programs.points.ledger import ledger_account_models, ledger_balance_mismatches


class Command(BaseCommand):
    help = (
        "Check that every member's balance equals the sum of their ledger, for points (and "
        "of their lots) and for money (the cashback wallet)."
    )

    def handle(self, *args, **options):
        found = 0
        for account_model in ledger_account_models():
            label = account_model._meta.verbose_name
            for row in ledger_balance_mismatches(account_model=account_model):
                found += 1
                lots = "" if row.lots_sum is None else f", lots {row.lots_sum}"
                self.stderr.write(
                    f"member {row.member_id} ({label}): balance {row.balance}, "
                    f"ledger {row.ledger_sum}{lots}"
                )
        if found:
            raise CommandError(f"{found} member account(s) do not add up.")
        self.stdout.write(
            self.style.SUCCESS("Every balance equals its ledger (and its lots, for points).")
        )
