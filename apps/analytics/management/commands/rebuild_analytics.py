from django.core.management.base import BaseCommand, CommandError

from apps.analytics.rebuild import MEMBER_BATCH, analytics_rebuild
from apps.core.models import Merchant


class Command(BaseCommand):
    help = (
        "Rebuild the analytics rollups exactly from the purchases, refunds, ledger and "
        "members: of one merchant, or of all. Safe to run while the shop trades; the "
        "periodic refresh waits for it."
    )

    def add_arguments(self, parser):
        parser.add_argument("merchant", nargs="?", help="The merchant's slug (default: all).")
        parser.add_argument(
            "--batch",
            type=int,
            default=MEMBER_BATCH,
            metavar="N",
            help=f"Members recomputed per transaction (default {MEMBER_BATCH:,}).",
        )

    def handle(self, *args, merchant=None, batch=MEMBER_BATCH, **options):
        if batch < 1:
            raise CommandError("--batch is a number of members, 1 or more.")
        merchants = None
        if merchant:
            found = Merchant.objects.filter(slug=merchant).first()
            if found is None:
                raise CommandError(f"No merchant has the slug {merchant!r}.")
            merchants = [found]
        result = analytics_rebuild(merchants=merchants, progress=self.stdout.write, batch=batch)
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt {result.merchants:,} merchant(s): {result.days:,} daily rows, "
                f"{result.members:,} members in {result.seconds:.1f} s."
            )
        )
