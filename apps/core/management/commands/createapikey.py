from django.core.management.base import BaseCommand, CommandError

from apps.core.api.keys import api_key_create
from apps.core.api.models import ApiKeyScope
from apps.core.errors import DomainError
from apps.core.models import Merchant


class Command(BaseCommand):
    help = "Create an API key for a merchant and print it once (it is not stored)."

    def add_arguments(self, parser):
        parser.add_argument("merchant_slug")
        parser.add_argument("--name", required=True, help="What uses the key: 'Web shop'.")
        parser.add_argument(
            "--scope", choices=ApiKeyScope.values, default=ApiKeyScope.WRITE, help="Default: write."
        )

    def handle(self, *args, merchant_slug, name, scope, **options):
        merchant = Merchant.objects.filter(slug=merchant_slug).first()
        if merchant is None:
            raise CommandError(f"No merchant with the slug '{merchant_slug}'.")
        try:
            issued = api_key_create(merchant=merchant, actor=None, name=name, scope=scope)
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stderr.write(
            f"Created the {ApiKeyScope(scope).label.lower()} key '{name}' for {merchant.name}. "
            "Copy it now: it is shown only once."
        )
        self.stdout.write(issued.key)
