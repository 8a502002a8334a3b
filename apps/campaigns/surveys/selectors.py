"""The survey's answers read back: the answer a message got, and the Net Promoter Score of
a period (the analytics card).

NPS = % promoters (9–10) − % detractors (0–6) of the answers; passives (7–8) count only in
the total. The score is None without an answer: nothing to say, not zero."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth

from apps.analytics.periods import Period, day_start, merchant_zone
from apps.campaigns.models import SurveyAnswer
from apps.core.models import Location, Merchant
from apps.messaging.models import Delivery

PROMOTERS = Q(score__gte=9)
PASSIVES = Q(score__gte=7, score__lte=8)
DETRACTORS = Q(score__lte=6)
_TENTH = Decimal("0.1")


def survey_answer_of(*, delivery: Delivery) -> SurveyAnswer | None:
    return SurveyAnswer.objects.filter(delivery_id=delivery.pk).first()


def _share(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(_TENTH, ROUND_HALF_UP)


@dataclass(frozen=True)
class NpsCounts:
    answers: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def promoters_percent(self) -> Decimal | None:
        return _share(self.promoters, self.answers)

    @property
    def passives_percent(self) -> Decimal | None:
        return _share(self.passives, self.answers)

    @property
    def detractors_percent(self) -> Decimal | None:
        return _share(self.detractors, self.answers)

    @property
    def score(self) -> Decimal | None:
        """From -100 (every answer a detractor's) to 100, to a tenth."""
        return _share(self.promoters - self.detractors, self.answers)


@dataclass(frozen=True)
class NpsSummary:
    counts: NpsCounts
    by_month: list[tuple[date, NpsCounts]]  # each month of the period, the first day's
    by_location: list[tuple[Location | None, NpsCounts]]  # None: a purchase without one


_COUNTS = {
    "answers": Count("pk"),
    "promoters": Count("pk", filter=PROMOTERS),
    "passives": Count("pk", filter=PASSIVES),
    "detractors": Count("pk", filter=DETRACTORS),
}


def _counts(row: dict) -> NpsCounts:
    return NpsCounts(**{name: row[name] for name in _COUNTS})


def _answers(
    merchant: Merchant, period: Period, location: Location | None
) -> QuerySet[SurveyAnswer]:
    zone = merchant_zone(merchant.timezone)
    start: datetime = day_start(period.start, zone)
    end: datetime = day_start(period.end + timedelta(days=1), zone)
    answers = SurveyAnswer.objects.for_merchant(merchant).filter(
        answered_at__gte=start, answered_at__lt=end
    )
    return answers if location is None else answers.filter(location=location)


def nps_counts(*, merchant: Merchant, period: Period, location: Location | None) -> NpsCounts:
    """The answers given in the period (the merchant's days), at `location` or anywhere."""
    return _counts(_answers(merchant, period, location).aggregate(**_COUNTS))


def nps_summary(*, merchant: Merchant, period: Period, location: Location | None) -> NpsSummary:
    answers = _answers(merchant, period, location)
    zone = merchant_zone(merchant.timezone)
    months = (
        answers.annotate(month=TruncMonth("answered_at", tzinfo=zone))
        .values("month")
        .annotate(**_COUNTS)
        .order_by("month")
    )
    places = answers.values("location").annotate(**_COUNTS).order_by("location")
    names = {
        place.pk: place
        for place in Location.objects.for_merchant(merchant).filter(
            pk__in=[row["location"] for row in places if row["location"]]
        )
    }
    by_location = [(names.get(row["location"]), _counts(row)) for row in places]
    by_location.sort(key=lambda pair: (pair[0] is None, pair[0].name if pair[0] else ""))
    return NpsSummary(
        counts=_counts(answers.aggregate(**_COUNTS)),
        by_month=[(_as_day(row["month"]), _counts(row)) for row in months],
        by_location=by_location,
    )


def _as_day(month) -> date:
    return month.date() if isinstance(month, datetime) else month


def survey_answers_personal_data(member) -> list[dict]:
    """`extensions.PERSONAL_DATA_PARTS`: the member's answers to the survey."""
    answers = SurveyAnswer.objects.filter(member=member).order_by("answered_at", "pk")
    return [{"answered_at": answer.answered_at, "score": answer.score} for answer in answers]
