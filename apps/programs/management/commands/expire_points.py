from django.core.management.base import BaseCommand

from apps.programs.points.services import lots_expire


class Command(BaseCommand):
    help = "Expire the points lots past their date (the nightly task does the same)."

    def handle(self, *args, **options):
        self.stdout.write(f"Expired {lots_expire():,} points.")
