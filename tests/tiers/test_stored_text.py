"""Tier reasons, a re-evaluation's reason and failure, and the tier lines of the timeline
and activity log are stored as msgids with their parameters and read in the reader's
language (apps/core/stored_text.py); the English columns stay as they were."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from apps.core.models import AuditLog
from apps.core.stored_text import render
from apps.members.models import MemberEvent
from apps.programs.tiers.models import Tier, TierChange, TierReevaluation
from apps.programs.tiers.services import reevaluation_run, tier_update
from tests.members.factories import enroll
from tests.programs.factories import buy
from tests.tiers.factories import set_up_tiers

pytestmark = pytest.mark.django_db


def test_a_tier_change_reads_in_the_readers_language(team, client_as, marked_spanish):
    set_up_tiers(team)
    member = enroll(team)
    ticket = buy(team, member, 15_000).purchase.external_id

    change = TierChange.objects.get(member=member)
    event = MemberEvent.objects.get(member=member, kind="tier_changed")
    assert change.reason == f"purchase {ticket} reached Bronze"
    assert event.summary == f"Tier up: no tier → Bronze (purchase {ticket} reached Bronze)"
    with translation.override("es"):
        _ = translation.gettext
        reason = _("purchase %(purchase)s reached %(tier)s") % {
            "purchase": ticket,
            "tier": "Bronze",
        }
        assert change.reason_shown == f"«{reason}»"
        summary = _("Tier up: %(before)s → %(after)s (%(reason)s)") % {
            "before": f"«{_('no tier')}»",
            "after": "Bronze",
            "reason": f"«{reason}»",
        }
        assert event.summary_shown == f"«{summary}»"

    page = client_as(team.manager).get(
        reverse("tiers:member_tier", args=[member.public_id]), HTTP_ACCEPT_LANGUAGE="es"
    )
    assert page.headers["Content-Language"] == "es"
    with translation.override("es"):
        assert escape(change.reason_shown) in page.text


def test_a_reevaluations_reason_failure_and_audit_line_read_in_the_readers_language(
    team, client_as, marked_spanish, monkeypatch
):
    from apps.programs.tiers.services import reevaluation

    set_up_tiers(team)
    enroll(team)
    job = TierReevaluation.objects.for_merchant(team.merchant).first()  # the last: Gold added

    def broken_batch(job, member_ids, at):
        raise RuntimeError("worker lost its database")

    monkeypatch.setattr(reevaluation, "_reevaluate_batch", broken_batch)
    with pytest.raises(RuntimeError):
        reevaluation_run(job_id=job.pk)
    job.refresh_from_db()
    gold = Tier.objects.get(merchant=team.merchant, name="Gold")
    audit = AuditLog.objects.get(action="tier.created", target_id=str(gold.pk))

    assert job.reason == "tier Gold added"
    assert job.failure == "Stopped by an error (RuntimeError); resume to carry on."
    assert audit.summary == "Added tier Gold (threshold 100000)"
    with translation.override("es"):
        _ = translation.gettext
        assert job.reason_shown == "«%s»" % (_("tier %(tier)s added") % {"tier": "Gold"})
        assert job.failure_shown == "«%s»" % (
            _("Stopped by an error (%(error)s); resume to carry on.") % {"error": "RuntimeError"}
        )
        assert audit.summary_shown == "«%s»" % (
            _("Added tier %(tier)s (threshold %(threshold)s)")
            % {"tier": "Gold", "threshold": 100_000}
        )
        assert render(job.failure_text, job.failure) == job.failure_shown
        shown = [job.reason_shown, job.failure_shown]

    page = client_as(team.manager).get(
        reverse("tiers:reevaluation", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="es"
    )
    assert page.headers["Content-Language"] == "es"
    for text in shown:
        assert escape(text) in page.text


def test_a_tier_edit_lists_what_changed_in_the_readers_language(team, marked_spanish):
    gold = set_up_tiers(team)["Gold"]

    tier_update(
        tier=gold, actor=team.manager, name="Gold", threshold=120_000, earn_percent=200, perks=""
    )

    audit = AuditLog.objects.get(action="tier.updated")
    assert audit.summary == "Changed tier Gold: earn_percent, perks, threshold"
    with translation.override("es"):
        _ = translation.gettext
        fields = "«%s»" % (
            _("%(list)s, %(item)s")
            % {
                "list": "«%s»"
                % (
                    _("%(list)s, %(item)s")
                    % {"list": f"«{_('earn_percent')}»", "item": f"«{_('perks')}»"}
                ),
                "item": f"«{_('threshold')}»",
            }
        )
        summary = _("Changed tier %(tier)s: %(fields)s") % {"tier": "Gold", "fields": fields}
        assert audit.summary_shown == f"«{summary}»"
