"""The fields a segment's rules may name: the whitelist.

Each field says what kind of value it takes (and so which operators fit it), the values it
accepts, and how a condition on it becomes a `Q` over the merchant's members, with the
aliases (`QuerySet.alias`) that `Q` reads. A name that is not a key of `FIELDS` is refused
before anything is built, so no name from a request ever reaches the ORM.

Every condition compiles to SQL that is true or false for every member, never NULL, so
that `not` means what it says: a member without a value (no purchase yet, no birthday)
fails a condition on it, and passes its negation. Counts and sums over the member's
history (purchases in a window, referrals) are 0 for a member without any.

Figures of a member's history come from the analytics rollups (`MemberStats`, kept by the
refresh every minute); a member enrolled since the last refresh has no row yet and reads as
a member without purchases, seen today. Figures kept in other tables than the member's
(rollups, points, lots, purchases, tags, tiers, referrals) are read as `EXISTS` over their
rows, or `IN` over the rows grouped by member, never joined to the member's row: see
expressions.py for why.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import ExtractMonth, Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.campaigns.expressions import (
    NOBODY,
    OnRow,
    accepts,
    any_of,
    between,
    choice_q,
    combined,
    day_ranges,
    days_q,
    has_row,
    member_set_q,
    numbers_q,
    on_row_q,
    wanted,
)
from apps.campaigns.models import SurveyAnswer
from apps.campaigns.ranks import RankCuts
from apps.campaigns.segment_terms import (
    MAX_DAYS,
    Compiled,
    Condition,
    Kind,
    Scope,
    SegmentField,
)
from apps.core.languages import language_codes
from apps.core.models import Location, Merchant
from apps.members.models import Channel, Member, Tag
from apps.programs.models import Purchase
from apps.programs.points.models import Lot
from apps.programs.referrals.models import Referral
from apps.programs.tiers.models import MemberTier, Tier

# The fields ------------------------------------------------------------------------------


def compiled_on_row(scope: Scope, row: OnRow) -> Compiled:
    return Compiled(on_row_q(scope, row), {}, row=row)


def _status(scope: Scope, condition: Condition) -> Compiled:
    active_since = scope.today - timedelta(days=scope.at_risk_days)
    lapsed_before = scope.today - timedelta(days=scope.lapsed_days)
    # A member the refresh has not reached yet joined moments ago: seen today, so active
    # (at_risk_days is at least 1), neither at risk nor lapsed.
    seen = {
        "active": OnRow("rollups", Q(last_seen_on__gte=active_since), without_row=True),
        "at_risk": OnRow(
            "rollups",
            Q(last_seen_on__lt=active_since, last_seen_on__gte=lapsed_before),
            without_row=False,
        ),
        "lapsed": OnRow("rollups", Q(last_seen_on__lt=lapsed_before), without_row=False),
    }
    values = condition.value if condition.op == "in" else [condition.value]
    if "new" not in values:
        row = combined("any", [seen[value] for value in dict.fromkeys(values)])
        return compiled_on_row(scope, row.negated() if condition.op == "is_not" else row)
    by_status = {
        "new": Q(enrolled_at__gte=scope.midnight(active_since)),
        **{status: on_row_q(scope, row) for status, row in seen.items()},
    }
    return Compiled(choice_q(condition.op, condition.value, by_status.__getitem__), {})


def _days_since_last_purchase(scope: Scope, condition: Condition) -> Compiled:
    intervals = wanted(condition.op, condition.value)
    q = days_q(scope, "last_purchase_on", intervals, sign=-1, instant=False)
    q &= Q(last_purchase_on__isnull=False)
    return compiled_on_row(scope, OnRow("rollups", q, without_row=False))


def _window_start(scope: Scope, days: int) -> datetime:
    return scope.midnight(scope.today - timedelta(days=days - 1))


def _purchases_in_window(scope: Scope, condition: Condition, figure) -> Q:
    purchases = (
        Purchase.objects.for_merchant(scope.merchant)
        .filter(occurred_at__gte=_window_start(scope, condition.within_days))
        .values("member_id")
        .annotate(segment_figure=figure)
    )
    return member_set_q(purchases, wanted(condition.op, condition.value), "segment_figure")


def _rollup_number(scope: Scope, condition: Condition, column: str) -> Compiled:
    """A count or sum of the member's rollup row: 0 without a row."""
    intervals = wanted(condition.op, condition.value)
    q = numbers_q(column, intervals)
    return compiled_on_row(scope, OnRow("rollups", q, without_row=accepts(intervals, 0)))


