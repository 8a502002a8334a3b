"""Days, months and periods in a merchant's time zone, and the day masks of `MemberMonth`.

Every figure is about the merchant's calendar: a sale at 00:30 in Madrid on the 1st is a
sale of the 1st even though it is still the 31st in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta


def merchant_zone(timezone_name: str) -> ZoneInfo:
    """The merchant's zone; UTC for a name this machine does not know (never refuse to
    count because of a zone database that lags behind)."""
    try:
        return ZoneInfo(timezone_name)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of `day` in `zone` (an aware datetime)."""
    return datetime.combine(day, time.min, tzinfo=zone)


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    return month + relativedelta(months=1, days=-1)


def add_months(month: date, months: int) -> date:
    return month + relativedelta(months=months)


def months_between(first: date, last: date) -> list[date]:
    """The first days of the months from `first`'s to `last`'s, both included."""
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def months_apart(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def day_bit(day: date) -> int:
    """The bit of `day` in its month's day mask."""
    return 1 << (day.day - 1)


@dataclass(frozen=True)
class Period:
    """A range of the merchant's days, both ends included: what the dashboard's date
    picker chooses."""

    start: date
    end: date

    def __post_init__(self):
        if self.start > self.end:
            raise ValueError("A period ends on or after its first day.")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of as many days just before this one: the comparison."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def months(self) -> list[date]:
        """The months this period touches (their first days)."""
        return months_between(self.start, self.end)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[first instant, first instant after) in `zone`, for filtering timestamps."""
        return day_start(self.start, zone), day_start(self.end + timedelta(days=1), zone)

    @classmethod
    def last_days(cls, days: int, *, today: date) -> Period:
        return cls(today - timedelta(days=days - 1), today)
