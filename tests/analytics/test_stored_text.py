"""The activity log's lines about analytics settings are stored as msgids with their
parameters and read in the reader's language (apps/core/stored_text.py)."""

from datetime import date

import pytest
from django.utils import translation

from apps.analytics.services import analytics_settings_update, marketing_spend_set
from apps.core.models import AuditLog

pytestmark = pytest.mark.django_db


def test_analytics_lines_read_in_the_readers_language(team):
    analytics_settings_update(
        merchant=team.merchant, actor=team.owner, at_risk_days=30, lapsed_days=90
    )
    marketing_spend_set(
        merchant=team.merchant, actor=team.owner, month=date(2026, 5, 9), amount=5000
    )
    settings = AuditLog.objects.get(action="analytics.settings_updated")
    spend = AuditLog.objects.get(action="analytics.spend_set")
    assert settings.summary == (
        "Analytics: at risk after 30 days, lapsed after 90, point value from the rewards"
    )
    assert spend.summary == "Marketing spend of 2026-05: 5000"
    with translation.override("es"):
        assert spend.summary_shown == translation.gettext(
            "Marketing spend of %(month)s: %(amount)s"
        ) % {"month": "2026-05", "amount": 5000}
        assert settings.summary_shown == translation.gettext(
            "Analytics: at risk after %(at_risk)s days, lapsed after %(lapsed)s, "
            "point value from the rewards"
        ) % {"at_risk": 30, "lapsed": 90}
        assert settings.data["summary_text"]["params"] == {"at_risk": 30, "lapsed": 90}
