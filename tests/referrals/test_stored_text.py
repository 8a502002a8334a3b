"""A referral's end reason, its rewards' reasons and its timeline lines are stored as
msgids with their parameters and read in the reader's language
(apps/core/stored_text.py); the English columns stay as they were."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from apps.members.models import MemberEvent
from apps.programs.points.models import LedgerEntry
from apps.programs.referrals.models import Referral
from tests.members.factories import enroll
from tests.programs.factories import buy
from tests.referrals.conftest import code_of, referrals_on

pytestmark = pytest.mark.django_db


def test_a_reversed_referral_reads_in_the_readers_language(team, refund, client_as, marked_spanish):
    referrals_on(team)
    ana = enroll(team, first_name="Ana")
    bea = enroll(team, first_name="Bea", extras={"referral_code": code_of(ana)})
    purchase = buy(team, bea, 1000, external_id="T-1", run_on_commit=True).purchase
    refund(purchase, 1000, "R-1")

    referral = Referral.objects.get()
    welcome = LedgerEntry.objects.get(member=bea, kind="bonus")
    taken_back = MemberEvent.objects.filter(member=bea, kind="referral").first()
    assert referral.status == "reversed"
    assert referral.end_reason == "qualifying purchase refunded"
    assert welcome.reason == "welcome: referred by Ana"
    assert taken_back.summary == (
        "Referral reward taken back: referral reward: qualifying purchase refunded, 100 points"
    )
    with translation.override("es"):
        _ = translation.gettext
        end = _("qualifying purchase refunded")
        assert referral.end_reason_shown == f"«{end}»"
        assert welcome.reason_shown == "«%s»" % (
            _("welcome: referred by %(name)s") % {"name": "Ana"}
        )
        points = translation.ngettext("%(count)s point", "%(count)s points", 100) % {"count": 100}
        reason = _("referral reward: %(reason)s") % {"reason": f"«{end}»"}
        summary = _("Referral reward taken back: %(reason)s, %(taken)s") % {
            "reason": f"«{reason}»",
            "taken": f"«{points}»",
        }
        assert taken_back.summary_shown == f"«{summary}»"
        shown = referral.end_reason_shown

    page = client_as(team.staff).get(
        reverse("referrals:member_panel", args=[bea.public_id]), HTTP_ACCEPT_LANGUAGE="es"
    )
    assert page.headers["Content-Language"] == "es"
    assert escape(shown) in page.text
