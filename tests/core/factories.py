import factory

from apps.core import services
from apps.core.models import Location, Membership, Merchant, Role
from tests.accounts.factories import UserFactory


class MerchantFactory(factory.django.DjangoModelFactory[Merchant]):
    """A merchant created the way users create one: through `merchant_create`."""

    class Meta:
        model = Merchant

    name = factory.Sequence(lambda n: f"Shop {n}")
    currency = "EUR"
    country = "ES"
    timezone = "Europe/Madrid"
    # English, so that pages and API messages in tests read as the source strings; the
    # language tests (tests/i18n) make Spanish and Romanian businesses of their own.
    language = "en"
    owner = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *, owner, timezone, **kwargs):
        return services.merchant_create(owner=owner, timezone_name=timezone, **kwargs)


class LocationFactory(factory.django.DjangoModelFactory[Location]):
    class Meta:
        model = Location

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda n: f"Shop floor {n}")
    address = factory.Faker("street_address")

    @classmethod
    def _create(cls, model_class, *, merchant, name, address):
        return services.location_create(merchant=merchant, actor=None, name=name, address=address)


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    merchant = factory.SubFactory(MerchantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.STAFF
