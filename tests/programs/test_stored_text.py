"""Ledger reasons and the points' timeline lines are stored as msgids with their
parameters and read in the reader's language (apps/core/stored_text.py); the English
columns (API, exports) stay as they were."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from apps.members.models import MemberEvent
from apps.members.services import member_merge
from apps.programs.points.models import EntryKind, LedgerEntry, ProgramSettings
from apps.programs.points.services import lots_expire, points_adjust
from apps.programs.services import refund_record
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db


def test_ledger_reasons_and_timeline_read_in_the_readers_language(team, client_as, marked_spanish):
    member = enroll(team)
    purchase = buy(team, member, 1000, external_id="T-1").purchase  # 100 points
    points_adjust(member=member, points=-100, reason="used at the till", actor=team.manager)
    refund_record(purchase=purchase, external_id="R-1", amount=1000)  # 100 owed
    points_adjust(member=member, points=150, reason="welcome back", actor=team.manager)

    settled = LedgerEntry.objects.filter(member=member, kind=EntryKind.ADJUST).latest("id")
    bought = MemberEvent.objects.get(member=member, kind="purchase")
    assert (settled.points, settled.reason) == (50, "welcome back (100 settled a shortfall)")
    assert bought.summary == "Purchase T-1: earned 100 points"
    with translation.override("es"):
        _ = translation.gettext
        reason = _("%(reason)s (%(points)s settled a shortfall)") % {
            "reason": "welcome back",  # typed by a person: as typed
            "points": 100,
        }
        assert settled.reason_shown == f"«{reason}»"
        earned = translation.ngettext(
            "Purchase %(purchase)s: earned %(count)s point",
            "Purchase %(purchase)s: earned %(count)s points",
            100,
        ) % {"purchase": "T-1", "count": 100}
        assert bought.summary_shown == f"«{earned}»"

    page = client_as(team.manager).get(
        reverse("programs:member_points", args=[member.public_id]), HTTP_ACCEPT_LANGUAGE="es"
    )
    assert page.headers["Content-Language"] == "es"
    assert escape(f"«{reason}»") in page.text


def test_expiry_and_merge_reasons_are_stored_texts(team, marked_spanish):
    ProgramSettings.objects.update_or_create(merchant=team.merchant, defaults={"expiry_months": 12})
    survivor, duplicate = enroll(team), enroll(team)
    buy(team, duplicate, 1000, external_id="T-1")
    member_merge(survivor=survivor, duplicate=duplicate, actor=team.manager)
    moved = LedgerEntry.objects.get(member=survivor, kind=EntryKind.MERGE)
    english = f"merge of {duplicate.card_code_display} into {survivor.card_code_display}"
    assert moved.reason == english
    assert moved.reason_text["msgid"] == "merge of %(duplicate)s into %(survivor)s"

    lots_expire(now=timezone.now() + timezone.timedelta(days=365 * 20))
    expired = LedgerEntry.objects.get(kind=EntryKind.EXPIRE, member=survivor)
    assert expired.reason == "expired"
    with translation.override("es"):
        assert moved.reason_shown == "«%s»" % (
            translation.gettext("merge of %(duplicate)s into %(survivor)s")
            % {"duplicate": duplicate.card_code_display, "survivor": survivor.card_code_display}
        )
        assert expired.reason_shown == f"«{translation.gettext('expired')}»"
    assert moved.reason_shown == english  # in English, the English column's text


def test_a_plain_reason_is_kept_as_typed(team):
    member = enroll(team)
    entry = points_adjust(member=member, points=25, reason="missed purchase", actor=team.manager)
    assert (entry.reason, entry.reason_text) == ("missed purchase", {})
    with translation.override("es"):
        assert entry.reason_shown == "missed purchase"
