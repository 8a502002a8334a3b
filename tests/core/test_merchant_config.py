"""A merchant's terms are read once per configuration version (apps/core/merchant_config.py):
every change to them applies from the next purchase, in this process and in others, and
a purchase with nothing changed reads none of them."""

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.core import merchant_config
from apps.core.models import Merchant
from apps.core.webhooks.services import endpoint_create, endpoint_set_active
from apps.programs.coupons.cashback import category_rate_delete, category_rate_set
from apps.programs.points.earning import earn_terms
from apps.programs.points.models import ProgramSettings
from apps.programs.points.rules import (
    multiplier_create,
    program_settings_update,
    promotion_create,
    rule_set_active,
)
from apps.programs.tiers.services import tier_set_active, tier_update
from tests.coupons.factories import enable_cashback
from tests.members.factories import enroll
from tests.programs.factories import buy
from tests.tiers.factories import set_up_tiers

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
TERMS_TABLES = [
    "programs_programsettings",
    "programs_earnmultiplier",
    "programs_promotion",
    "tiers_tier",
    "tiers_tiersettings",
    "coupons_cashbacksettings",
    "coupons_cashbackcategoryrate",
    "core_webhookendpoint",
]


def _fresh(merchant: Merchant) -> Merchant:
    """The merchant row as the next request loads it."""
    return Merchant.objects.get(pk=merchant.pk)


def _points(team, member, amount=1000, **fields) -> int:
    return buy(team, member, amount, **fields).points_earned


def test_a_purchase_with_nothing_changed_reads_none_of_the_terms(team):
    set_up_tiers(team)
    enable_cashback(team, bakery=1000)
    endpoint_create(
        merchant=team.merchant,
        actor=team.owner,
        url="https://hooks.example.com/fideliza",
        events=["purchase.recorded"],
    )
    member = enroll(team)
    team.merchant = _fresh(team.merchant)  # as the next request loads it
    buy(team, member, 1000)  # reads them
    with CaptureQueriesContext(connection) as queries:
        result = buy(team, member, 1000, items=[{"category": "bakery", "unit_amount": 1000}])
    assert result.extras["cashback_earned"] == 100  # the category's 10 %, not the 5 %
    read = [table for table in TERMS_TABLES for q in queries if f'FROM "{table}"' in q["sql"]]
    assert read == []
    assert any("core_webhookdelivery" in q["sql"] for q in queries)  # still told


def test_every_change_to_the_terms_applies_from_the_next_purchase(team):
    """Each edit a manager can make, through its service, with the test holding the same
    merchant object throughout (as a long task would)."""
    member = enroll(team)
    tiers = set_up_tiers(team, tiers=[("Silver", 10**9, 200)])
    assert _points(team, member) == 100

    program_settings_update(
        merchant=team.merchant, actor=team.manager, points_per_unit=20, expiry_months=None
    )
    assert _points(team, member) == 200

    rule = multiplier_create(
        merchant=team.merchant, actor=team.manager, target="category", value="Tea", percent=300
    )
    tea = [{"category": "tea", "unit_amount": 1000}]
    assert _points(team, member, items=tea) == 600
    rule_set_active(rule=rule, actor=team.manager, active=False)  # a bulk update
    assert _points(team, member, items=tea) == 200

    now = timezone.now()
    promotion = promotion_create(
        merchant=team.merchant,
        actor=team.manager,
        name="Double",
        percent=200,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        locations=[team.merchant_location],
    )
    assert _points(team, member) == 200  # no location given: the promotion is not here
    assert _points(team, member, location=team.merchant_location) == 400
    promotion.locations.clear()  # a change of its locations alone
    assert _points(team, member) == 400

    tier_update(
        tier=tiers["Silver"], actor=team.manager, name="Silver", threshold=1, earn_percent=200
    )
    buy(team, member, 1000)  # crosses into Silver at the old rate
    assert _points(team, member) == 800  # ×2 of the ×2 promotion
    tier_set_active(tier=tiers["Silver"], actor=team.manager, active=False)
    assert _points(team, member) == 400


def test_cashback_rates_and_webhook_endpoints_apply_from_the_next_purchase(team):
    enable_cashback(team, rate_bp=500)
    member = enroll(team)
    bakery = [{"category": "bakery", "unit_amount": 1000}]
    assert buy(team, member, 1000, items=bakery).extras["cashback_earned"] == 50
    rate = category_rate_set(
        merchant=team.merchant, actor=team.manager, category="bakery", rate_bp=2000
    )
    assert buy(team, member, 1000, items=bakery).extras["cashback_earned"] == 200
    category_rate_delete(rate=rate, actor=team.manager)
    assert buy(team, member, 1000, items=bakery).extras["cashback_earned"] == 50

    endpoint = endpoint_create(
        merchant=team.merchant,
        actor=team.owner,
        url="https://hooks.example.com/fideliza",
        events=["purchase.recorded"],
    )
    buy(team, member, 1000)
    assert endpoint.deliveries.count() == 1
    endpoint_set_active(endpoint=endpoint, actor=team.owner, active=False)  # a bulk update
    buy(team, member, 1000)
    assert endpoint.deliveries.count() == 1


def test_each_change_gives_the_merchant_a_new_version_in_its_own_transaction(team):
    before = _fresh(team.merchant).config_version
    with transaction.atomic():
        program_settings_update(
            merchant=team.merchant, actor=team.manager, points_per_unit=30, expiry_months=None
        )
        changed = _fresh(team.merchant).config_version
        assert changed != before
        transaction.set_rollback(True)
    assert _fresh(team.merchant).config_version == before
    # what was loaded under the rolled-back version is never asked for again
    assert earn_terms(merchant=_fresh(team.merchant)).points_per_unit == 10


def test_another_process_sees_a_change_from_its_next_request_on(team):
    """What another process's edit looks like here: the rows and the merchant's version
    change in the database, and this process's copy is not forgotten."""
    program_settings_update(
        merchant=team.merchant, actor=team.manager, points_per_unit=10, expiry_months=None
    )
    team.merchant = _fresh(team.merchant)
    before = earn_terms(merchant=team.merchant)
    ProgramSettings.objects.filter(merchant=team.merchant).update(points_per_unit=40)
    Merchant.objects.filter(pk=team.merchant.pk).update(config_version=uuid.uuid4())
    assert earn_terms(merchant=team.merchant) is before  # the request that loaded the old row
    assert earn_terms(merchant=_fresh(team.merchant)).points_per_unit == 40  # every request after


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_edit_committed_by_another_process_applies_here_from_the_next_request(team):
    member = enroll(team)
    assert _points(team, member) == 100  # this process now holds the terms
    database = connection.settings_dict
    script = (
        "from apps.core.models import Merchant\n"
        "from apps.programs.points.rules import program_settings_update\n"
        f"merchant = Merchant.objects.get(pk={team.merchant.pk})\n"
        "program_settings_update(merchant=merchant, actor=None, points_per_unit=50,"
        " expiry_months=None)\n"
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": (
                f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
                f"/{database['NAME']}"
            ),
        },
        check=True,
        capture_output=True,
    )
    assert merchant_config._loaded[team.merchant.pk][1]  # nothing here was told
    team.merchant = _fresh(team.merchant)
    assert _points(team, member) == 500
