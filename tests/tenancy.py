"""Reusable checks that every dashboard view keeps tenants apart and respects roles.

`merchant_views()` walks the URLconf and finds every view wrapped in `@merchant_view`,
with the least role it declares. Views whose URL carries an object id must have an entry
in `OBJECT_URLS`: a function that, given a `Team` (tests/conftest.py), returns the URL
kwargs of one of that team's objects. A later app adds its own entries here; the test in
tests/core/test_tenant_isolation.py fails for any view that has none.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from apps.core import services
from apps.core.models import Invitation, Location, Membership, Role


@dataclass(frozen=True)
class MerchantView:
    url_name: str
    min_role: str
    has_kwargs: bool


def _walk(patterns, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, inner)
        elif pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def merchant_views() -> list[MerchantView]:
    found = []
    for url_name, pattern in _walk(get_resolver().url_patterns):
        min_role = getattr(pattern.callback, "min_role", None)
        if min_role is not None:
            has_kwargs = bool(pattern.pattern.regex.groupindex)
            found.append(MerchantView(url_name, min_role, has_kwargs))
    return found


def _staff_membership(team) -> dict:
    return {"pk": Membership.objects.get(merchant=team.merchant, user=team.staff).pk}


def _pending_invitation(team) -> dict:
    invitation = (
        Invitation.objects.for_merchant(team.merchant).pending().first()
        or services.invitation_create(
            merchant=team.merchant, actor=team.owner, email="newcomer@example.com", role=Role.STAFF
        ).invitation
    )
    return {"pk": invitation.pk}


def _member(team) -> dict:
    from apps.members.models import Channel, Member
    from apps.members.services import member_enroll

    member = Member.objects.for_merchant(team.merchant).active().first() or (
        member_enroll(
            merchant=team.merchant,
            actor=team.staff,
            channel=Channel.COUNTER,
            first_name="Isolde",
            phone="+34 600 000 001",
        ).member
    )
    return {"public_id": member.public_id}


def _multiplier(team) -> dict:
    from apps.programs.points.models import EarnMultiplier

    rule, _created = EarnMultiplier.objects.get_or_create(
        merchant=team.merchant, target="sku", value="ISO-1", defaults={"percent": 200}
    )
    return {"pk": rule.pk}


def _bonus_rule(team) -> dict:
    from apps.programs.points.models import BonusRule

    rule, _created = BonusRule.objects.get_or_create(
        merchant=team.merchant, action="review", event_type="", defaults={"points": 10}
    )
    return {"pk": rule.pk}


def _promotion(team) -> dict:
    from datetime import timedelta

    from django.utils import timezone

    from apps.programs.points.models import Promotion

    promotion = Promotion.objects.for_merchant(team.merchant).first() or Promotion.objects.create(
        merchant=team.merchant,
        name="Isolation week",
        percent=200,
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(days=7),
    )
    return {"pk": promotion.pk}


def _api_key(team) -> dict:
    from apps.core.api.keys import api_key_create
    from apps.core.api.models import ApiKey

    api_key = ApiKey.objects.for_merchant(team.merchant).first() or (
        api_key_create(merchant=team.merchant, actor=team.owner, name="Shop", scope="write").api_key
    )
    return {"pk": api_key.pk}


def _webhook_endpoint(team) -> dict:
    from apps.core.webhooks.models import WebhookEndpoint
    from apps.core.webhooks.services import endpoint_create

    endpoint = WebhookEndpoint.objects.for_merchant(team.merchant).first() or endpoint_create(
        merchant=team.merchant,
        actor=team.owner,
        url="https://hooks.example.com/fideliza",
        events=["member.enrolled"],
    )
    return {"pk": endpoint.pk}


def _webhook_delivery(team) -> dict:
    from apps.core.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

    endpoint = WebhookEndpoint.objects.get(pk=_webhook_endpoint(team)["pk"])
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint).first() or (
        WebhookDelivery.objects.create(
            merchant=team.merchant,
            endpoint=endpoint,
            event="member.enrolled",
            payload={"id": "evt_isolation", "type": "member.enrolled", "data": {}},
            status=DeliveryStatus.FAILED,
        )
    )
    return {"pk": delivery.pk}


OBJECT_URLS: dict[str, Callable[..., dict]] = {
    "core:location_edit": lambda team: {
        "pk": Location.objects.for_merchant(team.merchant).first().pk
    },
    "core:membership_role": _staff_membership,
    "core:membership_remove": _staff_membership,
    "core:invitation_resend": _pending_invitation,
    "core:invitation_revoke": _pending_invitation,
    "core:api_key_revoke": _api_key,
    "core:webhook_detail": _webhook_endpoint,
    "core:webhook_set_active": _webhook_endpoint,
    "core:webhook_replay": _webhook_delivery,
    # members
    "members:detail": _member,
    "members:edit": _member,
    "members:card": _member,
    "members:note": _member,
    "members:export_json": _member,
    "members:erase": _member,
    "members:merge": _member,
    "portal:member_messages": _member,
    "portal:member_welcome_resend": _member,
    "portal:member_card_links_revoke": _member,
    # programs
    "programs:member_points": _member,
    "programs:purchase_create": _member,
    "programs:adjust": _member,
    "programs:multiplier_toggle": _multiplier,
    "programs:promotion_toggle": _promotion,
    "programs:bonus_rule_toggle": _bonus_rule,
}


# members: CSV import and export (apps/members/csv_import.py, csv_export.py)


def _member_import(team) -> dict:
    """A checked (dry-run) import, so its problem rows file exists too."""
    from django.core.files.base import ContentFile

    from apps.members import csv_import
    from apps.members.models import MemberImport

    member_import = MemberImport.objects.for_merchant(team.merchant).first()
    if member_import is None:
        member_import = csv_import.import_create(
            merchant=team.merchant,
            actor=team.manager,
            file=ContentFile(b"First name,Phone\nIsolde,+34 600 000 009\n", name="few.csv"),
        )
        csv_import.import_set_mapping(
            member_import=member_import,
            actor=team.manager,
            mapping=member_import.mapping,
            date_order="DMY",
        )
        csv_import.import_analyze(import_id=member_import.pk)
    return {"pk": member_import.pk}


def _member_export(team) -> dict:
    """A finished export, so its download answers."""
    from apps.members import csv_export
    from apps.members.models import MemberExport

    export = MemberExport.objects.for_merchant(team.merchant).first() or csv_export.export_create(
        merchant=team.merchant, actor=team.manager
    )
    csv_export.export_run(export_id=export.pk)
    return {"pk": export.pk}


OBJECT_URLS |= {
    "members:import_detail": _member_import,
    "members:import_confirm": _member_import,
    "members:import_problems": _member_import,
    "members:export_detail": _member_export,
    "members:export_download": _member_export,
}


# Views whose URL names no object but a fixed thing (an analytics card, a list): the same
# for every merchant, each seeing its own figures. tests/analytics/test_dashboard.py
# proves no other merchant's rows reach them.
FIXED_URLS: dict[str, dict] = {
    "analytics:card": {"name": "revenue"},
    "analytics:card_csv": {"name": "revenue"},
    "analytics:members": {"status": "active"},
    # The home page's week figures: tests/home/test_week.py proves they are this
    # business's alone.
    "home:week": {},
}


def url_for(view: MerchantView, team) -> str:
    if view.url_name in FIXED_URLS:
        kwargs = FIXED_URLS[view.url_name]
    else:
        kwargs = OBJECT_URLS[view.url_name](team) if view.has_kwargs else {}
    return reverse(view.url_name, kwargs=kwargs)


def roles_below(minimum: str) -> list[str]:
    return [role for role in Role.values if not Role.at_least(role, minimum)]


def roles_from(minimum: str) -> list[str]:
    return [role for role in Role.values if Role.at_least(role, minimum)]


# programs: rewards catalog and redemption (apps/programs/rewards.py)


def _reward(team) -> dict:
    from apps.programs.rewards.models import Reward
    from apps.programs.rewards.services import reward_create

    reward = Reward.objects.for_merchant(team.merchant).first() or reward_create(
        merchant=team.merchant,
        actor=team.manager,
        name="Isolation coffee",
        kind="free_product",
        product_name="Coffee",
        points_cost=10,
    )
    return {"pk": reward.pk}


def _redemption(team) -> dict:
    from apps.members.models import Member
    from apps.programs.points.services import points_adjust
    from apps.programs.rewards.models import Redemption, Reward
    from apps.programs.rewards.services import reward_redeem

    redemption = Redemption.objects.for_merchant(team.merchant).first()
    if redemption is None:
        reward = Reward.objects.get(pk=_reward(team)["pk"])
        member = Member.objects.get(public_id=_member(team)["public_id"])
        points_adjust(member=member, points=reward.points_cost, reason="test", actor=team.manager)
        redemption = reward_redeem(merchant=team.merchant, member=member, reward=reward).redemption
    return {"code": redemption.code}


OBJECT_URLS |= {
    "programs:reward_edit": _reward,
    "programs:reward_deactivate": _reward,
    "programs:redemption_create": _member,
    "programs:redemption_detail": _redemption,
    "programs:redemption_void": _redemption,
}


# coupons: cashback and coupons (apps/programs/coupons)


def _coupon(team) -> dict:
    from apps.members.models import Member
    from apps.programs.coupons.models import Coupon
    from apps.programs.coupons.services import coupon_issue

    coupon = Coupon.objects.for_merchant(team.merchant).filter(status="issued").first()
    if coupon is None:
        member = Member.objects.get(public_id=_member(team)["public_id"])
        coupon = coupon_issue(merchant=team.merchant, member=member, value=500, source="manual")
    return {"code": coupon.code}


def _category_rate(team) -> dict:
    from apps.programs.coupons.models import CashbackCategoryRate

    rate, _created = CashbackCategoryRate.objects.get_or_create(
        merchant=team.merchant, category="isolation", defaults={"rate_bp": 100}
    )
    return {"pk": rate.pk}


OBJECT_URLS |= {
    "coupons:member_coupons": _member,
    "coupons:issue": _member,
    "coupons:void": _coupon,
    "coupons:category_rate_delete": _category_rate,
}


# tiers (apps/programs/tiers)


def _tier(team) -> dict:
    from apps.programs.tiers.models import Tier
    from apps.programs.tiers.services import tier_create

    tier = Tier.objects.for_merchant(team.merchant).first() or tier_create(
        merchant=team.merchant, actor=team.manager, name="Isolation Gold", threshold=100_000
    )
    return {"pk": tier.pk}


def _tier_reevaluation(team) -> dict:
    from apps.programs.tiers.models import TierReevaluation

    _tier(team)  # adding a tier starts a re-evaluation
    return {"pk": TierReevaluation.objects.for_merchant(team.merchant).first().pk}


OBJECT_URLS |= {
    "tiers:tier_edit": _tier,
    "tiers:tier_toggle": _tier,
    "tiers:reevaluation": _tier_reevaluation,
    "tiers:reevaluation_resume": _tier_reevaluation,
    "tiers:member_tier": _member,
}


# programs: referrals (apps/programs/referrals)

OBJECT_URLS |= {
    "referrals:member_panel": _member,
}


# campaigns: segments (apps/campaigns)


def _segment(team) -> dict:
    from apps.campaigns.models import Segment
    from apps.campaigns.services import segment_create

    segment = Segment.objects.for_merchant(team.merchant).first() or segment_create(
        merchant=team.merchant, actor=team.manager, name="Isolation", rules={"all": []}
    )
    return {"pk": segment.pk}


OBJECT_URLS |= {
    "campaigns:segment_edit": _segment,
    "campaigns:segment_count": _segment,
    "campaigns:segment_delete": _segment,
}
FIXED_URLS |= {"campaigns:ready_made_count": {"key": "at_risk"}}


# campaigns: campaigns (apps/campaigns/campaign_views.py)


def _campaign(team) -> dict:
    from apps.campaigns.models import Campaign, Segment
    from apps.campaigns.services.editing import CampaignFields, campaign_create

    campaign = Campaign.objects.for_merchant(team.merchant).first() or campaign_create(
        merchant=team.merchant,
        actor=team.manager,
        fields=CampaignFields(
            name="Isolation",
            segment=Segment.objects.get(pk=_segment(team)["pk"]),
            channel="email",
            kind="informational",
            subject="Opening hours",
            body="<p>We open at nine.</p>",
        ),
    )
    return {"pk": campaign.pk}


OBJECT_URLS |= {
    f"campaigns:campaign_{name}": _campaign
    for name in (
        "detail",
        "edit",
        "preview",
        "test",
        "send",
        "pause",
        "resume",
        "cancel",
        "progress",
        "report",
    )
}


# campaigns: automations (apps/campaigns/automation_views.py). A kind, not an id: each
# business reaches only its own automation of that kind, which
# tests/campaigns/test_automation_views.py proves.

FIXED_URLS |= {
    f"campaigns:automation_{name}": {"kind": "win_back"}
    for name in ("edit", "toggle", "preview", "report")
}
