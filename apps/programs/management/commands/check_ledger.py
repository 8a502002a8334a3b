from django.core.management.base import BaseCommand, CommandError

from apps.programs.points.selectors import ledger_mismatches


class Command(BaseCommand):
    help = "Check that every member's balance equals the sum of their ledger and of their lots."

    def handle(self, *args, **options):
        mismatches = ledger_mismatches()
        for row in mismatches:
            self.stderr.write(
                f"member {row.member_id}: balance {row.balance}, ledger {row.ledger_sum}, "
                f"lots {row.lots_sum}"
            )
        if mismatches:
            raise CommandError(f"{len(mismatches)} member(s) do not add up.")
        self.stdout.write(self.style.SUCCESS("Every balance equals its ledger and its lots."))
