from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.accounts.models import User
from apps.core import services
from apps.core.errors import DomainError


class Command(BaseCommand):
    help = "Provision a merchant and its owner (for agencies and scripted set-ups)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--currency", default="EUR")
        parser.add_argument("--country", default="ES")
        parser.add_argument("--timezone", default="Europe/Madrid")
        parser.add_argument("--language", default="es")

    def handle(
        self, *args, slug, name, owner_email, currency, country, timezone, language, **options
    ):
        owner_email = owner_email.strip().lower()
        try:
            with transaction.atomic():
                owner, created = User.objects.get_or_create(email=owner_email)
                if created:
                    owner.set_unusable_password()
                    owner.save(update_fields=["password"])
                merchant = services.merchant_create(
                    name=name,
                    owner=owner,
                    currency=currency.upper(),
                    country=country.upper(),
                    timezone_name=timezone,
                    language=language,
                    slug=slug,
                )
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(self.style.SUCCESS(f"Created {merchant.name} ({merchant.slug})."))
        if created:
            self.stdout.write(
                f"{owner_email} has no password yet: they set one with 'Forgot password?'"
                " on the sign-in page."
            )
