"""Rollups: pre-aggregated figures the KPIs read instead of the purchases and the ledger.

Nothing here is written on the purchase path. A periodic task (refresh.py) reads what
changed since its last run and updates these tables; `manage.py rebuild_analytics`
recomputes them from scratch (rebuild.py). Days and months are the merchant's, in its
time zone. Money is integer minor units of the merchant's currency, points are integers.

Where a row has a location, "none" (NULL) is a sale or an enrollment recorded without
one; two partial unique constraints stand in for one that would treat NULLs as equal.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.analytics.daybits import DayBitsField
from apps.core.tenancy import TenantModel


class AnalyticsSettings(TenantModel):
    """How a merchant reads its figures. One row per merchant, made by the first change
    (`services.analytics_settings_ensure`); without one, reads see the defaults."""

    at_risk_days = models.PositiveSmallIntegerField(
        _("at risk after (days)"),
        default=90,
        help_text=_("A member with no purchase for longer than this is at risk."),
    )
    lapsed_days = models.PositiveSmallIntegerField(
        _("lapsed after (days)"),
        default=180,
        help_text=_("A member with no purchase for longer than this has lapsed."),
    )
    thousand_points_value = models.PositiveBigIntegerField(
        _("value of 1,000 points"),
        null=True,
        blank=True,
        help_text="What 1,000 points are worth, in minor units (the points liability). "
        "Per thousand so that a point worth a fraction of a cent is exact. "
        "Empty: derived from the rewards catalog (selectors.point_value_per_thousand).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("analytics settings")
        verbose_name_plural = _("analytics settings")
        constraints = [
            models.UniqueConstraint("merchant", name="analytics_one_settings_row"),
            models.CheckConstraint(
                condition=Q(at_risk_days__gte=1)
                & Q(lapsed_days__gt=models.F("at_risk_days"))
                & Q(lapsed_days__lte=3650),
                name="analytics_thresholds_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"At risk after {self.at_risk_days} days, lapsed after {self.lapsed_days}"


class MarketingSpend(TenantModel):
    """What the merchant spent on marketing in one calendar month (acquisition cost)."""

    month = models.DateField(_("month"), help_text="The first day of the month.")
    amount = models.BigIntegerField(_("amount"), help_text="Minor units.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("marketing spend")
        verbose_name_plural = _("marketing spend")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint("merchant", "month", name="analytics_one_spend_per_month"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="analytics_spend_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Marketing spend of {self.month:%Y-%m}: {self.amount}"


def _per_location(*fields: str, prefix: str) -> list[models.UniqueConstraint]:
    """Unique per (fields, location), where "no location" counts as one more location."""
    return [
        models.UniqueConstraint(
            "merchant",
            *fields,
            "location",
            condition=Q(location__isnull=False),
            name=f"{prefix}_unique_at_location",
        ),
        models.UniqueConstraint(
            "merchant",
            *fields,
            condition=Q(location__isnull=True),
            name=f"{prefix}_unique_without_location",
        ),
    ]


class DailyRollup(TenantModel):
    """One merchant's day at one location (or with none): sales, refunds, points and
    cashback moved that day. Every column is a sum, so any range of days and any set of
    locations adds up. Kept by adding what each new row of the purchases, refunds, points
    ledger and cashback wallets brings (refresh.py).

    * Sales count on the day they occurred, at their location.
    * Refunds count on the day they were made, at their purchase's location.
    * Points and cashback count on the day of their entry, at the location of the
      purchase they come from; the others (bonuses, redemptions, expiry, adjustments)
      have no location. Movements between two merged records cancel out and are left out.
    """

    location = models.ForeignKey(
        "core.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    day = models.DateField()
    purchases = models.IntegerField(default=0)
    revenue = models.BigIntegerField(default=0, help_text="Sum of the purchases' amounts.")
    refunds = models.IntegerField(default=0)
    refunded = models.BigIntegerField(default=0, help_text="Sum of the refunds' amounts.")
    # Points, each column a positive number: in (+) or out (−) of members' balances.
    points_earned = models.BigIntegerField(default=0, help_text="+ earned by purchases")
    points_bonus = models.BigIntegerField(default=0, help_text="+ bonuses (join, birthday…)")
    points_adjusted_in = models.BigIntegerField(default=0, help_text="+ manual corrections")
    points_returned = models.BigIntegerField(default=0, help_text="+ voided redemptions")
    points_adjusted_out = models.BigIntegerField(default=0, help_text="− manual corrections")
    points_reversed = models.BigIntegerField(default=0, help_text="− taken back by refunds")
    points_redeemed = models.BigIntegerField(default=0, help_text="− spent on rewards")
    points_expired = models.BigIntegerField(default=0, help_text="− expired")
    # Cashback wallets (minor units), each column positive.
    cashback_earned = models.BigIntegerField(default=0, help_text="+ accrued on purchases")
    cashback_reversed = models.BigIntegerField(default=0, help_text="− taken back by refunds")
    cashback_converted = models.BigIntegerField(default=0, help_text="− turned into coupons")

    class Meta:
        constraints = _per_location("day", prefix="analytics_daily")
        indexes = [models.Index(fields=["merchant", "day"], name="analytics_daily_by_day")]

    def __str__(self) -> str:
        return f"{self.day} at {self.location_id or 'no location'}"


class EnrollmentDay(TenantModel):
    """Members who enrolled on a day, by where (their home location), how (channel) and
    who enrolled them. Recomputed from `MemberStats` for each day whose members change.
    A record merged into another is not counted: the member it was merged into is."""

    day = models.DateField()
    location = models.ForeignKey(
        "core.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=16)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    members = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["merchant", "day"], name="analytics_enroll_by_day")]

    def __str__(self) -> str:
        return f"{self.members} enrolled on {self.day} ({self.channel})"


class MemberStats(TenantModel):
    """One member's history in a row: enrollment, first and last purchase, totals. Makes
    active / at-risk / lapsed lists and lifetime figures an index scan instead of a pass
    over the purchases. Recomputed from the member's purchases whenever they change.

    `merged`: a duplicate record folded into another one; counted nowhere (its purchases
    moved to the survivor). Erased members still count: they bought and enrolled, their
    `erased_on` ends their membership from that day.
    """

    member = models.OneToOneField(
        "members.Member", on_delete=models.CASCADE, primary_key=True, related_name="analytics"
    )
    enrolled_at = models.DateTimeField()
    enrolled_on = models.DateField()
    cohort_month = models.DateField(help_text="The first day of the month of enrollment.")
    location = models.ForeignKey(
        "core.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=16)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    merged = models.BooleanField(default=False)
    erased_on = models.DateField(null=True, blank=True)
    purchases = models.IntegerField(default=0)
    spent = models.BigIntegerField(default=0, help_text="Sum of the purchases' amounts.")
    refunded = models.BigIntegerField(default=0)
    net_spent = models.BigIntegerField(default=0, help_text="spent − refunded")
    first_purchase_at = models.DateTimeField(null=True, blank=True)
    last_purchase_at = models.DateTimeField(null=True, blank=True)
    last_purchase_on = models.DateField(null=True, blank=True)
    last_seen_on = models.DateField(
        help_text="The day of the last purchase, or of enrollment when later (or no purchase)."
    )
    lifetime_days = models.IntegerField(
        null=True, blank=True, help_text="Days from the first purchase to the last."
    )
    # The days bought on as bits (daybits.py), for buyers of any range and past statuses.
    days_from = models.IntegerField(
        default=0, help_text="The first purchase's day as date.toordinal() (0: none)."
    )
    days = DayBitsField(
        default="", blank=True, help_text="From days_from on, 1 for each day with a purchase."
    )
    days_twice = DayBitsField(
        default="",
        blank=True,
        help_text="From days_from on, 1 for each day with purchases at two locations or more "
        "(two visits).",
    )
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "member stats"
        # The figures segments select on (apps/campaigns/expressions.py), each with the
        # member: a segment's count reads the members in a range from the index alone.
        indexes = [
            models.Index(
                fields=["merchant", "last_seen_on"],
                include=["member"],
                name="analytics_member_recency",
            ),
            models.Index(fields=["merchant", "enrolled_on"], name="analytics_member_enrolled"),
            models.Index(
                fields=["merchant", "last_purchase_on"],
                include=["member"],
                name="analytics_member_last_buy",
            ),
            models.Index(
                fields=["merchant", "purchases"], include=["member"], name="analytics_member_buys"
            ),
            models.Index(
                fields=["merchant", "spent"], include=["member"], name="analytics_member_spent"
            ),
        ]

    def __str__(self) -> str:
        return f"Stats of member {self.member_id}"


class MemberMonth(TenantModel):
    """What one member bought in one calendar month at one location: how many purchases,
    for how much, and on which days (`day_mask`: bit n−1 set when they bought on day n).

    The days make "bought between these two dates" exact for any range at the cost of a
    row per member, month and location: a visit is a day at a location, so a member who
    came on two days (or to two shops on one day) is a repeat buyer. Recomputed with the
    member's stats.
    """

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the month.")
    location = models.ForeignKey(
        "core.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    purchases = models.IntegerField()
    amount = models.BigIntegerField()
    day_mask = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "member",
                "month",
                "location",
                condition=Q(location__isnull=False),
                name="analytics_member_month_at_location",
            ),
            models.UniqueConstraint(
                "member",
                "month",
                condition=Q(location__isnull=True),
                name="analytics_member_month_no_location",
            ),
        ]
        indexes = [models.Index(fields=["merchant", "month"], name="analytics_member_month")]

    def __str__(self) -> str:
        return f"Member {self.member_id} in {self.month:%Y-%m}"


class MemberLocationDays(TenantModel):
    """The days one member bought on at one location (or with none), as bits
    (daybits.py): "bought there between two dates" and "on how many days" in one row per
    member and location, whatever the range. Recomputed with the member's stats."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(
        "core.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    days_from = models.IntegerField(help_text="The first day bought on, as date.toordinal().")
    days = DayBitsField(help_text="From days_from on, 1 for each day with a purchase there.")

    class Meta:
        verbose_name_plural = "member location days"
        constraints = [
            models.UniqueConstraint(
                "member",
                "location",
                condition=Q(location__isnull=False),
                name="analytics_member_days_at_location",
            ),
            models.UniqueConstraint(
                "member",
                condition=Q(location__isnull=True),
                name="analytics_member_days_no_location",
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "location"], name="analytics_member_days_where")
        ]

    def __str__(self) -> str:
        return f"Days of member {self.member_id} at {self.location_id or 'no location'}"


