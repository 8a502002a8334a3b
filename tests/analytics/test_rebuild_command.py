"""`manage.py rebuild_analytics [merchant]`: from scratch, in batches, with progress, and
in step with the refresh (nothing counted twice, nothing missed)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from apps.analytics.models import DailyRollup, MemberStats
from tests.analytics.factories import at, refresh, rollup_snapshot
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db


def _rebuild(*args) -> str:
    out = StringIO()
    call_command("rebuild_analytics", *args, stdout=out)
    return out.getvalue()


def _revenue(team) -> int:
    return DailyRollup.objects.for_merchant(team.merchant).aggregate(s=Sum("revenue"))["s"] or 0


def _trade(team, amounts):
    members = [enroll(team) for _ in amounts]
    for member, amount in zip(members, amounts, strict=True):
        buy(team, member, amount, at=at(2026, 3, 2))
    return members


def test_a_rebuild_of_everything_reports_its_progress_and_equals_the_refresh(team, other_team):
    _trade(team, [1000, 2000, 3000])
    _trade(other_team, [500])
    refresh()
    refreshed = rollup_snapshot()
    DailyRollup.objects.update(revenue=0)
    MemberStats.objects.update(purchases=99)

    output = _rebuild("--batch", "2")

    assert rollup_snapshot() == refreshed
    assert f"{team.merchant.slug}: members 2 / 3" in output
    assert f"{team.merchant.slug}: members 3 / 3" in output
    assert "Rebuilt 2 merchant(s)" in output


def test_a_merchants_rebuild_leaves_the_others_rows_alone(team, other_team):
    _trade(team, [1000])
    _trade(other_team, [500])
    refresh()
    DailyRollup.objects.update(revenue=1)

    _rebuild(team.merchant.slug)

    assert (_revenue(team), _revenue(other_team)) == (1000, 1)


def test_rows_not_yet_refreshed_are_counted_by_the_rebuild_and_not_again_after(team, other_team):
    # given sales the periodic refresh has not read yet, at both merchants
    _trade(team, [1000, 2500])
    _trade(other_team, [700])
    # when one merchant is rebuilt
    _rebuild(team.merchant.slug)
    # then its rollups have them, the other's were added by the rebuild's catching up
    assert (_revenue(team), _revenue(other_team)) == (3500, 700)
    # and the next refresh adds nothing twice
    refresh()
    assert (_revenue(team), _revenue(other_team)) == (3500, 700)
    _trade(team, [100])
    refresh()
    assert _revenue(team) == 3600


def test_an_unknown_merchant_is_refused():
    with pytest.raises(CommandError, match="No merchant has the slug 'nope'"):
        _rebuild("nope")
    with pytest.raises(CommandError, match="--batch"):
        _rebuild("--batch", "0")
