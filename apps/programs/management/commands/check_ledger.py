from django.core.management.base import BaseCommand, CommandError

from apps.programs.points.day_totals import day_totals_mismatches, day_totals_rebuild
from apps.programs.points.ledger import ledger_account_models, ledger_balance_mismatches


class Command(BaseCommand):
    help = (
        "Check that every member's balance equals the sum of their ledger, for points (and "
        "of their lots) and for money (the cashback wallet); and that the members' day "
        "totals (what tier windows add up) equal their purchases and bonuses."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--repair-day-totals",
            action="store_true",
            help="Make the day totals that do not add up again from the purchases.",
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
        days = day_totals_mismatches()
        for member_id, day in days[:100]:
            self.stderr.write(f"member {member_id}: day total of {day} differs from purchases")
        if days and options["repair_day_totals"]:
            day_totals_rebuild(member_ids={member_id for member_id, _day in days})
            self.stdout.write(f"Made the day totals of {len(days)} day(s) again.")
        elif days:
            found += len(days)
        if found:
            raise CommandError(f"{found} member account(s) do not add up.")
        self.stdout.write(
            self.style.SUCCESS(
                "Every balance equals its ledger (and its lots, for points); every day total "
                "equals its purchases."
            )
        )
