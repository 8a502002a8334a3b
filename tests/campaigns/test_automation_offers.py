"""An automation's offer: the kinds that may give one (win-back, reward within reach,
referral nudge) have the campaign's offer fields on their page, checked by the same rules
with the refusal on its field and nothing saved; the others have none and the service
refuses one. The default texts say what the member gets; the member gets it once, just
before the message."""

import pytest
from django.db import transaction

from apps.campaigns.automations.editing import (
    AutomationFields,
    automation_enable,
    automation_update,
)
from apps.campaigns.automations.kinds import KINDS
from apps.campaigns.models import Automation, AutomationKind, OfferGrant
from apps.core.errors import DomainError
from apps.programs.points.selectors import points_balance
from apps.programs.rewards.models import RewardKind
from apps.programs.rewards.services import reward_create
from tests.campaigns.test_automation_views import LIST, form_data
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db

OFFERING = {AutomationKind.WIN_BACK, AutomationKind.REWARD_REACH, AutomationKind.REFERRAL_NUDGE}


@pytest.fixture
def manager(team, client_as):
    return client_as(team.manager)


def test_only_the_promotional_kinds_but_the_birthday_may_give_an_offer():
    assert {kind for kind, spec in KINDS.items() if spec.offers} == OFFERING


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_page_has_the_offer_fields_if_its_kind_gives_one(manager, kind):
    page = manager.get(f"{LIST}{kind}/").content.decode()

    assert ('name="offer_type"' in page) == (kind in OFFERING)


def test_a_coupon_offer_is_saved_in_minor_units_and_shown_back(manager, team):
    response = manager.post(
        f"{LIST}win_back/",
        form_data(offer_type="coupon_amount", offer_amount="5.50", offer_valid_days="30"),
    )

    assert response.status_code == 302
    automation = Automation.objects.get(merchant=team.merchant, kind=AutomationKind.WIN_BACK)
    assert automation.offer == {"type": "coupon", "amount": 550, "valid_days": 30}
    form = manager.get(f"{LIST}win_back/").context["form"]
    assert form["offer_type"].value() == "coupon_amount"
    assert str(form["offer_amount"].value()) == "5.50"

    manager.post(f"{LIST}win_back/", form_data(offer_type="none"))
    automation.refresh_from_db()
    assert automation.offer is None


def test_a_bad_offer_is_an_error_on_its_field_and_nothing_is_saved(manager, team):
    response = manager.post(
        f"{LIST}reward_reach/", form_data(offer_type="coupon_percent", offer_percent="20")
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["offer_valid_days"]
    assert not Automation.objects.exists()

    response = manager.post(
        f"{LIST}reward_reach/",
        form_data(offer_type="multiplier", offer_factor="11", offer_days="3"),
    )
    assert list(response.context["form"].errors) == ["offer_factor"]
    assert not Automation.objects.exists()


def test_the_service_refuses_an_offer_to_a_kind_that_gives_none(team):
    fields = AutomationFields(
        channel="email", cooldown_days=300, offer={"type": "bonus_points", "points": 50}
    )

    with pytest.raises(DomainError) as refused, transaction.atomic():
        automation_update(
            merchant=team.merchant, kind=AutomationKind.BIRTHDAY, actor=None, fields=fields
        )

    assert refused.value.field == "offer"
    assert not Automation.objects.exists()


def test_the_default_text_says_what_the_member_gets_in_their_language_and_gives_it_once(
    team, mailoutbox, django_capture_on_commit_callbacks
):
    reward_create(
        merchant=team.merchant,
        actor=team.manager,
        name="Free coffee",
        kind=RewardKind.FREE_PRODUCT,
        product_name="Coffee",
        points_cost=200,
    )
    ioana = enroll(
        team, first_name="Ioana", email="i@example.com", consent_email=True, language="ro"
    )
    automation_enable(merchant=team.merchant, kind=AutomationKind.REWARD_REACH, actor=None)
    automation_update(
        merchant=team.merchant,
        kind=AutomationKind.REWARD_REACH,
        actor=None,
        fields=AutomationFields(
            channel="email",
            cooldown_days=14,
            holdout_percent=0,
            offer={"type": "bonus_points", "points": 50},
        ),
    )
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        buy(team, ioana, 1850)  # 185 points: within reach of the coffee

    [message] = mailoutbox
    assert "Cadoul dumneavoastră: 50 de puncte bonus" in message.body
    [grant] = OfferGrant.objects.filter(member=ioana)
    assert grant.automation.kind == AutomationKind.REWARD_REACH
    assert points_balance(member=ioana) == 185 + 50

    with django_capture_on_commit_callbacks(execute=True):
        buy(team, ioana, 100)  # nothing new is due: no second gift
    assert OfferGrant.objects.filter(member=ioana).count() == 1
    assert len(mailoutbox) == 1
