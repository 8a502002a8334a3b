from datetime import datetime

import pytest
from django.utils import timezone


class Clock:
    """What `timezone.now()` answers: set by the test, or the real time when unset."""

    def __init__(self, real):
        self.real = real
        self.moment: datetime | None = None

    def set(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment or self.real()


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The services stamp refunds, coupons and "today" with `timezone.now()`: the tests
    choose it, so the figures they expect do not depend on the day they run."""
    fixed = Clock(timezone.now)
    monkeypatch.setattr(timezone, "now", fixed.now)
    return fixed