class CohortActivity(TenantModel):
    """How many members who enrolled in `cohort` (a month) at a home location bought
    anything in `month`: the cells of the cohort retention heatmap. Kept by adding each
    recomputed member's change."""

    location = models.ForeignKey(
        "core.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cohort = models.DateField(help_text="The first day of the month of enrollment.")
    month = models.DateField(help_text="The first day of the month of activity.")
    members = models.IntegerField()

    class Meta:
        verbose_name_plural = "cohort activity"
        constraints = _per_location("cohort", "month", prefix="analytics_cohort")

    def __str__(self) -> str:
        return f"{self.members} of cohort {self.cohort:%Y-%m} active in {self.month:%Y-%m}"


class AnalyticsCursor(models.Model):
    """How far the refresh has read one source table: every row with an id up to `high`
    has been added to the rollups, except the ids listed in `gaps` (refresh.py explains)."""

    source = models.CharField(max_length=32, primary_key=True)
    high = models.BigIntegerField(default=0)
    gaps = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.source} read up to {self.high} ({len(self.gaps)} gaps)"


class AnalyticsLease(models.Model):
    """Who may write the rollups now (lock_objects.py): one row, held by one run at a time
    until `expires_at`, which each of its transactions pushes on."""

    name = models.CharField(max_length=32, primary_key=True)
    holder = models.UUIDField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder} until {self.expires_at}"
