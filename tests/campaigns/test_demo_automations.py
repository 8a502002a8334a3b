"""`seed_demo --campaigns` switches on the birthday, points-expiring and win-back
automations a year ago and writes a year of their history: sends, a holdout, coupons for
the win-back's treatment only, purchases after; safe to run twice, and a run of the
automations right after it sends nothing for the past."""

from io import StringIO

import pytest
from django.core.management import call_command

from apps.campaigns.automations.run import automations_run
from apps.campaigns.models import Automation, AutomationKind, OfferGrant
from apps.core.models import Merchant
from apps.messaging.models import Delivery, State

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--members", "80", "--purchases", "300", "--campaigns", stdout=out)
    return out.getvalue()


def test_the_demo_has_a_year_of_automations(django_capture_on_commit_callbacks, mailoutbox):
    output = seed()

    assert "Switched on 3 automations a year ago" in output
    on = Automation.objects.filter(enabled=True).values_list("kind", flat=True)
    assert set(on) == {
        AutomationKind.BIRTHDAY,
        AutomationKind.POINTS_EXPIRING,
        AutomationKind.WIN_BACK,
    }
    win_back = Automation.objects.get(kind=AutomationKind.WIN_BACK)
    rows = Delivery.objects.filter(source=win_back.source)
    assert rows.filter(state=State.SENT).exists()
    treated = set(rows.filter(state=State.SENT).values_list("member_id", "occurrence"))
    granted = set(
        OfferGrant.objects.filter(automation=win_back).values_list("member_id", "occurrence")
    )
    assert granted == treated  # a coupon with each message, none to the holdout
    birthdays = Delivery.objects.filter(source=Automation.objects.get(kind="birthday").source)
    assert birthdays.exists()

    count = Delivery.objects.count()
    seed()  # again: nothing more
    assert Delivery.objects.count() == count

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = automations_run(merchant=Merchant.objects.get(slug="demo"))
    assert result.days_scanned == 0  # the year is history
