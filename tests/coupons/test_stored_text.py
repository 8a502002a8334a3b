"""Coupon reasons, and the coupon and cashback lines of the timeline and activity log,
are stored as msgids with their parameters and read in the reader's language
(apps/core/stored_text.py); the English columns stay as they were."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from apps.core.models import AuditLog
from apps.members.models import MemberEvent
from apps.programs.coupons.models import Coupon
from apps.programs.coupons.selectors import display_code
from apps.programs.coupons.services import coupon_issue_by_hand, coupon_void
from tests.coupons.factories import enable_cashback
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db


def test_coupon_reasons_and_lines_read_in_the_readers_language(team, client_as, marked_spanish):
    enable_cashback(team, rate_bp=1000, threshold=100, wine=500)
    member = enroll(team)
    buy(team, member, 1000)  # 100 of cashback: one coupon
    cashback = Coupon.objects.get(member=member, source="cashback")
    by_hand = coupon_issue_by_hand(
        member=member, value=300, days=None, min_spend=0, reason="late delivery", actor=team.manager
    )
    coupon_void(coupon=by_hand, actor=team.manager, reason="typo")

    became = MemberEvent.objects.get(
        member=member, kind="coupon_issued", data__coupons__isnull=False
    )
    rate = AuditLog.objects.get(action="cashback.category_rate_set")
    voided = AuditLog.objects.get(action="coupon.voided")
    code = display_code(code=by_hand.code)
    assert cashback.reason == "Cashback"
    assert became.summary == f"Cashback became 1 coupon: {cashback.code}"
    assert rate.summary == "Cashback for wine: 500 bp"
    assert voided.summary == f"Cancelled coupon {code}: typo"
    assert by_hand.reason == "late delivery"  # typed by a person: shown as typed
    assert by_hand.reason_shown == "late delivery"
    with translation.override("es"):
        _ = translation.gettext
        assert cashback.reason_shown == f"«{_('Cashback')}»"
        became_es = translation.ngettext(
            "Cashback became %(count)s coupon: %(codes)s",
            "Cashback became %(count)s coupons: %(codes)s",
            1,
        ) % {"count": 1, "codes": cashback.code}
        assert became.summary_shown == f"«{became_es}»"
        rate_es = _("Cashback for %(category)s: %(rate)s bp") % {"category": "wine", "rate": 500}
        assert rate.summary_shown == f"«{rate_es}»"
        voided_es = _("Cancelled coupon %(code)s: %(reason)s") % {"code": code, "reason": "typo"}
        assert voided.summary_shown == f"«{voided_es}»"
        shown = cashback.reason_shown

    page = client_as(team.manager).get(reverse("coupons:list"), HTTP_ACCEPT_LANGUAGE="es")
    assert page.headers["Content-Language"] == "es"
    assert escape(shown) in page.text
    assert "late delivery" in page.text