def _purchase_count(scope: Scope, condition: Condition) -> Compiled:
    if condition.within_days:
        # COUNT(*), not of a column: the purchases' window index answers it alone.
        return Compiled(_purchases_in_window(scope, condition, Count("*")), {})
    return _rollup_number(scope, condition, "purchases")


def _total_spent(scope: Scope, condition: Condition) -> Compiled:
    if condition.within_days:
        return Compiled(_purchases_in_window(scope, condition, Sum("amount")), {})
    return _rollup_number(scope, condition, "spent")


def _average_order(scope: Scope, condition: Condition) -> Compiled:
    average = Case(
        When(purchases__gt=0, then=F("spent") / F("purchases")),
        default=Value(None),
        output_field=BigIntegerField(),
    )
    q = numbers_q("segment_average", wanted(condition.op, condition.value), nullable=True)
    row = OnRow("rollups", q, without_row=False, aliases={"segment_average": average})
    return compiled_on_row(scope, row)


def _points_balance(scope: Scope, condition: Condition) -> Compiled:
    """No account yet: a balance of 0."""
    intervals = wanted(condition.op, condition.value)
    q = numbers_q("balance", intervals)
    return compiled_on_row(scope, OnRow("points", q, without_row=accepts(intervals, 0)))


def _points_expiring(scope: Scope, condition: Condition) -> Compiled:
    """Days until the member's next points expire (none: no points that expire). The
    first expiry of the lots still holding points falls in [start, end) when one lot
    expires then and none before: plain rows, so the lots' expiry index serves it."""
    lots = Lot.objects.for_merchant(scope.merchant).filter(
        remaining__gt=0, expires_at__gt=scope.now
    )
    intervals = wanted(condition.op, condition.value)
    parts = []
    for start, end in day_ranges(scope, intervals, sign=1, instant=True):
        part = has_row(lots.filter(between("expires_at", start, end, high_strict=True)))
        if start is not None and start > scope.now:
            part &= ~has_row(lots.filter(expires_at__lt=start))
        parts.append(part)
    return Compiled(any_of(parts), {})


def _tier(scope: Scope, condition: Condition) -> Compiled:
    def holding(tier_ids) -> Q:
        return Q(Exists(MemberTier.objects.filter(member_id=OuterRef("pk"), tier_id__in=tier_ids)))

    if condition.op == "in":
        return Compiled(holding(condition.value), {})
    q = holding([condition.value])
    return Compiled(q if condition.op == "is" else ~q, {})


def _tag_ids(merchant: Merchant, names) -> list[int]:
    # Both sides lower-cased by the database, as the tags' unique constraint is: Python's
    # str.lower() differs from PostgreSQL's lower() on some letters ("İ" becomes two).
    lowered = [Lower(Value(name)) for name in dict.fromkeys(names)]
    tags = Tag.objects.for_merchant(merchant).annotate(lowered=Lower("name"))
    return list(tags.filter(lowered__in=lowered).values_list("pk", flat=True))


def _tag(scope: Scope, condition: Condition) -> Compiled:
    names = condition.value if condition.op == "in" else [condition.value]
    through = Member.tags.through.objects.filter(
        member_id=OuterRef("pk"), tag_id__in=_tag_ids(scope.merchant, names)
    )
    q = Q(Exists(through))
    return Compiled(~q if condition.op == "is_not" else q, {})


def _column_choice(column: str) -> Callable[[Scope, Condition], Compiled]:
    def compile_(scope: Scope, condition: Condition) -> Compiled:
        return Compiled(choice_q(condition.op, condition.value, lambda v: Q(**{column: v})), {})

    return compile_


def _language(scope: Scope, condition: Condition) -> Compiled:
    default = scope.merchant.language

    def speaking(code: str) -> Q:
        # An empty language is the merchant's.
        return Q(language__in=[code, ""]) if code == default else Q(language=code)

    return Compiled(choice_q(condition.op, condition.value, speaking), {})


def _enrolled_days_ago(scope: Scope, condition: Condition) -> Compiled:
    intervals = wanted(condition.op, condition.value)
    return Compiled(days_q(scope, "enrolled_at", intervals, sign=-1, instant=True), {})


def _birthday_month(scope: Scope, condition: Condition) -> Compiled:
    intervals = wanted(condition.op, condition.value)
    q = numbers_q("segment_birthday_month", intervals, nullable=True)
    return Compiled(q, {"segment_birthday_month": ExtractMonth("birthday")})


