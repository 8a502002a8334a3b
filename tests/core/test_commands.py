from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.accounts.models import User
from apps.core.models import Location, Membership, Merchant, Role

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createmerchant_provisions_a_merchant_and_its_owner():
    output = _run(
        "createmerchant",
        "acme",
        "--name",
        "Acme Coffee",
        "--owner-email",
        "Ana@Example.com",
        "--currency",
        "usd",
        "--country",
        "us",
        "--timezone",
        "America/Chicago",
        "--language",
        "en",
    )
    merchant = Merchant.objects.get(slug="acme")
    assert (merchant.name, merchant.currency, merchant.country.code) == ("Acme Coffee", "USD", "US")
    owner = User.objects.get(email="ana@example.com")
    assert not owner.has_usable_password()
    assert Membership.objects.get(merchant=merchant, user=owner).role == Role.OWNER
    assert "Created Acme Coffee (acme)" in output


def test_createmerchant_reuses_an_existing_user():
    _run("createmerchant", "one", "--name", "One", "--owner-email", "boss@example.com")
    _run("createmerchant", "two", "--name", "Two", "--owner-email", "boss@example.com")
    assert User.objects.filter(email="boss@example.com").count() == 1
    assert Membership.objects.filter(user__email="boss@example.com").count() == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--currency", "EURO"], "not an ISO 4217 currency"),
        (["--country", "XX"], "not an ISO 3166 country"),
        (["--timezone", "Mars/Base"], "not a known time zone"),
        (["--language", "tlh"], "not a supported language"),
    ],
)
def test_createmerchant_refuses_bad_values_and_creates_nothing(extra, message):
    with pytest.raises(CommandError, match=message):
        _run("createmerchant", "acme", "--name", "Acme", "--owner-email", "x@example.com", *extra)
    assert not Merchant.objects.exists()
    assert not User.objects.exists()


def test_createmerchant_refuses_a_taken_or_malformed_slug():
    _run("createmerchant", "acme", "--name", "Acme", "--owner-email", "a@example.com")
    with pytest.raises(CommandError, match="is taken"):
        _run("createmerchant", "acme", "--name", "Other", "--owner-email", "b@example.com")
    with pytest.raises(CommandError, match="lowercase letters"):
        _run("createmerchant", "Not A Slug", "--name", "Other", "--owner-email", "b@example.com")
    assert Merchant.objects.count() == 1
    assert not User.objects.filter(email="b@example.com").exists()


def test_seed_demo_is_safe_to_run_twice():
    first = _run("seed_demo")
    _run("seed_demo")

    merchant = Merchant.objects.get(slug="demo")
    roles = dict(Membership.objects.for_merchant(merchant).values_list("user__email", "role"))
    assert roles == {
        "owner@demo.fideliza.test": Role.OWNER,
        "manager@demo.fideliza.test": Role.MANAGER,
        "staff@demo.fideliza.test": Role.STAFF,
    }
    assert Location.objects.for_merchant(merchant).count() == 2
    assert "password 'fideliza-demo'" in first


def test_the_demo_owner_can_sign_in(client):
    _run("seed_demo")
    response = client.post(
        "/accounts/login/", {"login": "owner@demo.fideliza.test", "password": "fideliza-demo"}
    )
    assert response.status_code == 302
    assert client.get("/").context["active_merchant"].slug == "demo"


def test_createmerchant_refuses_a_name_too_long_for_the_database():
    with pytest.raises(CommandError, match="within 120 characters"):
        _run("createmerchant", "long", "--name", "x" * 121, "--owner-email", "a@example.com")
    assert not Merchant.objects.exists()


def test_seed_demo_configures_a_complete_program_once():
    from apps.programs.points.models import BonusRule, EarnMultiplier, ProgramSettings, Promotion
    from apps.programs.rewards.models import Reward

    _run("seed_demo")
    _run("seed_demo")
    merchant = Merchant.objects.get(slug="demo")
    assert ProgramSettings.objects.get(merchant=merchant).points_per_unit == 10
    assert EarnMultiplier.objects.for_merchant(merchant).count() == 1
    assert Promotion.objects.for_merchant(merchant).count() == 1
    assert BonusRule.objects.for_merchant(merchant).count() == 2
    costs = sorted(Reward.objects.for_merchant(merchant).values_list("points_cost", flat=True))
    assert len(costs) == 4
    assert costs[0] <= 100  # one reward a newcomer can redeem after a purchase or two
