"""The statistics of a campaign's lift report: did the members sent the campaign buy more
than the members held out of it?

Pure arithmetic on counts and sums (no database, no models), so that every number in the
report can be checked by hand and tested against published worked examples. report.py
measures the two groups; this module compares them.

The choices, and why:

* Visit rate (the share of a group that bought at least once in the window) is the
  primary outcome, and its interval alone decides whether the lift is `conclusive`.
  Deciding on one outcome named in advance keeps us from looking at two intervals and
  reporting whichever one happens to clear zero; and revenue per member is heavy-tailed
  (a few large baskets), so its interval is the less trustworthy of the two at the group
  sizes a small business has.
* Proportions get Wilson score intervals, and their difference Newcombe's hybrid score
  interval (method 10 of Newcombe 1998), not the textbook Wald interval: campaign visit
  rates are often a few per cent, where Wald's coverage is poor and where, at 0 buyers,
  it collapses to a zero-width interval that claims certainty from no evidence.
* Revenue per member gets Welch's t interval: the holdout is usually much smaller than
  the treatment group and the variances differ, which is where the pooled (Student) t
  interval is wrong.
* A group arrives as sums (members, buyers, revenue and the sum of squared revenues), so
  the report needs one pass over the purchases and no list per member; variances are
  computed from those sums in exact integer arithmetic, because the float form
  `squares - sum**2 / n` cancels catastrophically when amounts are large and alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from apps.core.money import Rounding, divide


def _stats():
    """scipy.stats, imported when a report is computed: it takes about two seconds to
    import, which every process serving the URLs (web, workers) would pay at start."""
    from scipy import stats

    return stats


CI_LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """A point estimate and its confidence interval, `low <= estimate <= high`."""

    estimate: float
    low: float
    high: float

    def excludes_zero(self) -> bool:
        """True when zero is outside the interval; a bound that touches zero does not
        exclude it (a difference of exactly nothing is still among the plausible ones)."""
        return self.low > 0 or self.high < 0


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence!r}")


def _check_count(successes: int, n: int) -> None:
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, not {successes} of {n}")


def _z(confidence: float) -> float:
    """The two-sided normal quantile: 1.959964 for 95 %."""
    return float(_stats().norm.ppf(0.5 + confidence / 2))


def wilson_interval(*, successes: int, n: int, confidence: float = CI_LEVEL) -> tuple[float, float]:
    """Wilson's score interval for a proportion `successes / n`.

    It stays inside [0, 1] and keeps a useful width at 0 and at n successes, where the
    Wald interval shrinks to a point. The bounds at 0 and n successes are set to exactly
    0 and 1 (the formula gives them up to a rounding error), so that an interval built on
    them, such as Newcombe's, can reach -1 and 1 exactly.

    With n = 0 there is no evidence at all, and the answer is the whole range (0, 1):
    every proportion is consistent with no data.
    """
    _check_confidence(confidence)
    _check_count(successes, n)
    if n == 0:
        return 0.0, 1.0
    z = _z(confidence)
    p = successes / n
    shrink = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / shrink
    half = z / shrink * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low = 0.0 if successes == 0 else centre - half
    high = 1.0 if successes == n else centre + half
    return low, high


def newcombe_difference(
    *, b1: int, n1: int, b2: int, n2: int, confidence: float = CI_LEVEL
) -> Interval | None:
    """Newcombe's hybrid score interval for p1 - p2, where p1 = b1/n1 and p2 = b2/n2
    (method 10 of Newcombe 1998, Statistics in Medicine 17:873-890).

    Each bound moves from the observed difference by the two Wilson half-widths on the
    side that moves it, combined in quadrature: the lower bound uses how far p1 could be
    lower and p2 higher. Its coverage is close to the nominal level at small counts and
    at rates near 0 or 1, it needs no iteration, and it stays inside [-1, 1]. 0 and n
    successes need no special case: the Wilson intervals handle them.

    None when a group has no members: its rate, and so the difference, is undefined.
    """
    _check_confidence(confidence)
    _check_count(b1, n1)
    _check_count(b2, n2)
    if n1 == 0 or n2 == 0:
        return None
    low1, high1 = wilson_interval(successes=b1, n=n1, confidence=confidence)
    low2, high2 = wilson_interval(successes=b2, n=n2, confidence=confidence)
    p1, p2 = b1 / n1, b2 / n2
    difference = p1 - p2
    return Interval(
        estimate=difference,
        low=difference - math.hypot(p1 - low1, high2 - p2),
        high=difference + math.hypot(high1 - p1, p2 - low2),
    )


def _variance_numerator(total: int, squares: int, n: int) -> int:
    """n * sum(x^2) - sum(x)^2, which is n(n-1) times the sample variance. Exact on
    integers; negative only for sums that no list of numbers can have."""
    numerator = n * squares - total * total
    if numerator < 0:
        raise ValueError("the sum of squares is smaller than the sum allows")
    return numerator


def welch_difference(
    *,
    sum1: int,
    squares1: int,
    n1: int,
    sum2: int,
    squares2: int,
    n2: int,
    confidence: float = CI_LEVEL,
) -> Interval | None:
    """The difference of two means, group 1 (treatment) minus group 2 (holdout), with
    Welch's t interval: sample variances (n - 1), the Welch-Satterthwaite degrees of
    freedom. Each group is given as the sum of its values and the sum of their squares.

    Edge cases, chosen so that the report never shows a bound the data cannot support:

    * a group with fewer than 2 members: None. One value has no sample variance, so no
      interval can be computed (not even a degenerate one); the caller still has the
      difference of the means.
    * both groups without spread (every member spent the same, typically nothing): the
      interval is the point itself, (d, d, d). The standard error is zero, so any t
      quantile gives zero width; this is also the limit of Welch's interval as both
      variances shrink. The degrees of freedom are 0/0 there and are not computed.
    * one group without spread: no special case; the degrees of freedom are then those of
      the other group, n - 1, as the formula gives.
    """
    _check_confidence(confidence)
    if n1 < 2 or n2 < 2:
        return None
    # Exact rationals turned into floats at the last step: int / int rounds correctly.
    difference = (sum1 * n2 - sum2 * n1) / (n1 * n2)
    # The variance of each mean, s^2 / n = numerator / (n * n * (n - 1)).
    v1 = _variance_numerator(sum1, squares1, n1) / (n1 * n1 * (n1 - 1))
    v2 = _variance_numerator(sum2, squares2, n2) / (n2 * n2 * (n2 - 1))
    variance = v1 + v2
    if variance == 0:
        return Interval(estimate=difference, low=difference, high=difference)
    freedom = variance * variance / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    half = float(_stats().t.ppf(0.5 + confidence / 2, freedom)) * math.sqrt(variance)
    return Interval(estimate=difference, low=difference - half, high=difference + half)


def needed_per_group(
    *, p1: float, p2: float, alpha: float = 0.05, power: float = 0.8
) -> int | None:
    """Members needed in each of two equal groups for a two-sided test at `alpha` to
    detect a difference p1 - p2 with probability `power` (normal approximation, the
    variance under the null pooled at the mean rate: Fleiss, Levin & Paik, without the
    continuity correction; the formula of R's power.prop.test), rounded up.

    Given the observed rates of an inconclusive campaign, it says how large a test would
    have to be for a difference that size to show; the observed difference is itself
    uncertain, so this is a guide to the next test's size, not a promise.

    None when the difference is 0: no size detects a difference of nothing.
    """
    for name, value in (("alpha", alpha), ("power", power)):
        if not 0 < value < 1:
            raise ValueError(f"{name} must be between 0 and 1, not {value!r}")
    if not (0 <= p1 <= 1 and 0 <= p2 <= 1):
        raise ValueError(f"proportions must be between 0 and 1, not {p1!r} and {p2!r}")
    if p1 == p2:
        return None
    mean = (p1 + p2) / 2
    spread_null = math.sqrt(2 * mean * (1 - mean))
    spread_alternative = math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    z_alpha = float(_stats().norm.ppf(1 - alpha / 2))
    z_power = float(_stats().norm.ppf(power))
    root = z_alpha * spread_null + z_power * spread_alternative
    # A tiny tolerance so that a size that is whole up to float noise is not rounded up.
    return math.ceil(root * root / ((p1 - p2) ** 2) - 1e-9)


def more_members_needed(*, needed_per_group: int, treatment: int, holdout: int) -> int:
    """How many more members a test split as this one was (`treatment` and `holdout`
    members) needs for its smaller group to reach `needed_per_group`: the "800 more
    members needed" of an inconclusive report. The smaller group is the holdout (at most
    half), so this is ceil(max(0, needed − holdout) × (treatment + holdout) ÷ holdout),
    in exact integer arithmetic."""
    smaller = min(treatment, holdout)
    if smaller <= 0:
        raise ValueError(f"need members in both groups, not {treatment} and {holdout}")
    short = max(0, needed_per_group - smaller)
    return -(-short * (treatment + holdout) // smaller)


@dataclass(frozen=True)
class Group:
    """What report.py measures of a group over the attribution window: its members, the
    members who bought at least once, and their revenue in minor units as the sum and
    the sum of squares over every member (those who bought nothing count as 0)."""

    members: int
    buyers: int
    revenue: int
    revenue_squares: int

    def __post_init__(self):
        if self.members < 0 or not 0 <= self.buyers <= self.members:
            raise ValueError(f"need 0 <= buyers <= members, not {self.buyers} of {self.members}")
        if self.revenue_squares < 0:
            raise ValueError("a sum of squares cannot be negative")


@dataclass(frozen=True)
class Activity:
    """A group's side of the report. Rates are None for a group without members."""

    members: int
    buyers: int
    visit_rate: float | None
    revenue: int
    revenue_per_member: float | None

    def to_dict(self) -> dict:
        return {
            "members": self.members,
            "buyers": self.buyers,
            "visit_rate": self.visit_rate,
            "revenue": self.revenue,
            "revenue_per_member": self.revenue_per_member,
        }