def _flag(q: Q) -> Callable[[Scope, Condition], Compiled]:
    def compile_(scope: Scope, condition: Condition) -> Compiled:
        return Compiled(q if condition.value else ~q, {})

    return compile_


def _birthday_this_month(scope: Scope, condition: Condition) -> Compiled:
    q = Q(segment_birthday_month=scope.today.month, segment_birthday_month__isnull=False)
    q = q if condition.value else ~q
    return Compiled(q, {"segment_birthday_month": ExtractMonth("birthday")})


def _referrals_made(scope: Scope, condition: Condition) -> Compiled:
    referrals = (
        Referral.objects.for_merchant(scope.merchant)
        .values("referrer_id")
        .annotate(segment_referrals=Count("pk"))
    )
    intervals = wanted(condition.op, condition.value)
    q = member_set_q(referrals, intervals, "segment_referrals", member_column="referrer_id")
    return Compiled(q, {})


def _ranked(stats_column: str, cuts_of: Callable[[RankCuts], tuple], *, top_percent: bool = False):
    """A score from 1 (lowest fifth of the buyers) to 5 (highest), or the top percent
    by spend (1: the top 1 %), from cut points over the merchant's buyers
    (apps/campaigns/ranks.py). A member who never bought has no score."""

    def compile_(scope: Scope, condition: Condition) -> Compiled:
        cuts = cuts_of(scope.ranks)
        if not cuts:
            return Compiled(NOBODY, {})
        size = len(cuts) + 1
        intervals = wanted(condition.op, condition.value)
        scores = [
            score
            for score in range(1, size + 1)
            if accepts(intervals, size + 1 - score if top_percent else score)
        ]
        # Score s holds the figures in (cuts[s - 2], cuts[s - 1]]: a run of scores, the
        # figures from its first score's lower cut to its last one's upper cut.
        parts = []
        for first, last in _runs(scores):
            part = Q(purchases__gt=0)
            if first > 1:
                part &= Q(**{f"{stats_column}__gt": cuts[first - 2]})
            if last < size:
                part &= Q(**{f"{stats_column}__lte": cuts[last - 1]})
            parts.append(part)
        return compiled_on_row(scope, OnRow("rollups", any_of(parts), without_row=False))

    return compile_


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    """Sorted numbers as runs of consecutive ones: [1, 2, 4] -> [(1, 2), (4, 4)]."""
    runs: list[tuple[int, int]] = []
    for number in numbers:
        if runs and runs[-1][1] == number - 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    return runs


def _nps(scope: Scope, condition: Condition) -> Compiled:
    """The score of the member's latest answer to the survey (none: never answered). The
    answers are few beside the members: the latest of each that passes, as a semi-join
    over them, never a lookup per member."""
    answers = SurveyAnswer.objects.for_merchant(scope.merchant)
    later = answers.filter(member_id=OuterRef("member_id")).filter(
        Q(answered_at__gt=OuterRef("answered_at"))
        | Q(answered_at=OuterRef("answered_at"), pk__gt=OuterRef("pk"))
    )
    latest = answers.filter(numbers_q("score", wanted(condition.op, condition.value)))
    return Compiled(Q(pk__in=latest.filter(~Exists(later)).values("member_id")), {})


def _tier_choices(merchant: Merchant) -> dict[int, str]:
    tiers = Tier.objects.for_merchant(merchant).order_by("threshold", "pk")
    return dict(tiers.values_list("pk", "name"))


def _location_choices(merchant: Merchant) -> dict[int, str]:
    return dict(Location.objects.for_merchant(merchant).order_by("name").values_list("pk", "name"))


def _language_choices(merchant: Merchant) -> dict[str, str]:
    names = dict(settings.LANGUAGES)
    return {code: names[code] for code in language_codes()}


STATUS_CHOICES = {
    "new": pgettext_lazy("member status", "New"),
    "active": pgettext_lazy("member status", "Active"),
    "at_risk": pgettext_lazy("member status", "At risk"),
    "lapsed": pgettext_lazy("member status", "Lapsed"),
}

_BIG = 10**13  # minor units: ten thousand billion cents is more than any shop's history

