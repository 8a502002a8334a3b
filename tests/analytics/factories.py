"""Analytics test data, made the way the shop makes it: through the services, on dates
the tests choose (a purchase's `occurred_at`, a clock for what the services stamp now)."""

import itertools
from datetime import UTC, datetime

from django.db.models import Model

from apps.analytics.models import (
    CohortActivity,
    DailyRollup,
    EnrollmentDay,
    MemberLocationDays,
    MemberMonth,
    MemberStats,
)
from apps.analytics.refresh import RefreshResult, analytics_refresh
from apps.programs.services import purchase_record

_tickets = itertools.count(1)


def at(year: int, month: int, day: int, hour: int = 11) -> datetime:
    """A moment in UTC; 11:00 UTC is midday in Madrid, the test merchants' zone."""
    return datetime(year, month, day, hour, tzinfo=UTC)


def buy(team, member, amount: int, when: datetime, location=None, **fields):
    return purchase_record(
        merchant=team.merchant,
        member=member,
        external_id=f"A-{next(_tickets)}",
        amount=amount,
        occurred_at=when,
        location=location,
        actor=team.staff,
        **fields,
    ).purchase


def refresh(**options) -> RefreshResult:
    """One periodic run, which must not find another at work."""
    result = analytics_refresh(budget=None, **options)
    assert result is not None, "the analytics lock was taken"
    assert result.complete
    return result


ROLLUP_MODELS: tuple[type[Model], ...] = (
    DailyRollup,
    EnrollmentDay,
    MemberStats,
    MemberMonth,
    MemberLocationDays,
    CohortActivity,
)
_NOT_COMPARED = {"id", "updated_at"}


def rollup_snapshot() -> dict[str, list[tuple]]:
    """Every rollup row, without surrogate ids and timestamps, in a stable order: what two
    ways of computing the rollups must agree on."""
    snapshot = {}
    for model in ROLLUP_MODELS:
        columns = [
            field.attname
            for field in model._meta.concrete_fields
            if field.name not in _NOT_COMPARED
        ]
        rows = model.objects.values_list(*columns)
        snapshot[model.__name__] = sorted(rows, key=repr)
    return snapshot