@dataclass(frozen=True)
class Difference:
    """Treatment minus holdout, with its 95 % interval; `ci95` is None when the groups
    are too small to give one (Welch with a group of one member)."""

    difference: float
    ci95: Interval | None

    def to_dict(self) -> dict:
        bounds = [self.ci95.low, self.ci95.high] if self.ci95 else None
        return {"difference": self.difference, "ci95": bounds}


@dataclass(frozen=True)
class Lift:
    """What the campaign changed. `conclusive` is decided by the visit rate's interval
    alone (see the module's docstring): True when it excludes zero, either way, so a
    campaign that conclusively lowered visits is conclusive too. `needed_per_group` is
    given only when the result is inconclusive and the rates differ."""

    visit_rate: Difference
    revenue_per_member: Difference
    incremental_revenue: int
    offer_cost: int
    roi: int
    conclusive: bool
    needed_per_group: int | None

    def to_dict(self) -> dict:
        return {
            "visit_rate": self.visit_rate.to_dict(),
            "revenue_per_member": self.revenue_per_member.to_dict(),
            "incremental_revenue": self.incremental_revenue,
            "offer_cost": self.offer_cost,
            "roi": self.roi,
            "conclusive": self.conclusive,
            "needed_per_group": self.needed_per_group,
        }


