from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.programs.tiers.services import tiers_review


class Command(BaseCommand):
    help = "Act on the tier reviews that are due (safe to run twice)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--now", help="Review as of this ISO 8601 moment (with a zone), not the clock."
        )

    def handle(self, *args, now=None, **options):
        at = timezone.now()
        if now:
            try:
                at = datetime.fromisoformat(now)
            except ValueError as error:
                raise CommandError(f"--now: {error}") from error
            if timezone.is_naive(at):
                raise CommandError("--now needs a time zone, e.g. 2027-01-31T02:00:00+00:00")
        changes = tiers_review(now=at)
        self.stdout.write(f"{changes} tier change{'s' if changes != 1 else ''}.")
