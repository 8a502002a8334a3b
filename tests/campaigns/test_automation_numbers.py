"""The numbers of a kind's moment a merchant may change (`KindSpec.number`): at which
purchase the referral nudge goes, how close to a reward is within reach, how many days
before a tier's review a member is told. Each has its field on the automation's page, a
default, and a range whose refusal lands on the field with nothing saved; the other kinds
take none."""

from datetime import datetime, time, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from apps.analytics.selectors import merchant_today
from apps.campaigns.automations.editing import AutomationFields, automation_update
from apps.campaigns.automations.kinds import KINDS
from apps.campaigns.automations.run import automations_run
from apps.campaigns.models import Automation, AutomationKind
from apps.core.errors import DomainError
from apps.programs.rewards.models import RewardKind
from apps.programs.rewards.services import reward_create
from apps.programs.tiers.models import MemberTier
from tests.campaigns.test_automation_events import MADRID, switched_on
from tests.campaigns.test_automation_views import LIST, form_data
from tests.members.factories import enroll
from tests.programs.factories import buy
from tests.tiers.factories import set_up_tiers

pytestmark = pytest.mark.django_db

NUMBERED = {AutomationKind.REWARD_REACH, AutomationKind.REFERRAL_NUDGE, AutomationKind.TIER_AT_RISK}


def number_set(team, kind: str, number: int) -> None:
    automation_update(
        merchant=team.merchant,
        kind=kind,
        actor=None,
        fields=AutomationFields(
            channel="email",
            cooldown_days=KINDS[kind].cooldown_days,
            holdout_percent=0,
            moment_number=number,
        ),
    )


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_page_has_the_number_field_if_its_kind_has_one(team, client_as, kind):
    page = client_as(team.manager).get(f"{LIST}{kind}/").content.decode()

    assert ('name="moment_number"' in page) == (kind in NUMBERED)


def test_a_number_out_of_range_is_an_error_on_its_field_and_nothing_is_saved(team, client_as):
    manager = client_as(team.manager)

    response = manager.post(f"{LIST}reward_reach/", form_data(moment_number="51"))

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["moment_number"]
    assert "From 1 to 50." in response.context["form"].errors["moment_number"][0]
    assert not Automation.objects.exists()

    assert manager.post(f"{LIST}reward_reach/", form_data(moment_number="25")).status_code == 302
    assert Automation.objects.get(kind=AutomationKind.REWARD_REACH).moment_number == 25
    with pytest.raises(DomainError) as refused, transaction.atomic():
        number_set(team, AutomationKind.BIRTHDAY, 3)
    assert refused.value.field == "moment_number"


def test_the_referral_nudge_goes_at_the_purchase_the_merchant_chose(
    team, mailoutbox, django_capture_on_commit_callbacks
):
    eva = enroll(team, first_name="Eva", email="eva@example.com", consent_email=True)
    switched_on(team, AutomationKind.REFERRAL_NUDGE)
    number_set(team, AutomationKind.REFERRAL_NUDGE, 2)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        buy(team, eva, 500)
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        buy(team, eva, 500)
    assert len(mailoutbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        buy(team, eva, 500)  # the third: not again
    assert len(mailoutbox) == 1


def test_a_wider_reach_tells_a_balance_the_default_would_not(
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
    fede = enroll(team, first_name="Fede", email="fede@example.com", consent_email=True)
    ana = enroll(team, first_name="Ana", email="ana@example.com", consent_email=True)
    switched_on(team, AutomationKind.REWARD_REACH)
    number_set(team, AutomationKind.REWARD_REACH, 10)
    with django_capture_on_commit_callbacks(execute=True):
        buy(team, fede, 1500)  # 150 of 200: not within 10 %
    assert mailoutbox == []

    number_set(team, AutomationKind.REWARD_REACH, 25)
    with django_capture_on_commit_callbacks(execute=True):
        buy(team, ana, 1500)  # 150 of 200: within 25 %

    [message] = mailoutbox
    assert message.to == ["ana@example.com"]
    assert "Only 50 more points for Free coffee." in message.body


def test_a_member_at_risk_of_their_tier_is_told_the_chosen_days_before(
    team, mailoutbox, django_capture_on_commit_callbacks
):
    set_up_tiers(team)
    now = timezone.now()
    short = enroll(team, first_name="Short", email="short@example.com", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        buy(team, short, 12_000, at=now - timedelta(days=360))  # Bronze, a year ago
    today = merchant_today(merchant=team.merchant, now=now)
    review = datetime.combine(today + timedelta(days=5), time(12), tzinfo=MADRID)
    MemberTier.objects.filter(member=short).update(review_at=review)
    switched_on(team, AutomationKind.TIER_AT_RISK, now - timedelta(minutes=1))
    number_set(team, AutomationKind.TIER_AT_RISK, 5)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        automations_run(merchant=team.merchant, now=now)

    [message] = mailoutbox
    assert message.to == ["short@example.com"]