FIELDS: dict[str, SegmentField] = {
    spec.name: spec
    for spec in [
        SegmentField(
            "status",
            Kind.CHOICE,
            _("Status"),
            _status,
            choices=lambda merchant: STATUS_CHOICES,
            help_text=_(
                "Active, at risk or lapsed by the days since the last visit (the analytics "
                "thresholds); new: joined within the active days."
            ),
        ),
        SegmentField(
            "days_since_last_purchase",
            Kind.NUMBER,
            _("Days since the last purchase"),
            _days_since_last_purchase,
            maximum=MAX_DAYS,
        ),
        SegmentField(
            "purchase_count",
            Kind.NUMBER,
            _("Purchases"),
            _purchase_count,
            maximum=10**9,
            windowed=True,
        ),
        SegmentField(
            "total_spent", Kind.NUMBER, _("Total spent"), _total_spent, maximum=_BIG, windowed=True
        ),
        SegmentField(
            "average_order", Kind.NUMBER, _("Average order"), _average_order, maximum=_BIG
        ),
        SegmentField(
            "points_balance",
            Kind.NUMBER,
            _("Points balance"),
            _points_balance,
            minimum=-(10**9),
            maximum=10**9,
        ),
        SegmentField(
            "points_expiring_within_days",
            Kind.NUMBER,
            _("Days until points expire"),
            _points_expiring,
            maximum=MAX_DAYS,
        ),
        SegmentField("tier", Kind.CHOICE, _("Tier"), _tier, choices=_tier_choices),
        SegmentField("tag", Kind.TAG, _("Tag"), _tag),
        SegmentField(
            "location",
            Kind.CHOICE,
            _("Home location"),
            _column_choice("location_id"),
            choices=_location_choices,
        ),
        SegmentField(
            "enrollment_channel",
            Kind.CHOICE,
            _("Enrolled through"),
            _column_choice("channel"),
            choices=lambda merchant: dict(Channel.choices),
        ),
        SegmentField(
            "enrolled_days_ago",
            Kind.NUMBER,
            _("Days since joining"),
            _enrolled_days_ago,
            maximum=MAX_DAYS,
        ),
        SegmentField(
            "birthday_month",
            Kind.NUMBER,
            _("Birthday month"),
            _birthday_month,
            minimum=1,
            maximum=12,
        ),
        SegmentField(
            "birthday_this_month", Kind.BOOLEAN, _("Birthday this month"), _birthday_this_month
        ),
        SegmentField("language", Kind.CHOICE, _("Language"), _language, choices=_language_choices),
        SegmentField(
            "consent_email",
            Kind.BOOLEAN,
            _("Accepts marketing email"),
            _flag(Q(consent_email=True)),
        ),
        SegmentField(
            "consent_sms", Kind.BOOLEAN, _("Accepts marketing SMS"), _flag(Q(consent_sms=True))
        ),
        SegmentField("has_email", Kind.BOOLEAN, _("Has an email address"), _flag(Q(email__gt=""))),
        SegmentField("has_phone", Kind.BOOLEAN, _("Has a phone number"), _flag(Q(phone__gt=""))),
        SegmentField(
            "referrals_made",
            Kind.NUMBER,
            _("Members referred"),
            _referrals_made,
            maximum=10**6,
        ),
        SegmentField(
            "recency_score",
            Kind.NUMBER,
            _("Recency score"),
            _ranked("last_purchase_on", lambda ranks: ranks.recency),
            minimum=1,
            maximum=5,
            help_text=_("5: the fifth of the buyers who bought most recently."),
        ),
        SegmentField(
            "frequency_score",
            Kind.NUMBER,
            _("Frequency score"),
            _ranked("purchases", lambda ranks: ranks.frequency),
            minimum=1,
            maximum=5,
            help_text=_("5: the fifth of the buyers who bought most often."),
        ),
        SegmentField(
            "monetary_score",
            Kind.NUMBER,
            _("Spending score"),
            _ranked("spent", lambda ranks: ranks.monetary),
            minimum=1,
            maximum=5,
            help_text=_("5: the fifth of the buyers who spent most."),
        ),
        SegmentField(
            "top_spend_percent",
            Kind.NUMBER,
            _("Top percent by spend"),
            _ranked("spent", lambda ranks: ranks.spend_percentiles, top_percent=True),
            minimum=1,
            maximum=100,
            help_text=_("10 or less: among the 10 % of buyers who spent most."),
        ),
        SegmentField(
            "nps",
            Kind.NUMBER,
            _("Survey answer (0-10)"),
            _nps,
            maximum=10,
            help_text=_(
                "The latest answer to the post-purchase survey: how likely, from 0 to 10, "
                "the member is to recommend you. A member who never answered has none."
            ),
        ),
    ]
}
