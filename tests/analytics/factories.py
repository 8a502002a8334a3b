"""Analytics test data, made the way the shop makes it: through the services, on dates
the tests choose (a purchase's `at` for `tests.programs.factories.buy`, a clock for what
the services stamp now)."""

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


def at(year: int, month: int, day: int, hour: int = 11) -> datetime:
    """A moment in UTC; 11:00 UTC is midday in Madrid, the test merchants' zone."""
    return datetime(year, month, day, hour, tzinfo=UTC)


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
