"""The extension points (apps/core/extensions.py): contributions in their declared order,
each point's combination rule, and a key two contributions claim refused at start-up."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers

from apps.analytics.cards import KPI_CARDS
from apps.campaigns.models import OfferGrant
from apps.core import extensions
from apps.core.extensions import ExtensionPoint, MemberApiExtension, MemberPanel
from apps.members.models import Member
from apps.messaging.models import Delivery
from apps.programs.coupons.models import CashbackEntry, CashbackWallet
from apps.programs.points.models import LedgerEntry, PointsAccount
from apps.programs.tiers.models import MemberTier

AT = datetime(2026, 3, 10, tzinfo=UTC)


@pytest.fixture
def contributed():
    """Register contributions for one test, and take them off after it."""
    added = []

    def add(point, contribution, **order):
        point.register(contribution, **order)
        added.append((point, contribution))
        return contribution

    yield add
    for point, contribution in added:
        point.unregister(contribution)


def test_contributions_come_in_their_order():
    point = ExtensionPoint("panels", kind=MemberPanel, keys=lambda panel: [panel.url_name])
    point.register(MemberPanel("c", "C"), order=30)
    point.register(MemberPanel("a", "A"), order=10)
    point.register(MemberPanel("b", "B"), order=20)
    assert [panel.url_name for panel in point] == ["a", "b", "c"]


def test_a_point_refuses_what_is_not_its_kind_or_order():
    point = ExtensionPoint("panels", kind=MemberPanel, keys=lambda panel: [panel.url_name])
    with pytest.raises(ImproperlyConfigured, match="takes a MemberPanel"):
        point.register("tiers:member_tier", order=10)
    with pytest.raises(ImproperlyConfigured, match="give an order"):
        point.register(MemberPanel("a", "A"))
    point.register(MemberPanel("a", "A"), order=10)
    with pytest.raises(ImproperlyConfigured, match="two contributions at order 10"):
        point.register(MemberPanel("b", "B"), order=10)
    with pytest.raises(ImproperlyConfigured, match="takes no order"):
        ExtensionPoint("kept", kind=type, ordered=False).register(Member, order=10)
    with pytest.raises(ImproperlyConfigured, match="takes a function"):
        ExtensionPoint("percent").register(150, order=10)


def test_a_member_api_field_another_app_adds_already_is_refused():
    clash = MemberApiExtension(
        fields={"loyalty_id": serializers.CharField(), "tier": serializers.CharField()},
        data=lambda member: {},
    )
    with pytest.raises(ImproperlyConfigured, match="member_api_fields: tier claimed twice"):
        extensions.MEMBER_API_FIELDS.register(clash, order=99)
    assert clash not in list(extensions.MEMBER_API_FIELDS)


def test_earn_percents_multiply_in_order_rounding_down_at_each_step(contributed):
    # The tiers app's percent is 100 for a member without a tier (none is given here).
    member = Member(pk=0)
    contributed(extensions.EARN_PERCENT, lambda member, at: 150, order=60)
    contributed(extensions.EARN_PERCENT, lambda member, at: 133, order=70)
    contributed(extensions.EARN_PERCENT, lambda member, at: 0 if at.year < 2000 else 100, order=80)
    # 100 × 150 // 100 = 150; × 133 // 100 = 199 (199.5 rounded down); × 100 // 100 = 199
    assert _earn_percent_without_tiers(member) == 199


def _earn_percent_without_tiers(member) -> int:
    """Without the installed apps' own percents (the tier's, a campaign's multiplier),
    which read the database."""
    from apps.campaigns.services.offers import campaign_earn_percent
    from apps.programs.tiers.services import tier_earn_percent

    extensions.EARN_PERCENT.unregister(tier_earn_percent)
    extensions.EARN_PERCENT.unregister(campaign_earn_percent)
    try:
        return extensions.earn_percent(member, AT)
    finally:
        extensions.EARN_PERCENT.register(tier_earn_percent, order=20)
        extensions.EARN_PERCENT.register(campaign_earn_percent, order=50)


def test_the_first_refusal_in_order_is_the_answer(contributed):
    from apps.programs.tiers.services import tier_reward_check

    extensions.REWARD_REFUSALS.unregister(tier_reward_check)
    try:
        contributed(extensions.REWARD_REFUSALS, lambda reward, member: None, order=50)
        contributed(extensions.REWARD_REFUSALS, lambda reward, member: "second", order=70)
        contributed(extensions.REWARD_REFUSALS, lambda reward, member: "first", order=60)
        assert extensions.reward_refusal(object(), object()) == "first"
    finally:
        extensions.REWARD_REFUSALS.register(tier_reward_check, order=20)


def test_the_apps_wiring():
    """What the installed apps contribute, in the order docs/ARCHITECTURE.md gives."""
    assert [panel.url_name for panel in extensions.MEMBER_PANELS] == [
        "tiers:member_tier",
        "coupons:member_coupons",
        "referrals:member_panel",
        "portal:member_messages",
    ]
    assert [name for extension in extensions.MEMBER_API_FIELDS for name in extension.fields] == [
        "points_balance",
        "tier",
        "tier_progress",
        "cashback_balance",
        "coupons",
        "referral_code",
        "referral_link",
    ]
    assert [extension.name for extension in extensions.PROGRAM_API_FIELDS] == [
        "tiers",
        "cashback",
        "referrals",
    ]
    assert [extra.name for extra in extensions.ENROLL_EXTRAS] == ["referral_code"]
    assert {
        LedgerEntry,
        PointsAccount,
        MemberTier,
        CashbackWallet,
        CashbackEntry,
        Delivery,
        OfferGrant,
    } <= extensions.merge_kept_models()
    assert [action.name for action in extensions.MEMBER_LIST_ACTIONS] == ["segment"]
    assert [percent.__name__ for percent in extensions.EARN_PERCENT] == [
        "tier_earn_percent",
        "campaign_earn_percent",
    ]
    assert [card.name for card in extensions.ANALYTICS_CARDS] == [*KPI_CARDS, "nps"]
    assert [card.name for card in extensions.HOME_CARDS] == ["setup", "location", "week", "act_now"]
    assert [section.name for section in extensions.MEMBER_CARD_SECTIONS] == ["card_link"]
    assert [part.name for part in extensions.PERSONAL_DATA_PARTS] == [
        "purchases",
        "points",
        "coupons",
        "messages",
        "surveys",
    ]
    assert {source.kind for source in extensions.MESSAGE_SOURCES} == {
        "welcome",
        "card_link",
        "erase_confirm",
        "data_link",
        "campaign",
        "automation",
    }
