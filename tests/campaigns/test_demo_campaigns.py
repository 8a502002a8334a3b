"""`seed_demo --campaigns`: segments, a draft and a sent campaign whose report has figures;
safe to run twice."""

from io import StringIO

import pytest
from django.core.management import call_command

from apps.campaigns.models import Campaign, CampaignStatus, Segment
from apps.campaigns.report import campaign_report
from apps.campaigns.selectors import campaign_counts

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--members", "60", "--purchases", "300", "--campaigns", stdout=out)
    return out.getvalue()


def test_the_demo_has_a_sent_campaign_with_a_report():
    output = seed()

    sent = Campaign.objects.get(name="Vuelve a por tu café")
    assert sent.status == CampaignStatus.SENT
    assert "sent to" in output
    counts = campaign_counts(campaign=sent)
    assert counts["targeted"] == sent.targeted > 0
    assert counts["sent"] + counts["holdout"] == counts["targeted"]
    report = campaign_report(campaign=sent).to_dict()
    assert report["treatment"]["members"] == counts["sent"]
    assert report["treatment"]["buyers"] > 0
    assert Campaign.objects.filter(status=CampaignStatus.DRAFT).count() == 1
    assert Segment.objects.count() == 4

    seed()  # again: nothing more
    assert Campaign.objects.count() == 2
    assert Segment.objects.count() == 4
