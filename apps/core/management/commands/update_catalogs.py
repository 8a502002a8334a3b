from django.core.management import call_command
from django.core.management.base import BaseCommand

from apps.core.catalogs import CATALOG_DOMAINS, MAKEMESSAGES_OPTIONS


class Command(BaseCommand):
    help = (
        "Brings locale/es and locale/ro up to date with the marked strings (GNU gettext's "
        "makemessages, with the options the catalog test checks); then translate what is new."
    )

    def handle(self, *args, **options):
        for domain in CATALOG_DOMAINS:
            call_command("makemessages", domain=domain, verbosity=0, **MAKEMESSAGES_OPTIONS)