@dataclass(frozen=True)
class LiftReport:
    """Both groups' activity and the lift between them. Without holdout members
    (`has_holdout` False) there is nothing to compare against: `lift` is None, and the
    report shows only what the treatment group did, which is not evidence of an effect."""

    treatment: Activity
    holdout: Activity
    has_holdout: bool
    lift: Lift | None

    def to_dict(self) -> dict:
        """Plain JSON values for the API. Floats are not rounded: the client formats."""
        return {
            "treatment": self.treatment.to_dict(),
            "holdout": self.holdout.to_dict(),
            "lift": self.lift.to_dict() if self.lift else None,
        }


def _activity(group: Group) -> Activity:
    members = group.members
    return Activity(
        members=members,
        buyers=group.buyers,
        visit_rate=group.buyers / members if members else None,
        revenue=group.revenue,
        revenue_per_member=group.revenue / members if members else None,
    )


def incremental_revenue(*, treatment: Group, holdout: Group) -> int:
    """The revenue per member difference times the treatment's members, in minor units:
    what the treatment group spent beyond what it would have at the holdout's rate.

    Computed exactly, as (R_t * n_h - R_h * n_t) / n_h, and rounded once, half away
    from zero (`Rounding.HALF_UP`, the shop-floor rule), to a whole minor unit.
    """
    return divide(
        treatment.revenue * holdout.members - holdout.revenue * treatment.members,
        holdout.members,
        rounding=Rounding.HALF_UP,
    )


def _lift(treatment: Group, holdout: Group, offer_cost: int) -> Lift:
    visits = newcombe_difference(
        b1=treatment.buyers, n1=treatment.members, b2=holdout.buyers, n2=holdout.members
    )
    revenue = welch_difference(
        sum1=treatment.revenue,
        squares1=treatment.revenue_squares,
        n1=treatment.members,
        sum2=holdout.revenue,
        squares2=holdout.revenue_squares,
        n2=holdout.members,
    )
    per_member = (treatment.revenue * holdout.members - holdout.revenue * treatment.members) / (
        treatment.members * holdout.members
    )
    conclusive = visits.excludes_zero()
    needed = None
    if not conclusive:
        needed = needed_per_group(
            p1=treatment.buyers / treatment.members, p2=holdout.buyers / holdout.members
        )
    extra = incremental_revenue(treatment=treatment, holdout=holdout)
    return Lift(
        visit_rate=Difference(difference=visits.estimate, ci95=visits),
        revenue_per_member=Difference(difference=per_member, ci95=revenue),
        incremental_revenue=extra,
        offer_cost=offer_cost,
        roi=extra - offer_cost,
        conclusive=conclusive,
        needed_per_group=needed,
    )


def lift_report(*, treatment: Group, holdout: Group, offer_cost: int) -> LiftReport:
    """The campaign's report: each group's activity, and the lift when there is a
    holdout to compare with. A campaign whose treatment group is empty (all held out)
    has no lift either: there is nothing treated to measure."""
    has_holdout = holdout.members > 0
    lift = None
    if has_holdout and treatment.members > 0:
        lift = _lift(treatment, holdout, offer_cost)
    return LiftReport(
        treatment=_activity(treatment),
        holdout=_activity(holdout),
        has_holdout=has_holdout,
        lift=lift,
    )
