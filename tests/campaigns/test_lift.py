"""The lift report's statistics against published worked examples and hand computations.

Sources of the expected numbers:
* Wilson: Newcombe RG (1998a), Two-sided confidence intervals for the single proportion,
  Statistics in Medicine 17:857-872, Table I (method 3).
* Newcombe's difference: Newcombe RG (1998b), Interval estimation for the difference
  between independent proportions, Statistics in Medicine 17:873-890, Table II
  (method 10), examples (a), (b), (d), (e), (f).
* Welch and the sample sizes: computed by hand below, with the quantiles read from a t
  table and a normal table; and R's documented power.prop.test example.
"""

import json
import math

import pytest
from scipy import stats

from apps.campaigns.lift import (
    Group,
    Interval,
    incremental_revenue,
    lift_report,
    more_members_needed,
    needed_per_group,
    newcombe_difference,
    welch_difference,
    wilson_interval,
)

# --- Wilson ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_table_one(successes, n, low, high):
    interval = wilson_interval(successes=successes, n=n)

    assert interval == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))


def test_wilson_by_hand():
    # 81/263 at z = 1.959964: p = 0.307985, z^2 = 3.841459,
    # centre = (p + z^2 / 526) / (1 + z^2 / 263) = 0.315288 / 1.014606 = 0.310749,
    # half = z / 1.014606 * sqrt(p (1 - p) / 263 + z^2 / 276676) = 0.055461.
    low, high = wilson_interval(successes=81, n=263)

    assert low == pytest.approx(0.310749 - 0.055461, abs=2e-6)
    assert high == pytest.approx(0.310749 + 0.055461, abs=2e-6)


def test_wilson_bounds_are_exact_at_none_and_all():
    assert wilson_interval(successes=0, n=7)[0] == 0.0
    assert wilson_interval(successes=7, n=7)[1] == 1.0
    # All successes still leave room below: not a point, as Wald would give.
    assert wilson_interval(successes=7, n=7)[0] == pytest.approx(0.6457, abs=5e-5)


def test_wilson_without_data_is_the_whole_range():
    assert wilson_interval(successes=0, n=0) == (0.0, 1.0)


def test_wilson_a_wider_confidence_gives_a_wider_interval():
    low95, high95 = wilson_interval(successes=30, n=100)
    low99, high99 = wilson_interval(successes=30, n=100, confidence=0.99)

    assert low99 < low95 < 0.3 < high95 < high99


@pytest.mark.parametrize(("successes", "n"), [(-1, 5), (6, 5), (1, 0), (0, -1)])
def test_wilson_refuses_impossible_counts(successes, n):
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(successes=successes, n=n)


@pytest.mark.parametrize("confidence", [0, 1, 95])
def test_wilson_refuses_a_confidence_outside_zero_one(confidence):
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(successes=1, n=5, confidence=confidence)


# --- Newcombe ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("b1", "n1", "b2", "n2", "estimate", "low", "high"),
    [
        (56, 70, 48, 80, 0.2000, 0.0524, 0.3339),  # (a)
        (9, 10, 3, 10, 0.6000, 0.1705, 0.8090),  # (b)
        (5, 56, 0, 29, 0.0893, -0.0381, 0.1926),  # (d): no successes in one group
        (0, 10, 0, 20, 0.0000, -0.1611, 0.2775),  # (e): none in either
        (10, 10, 0, 20, 1.0000, 0.6791, 1.0000),  # (f): all against none
    ],
)
def test_newcombe_matches_table_two(b1, n1, b2, n2, estimate, low, high):
    interval = newcombe_difference(b1=b1, n1=n1, b2=b2, n2=n2)

    assert interval.estimate == pytest.approx(estimate, abs=5e-5)
    assert interval.low == pytest.approx(low, abs=5e-5)
    assert interval.high == pytest.approx(high, abs=5e-5)


def test_newcombe_by_hand_from_the_wilson_intervals():
    # 9/10 vs 3/10. Wilson: 9/10 -> (0.596, 0.982), 3/10 -> (0.108, 0.603) (to 3 places;
    # 0.5958499, 0.9821238 and 0.1077913, 0.6032219 to 7).
    # low  = 0.6 - sqrt((0.9 - 0.5958499)^2 + (0.6032219 - 0.3)^2)
    #      = 0.6 - sqrt(0.0925073 + 0.0919435) = 0.6 - 0.4294774 = 0.1705226
    # high = 0.6 + sqrt((0.9821238 - 0.9)^2 + (0.3 - 0.1077913)^2)
    #      = 0.6 + sqrt(0.0067443 + 0.0369442) = 0.6 + 0.2090180 = 0.8090180
    interval = newcombe_difference(b1=9, n1=10, b2=3, n2=10)

    assert interval.low == pytest.approx(0.1705226, abs=2e-6)
    assert interval.high == pytest.approx(0.8090180, abs=2e-6)


def test_newcombe_reaches_the_ends_exactly():
    assert newcombe_difference(b1=10, n1=10, b2=0, n2=20).high == 1.0
    assert newcombe_difference(b1=0, n1=20, b2=10, n2=10).low == -1.0


def test_newcombe_is_antisymmetric_in_the_groups():
    forward = newcombe_difference(b1=56, n1=70, b2=48, n2=80)
    backward = newcombe_difference(b1=48, n1=80, b2=56, n2=70)

    assert backward.estimate == pytest.approx(-forward.estimate)
    assert backward.low == pytest.approx(-forward.high)
    assert backward.high == pytest.approx(-forward.low)


def test_newcombe_without_members_in_a_group_says_no_data():
    assert newcombe_difference(b1=3, n1=10, b2=0, n2=0) is None
    assert newcombe_difference(b1=0, n1=0, b2=3, n2=10) is None


def test_newcombe_refuses_more_buyers_than_members():
    with pytest.raises(ValueError, match="successes"):
        newcombe_difference(b1=3, n1=0, b2=0, n2=10)


def test_an_interval_that_touches_zero_does_not_exclude_it():
    assert not Interval(estimate=0.1, low=0.0, high=0.2).excludes_zero()
    assert not Interval(estimate=-0.1, low=-0.2, high=0.0).excludes_zero()
    assert Interval(estimate=0.1, low=1e-9, high=0.2).excludes_zero()
    assert Interval(estimate=-0.1, low=-0.2, high=-1e-9).excludes_zero()


# --- Welch -------------------------------------------------------------------------------


def _sums(values):
    return sum(values), sum(v * v for v in values), len(values)


def _welch(treatment, holdout):
    sum1, squares1, n1 = _sums(treatment)
    sum2, squares2, n2 = _sums(holdout)
    return welch_difference(
        sum1=sum1, squares1=squares1, n1=n1, sum2=sum2, squares2=squares2, n2=n2
    )


def test_welch_by_hand_with_a_whole_number_of_degrees_of_freedom():
    # Treatment 0, 0, 0, 1000, 2000: mean 600, s^2 = (3 * 600^2 + 400^2 + 1400^2) / 4
    #   = 3 200 000 / 4 = 800 000.
    # Holdout 0, 0, 0, 0, 2000: mean 400, s^2 = (4 * 400^2 + 1600^2) / 4 = 800 000.
    # se^2 = 800 000 / 5 + 800 000 / 5 = 320 000; se = 565.685425.
    # df = 320 000^2 / (2 * 160 000^2 / 4) = 8; t(0.975, 8) = 2.306004 (t table).
    # d = 200, half-width = 2.306004 * 565.685425 = 1304.4729.
    interval = _welch([0, 0, 0, 1000, 2000], [0, 0, 0, 0, 2000])

    assert interval.estimate == 200
    assert interval.low == pytest.approx(200 - 1304.4729, abs=1e-3)
    assert interval.high == pytest.approx(200 + 1304.4729, abs=1e-3)


def test_welch_agrees_with_scipy_on_the_raw_values():
    # Unequal sizes and variances: df = 135 000^2 / (125 000^2 / 3 + 10 000^2 / 9)
    # = 3.4918, not a whole number, so the check is against scipy's own Welch test run on
    # the per-member values, which shares no code with the sums-and-squares path.
    treatment = [0, 0, 500, 1500]
    holdout = [0, 0, 0, 0, 0, 0, 1000, 0, 0, 0]
    expected = stats.ttest_ind(treatment, holdout, equal_var=False).confidence_interval(0.95)

    interval = _welch(treatment, holdout)

    assert interval.estimate == 400
    assert interval.low == pytest.approx(expected.low, rel=1e-9)
    assert interval.high == pytest.approx(expected.high, rel=1e-9)


def test_welch_is_exact_for_large_similar_amounts():
    # Amounts near 10^12 minor units that differ by a few units: in floats, squares near
    # 10^24 lose the spread entirely. Exact: both variances 1, df = 4,
    # t(0.975, 4) = 2.776445, half-width = 2.776445 * sqrt(1/3 + 1/3) = 2.266958.
    base = 10**12
    interval = _welch([base, base + 1, base + 2], [base + 1, base + 2, base + 3])

    assert interval.estimate == -1
    assert interval.low == pytest.approx(-1 - 2.266958, abs=1e-5)
    assert interval.high == pytest.approx(-1 + 2.266958, abs=1e-5)


def test_welch_with_no_spread_in_either_group_is_the_point():
    interval = _welch([0, 0, 0], [0, 0, 0, 0])
    assert interval == Interval(estimate=0, low=0, high=0)

    interval = _welch([500, 500], [200, 200, 200])
    assert interval == Interval(estimate=300, low=300, high=300)


def test_welch_with_no_spread_in_one_group_takes_the_other_groups_freedom():
    # Holdout all 0; treatment 0, 0, 0, 1000, 2000 has s^2 = 800 000 (above), so
    # se = sqrt(160 000) = 400, df = 4, t(0.975, 4) = 2.776445; half-width = 1110.578.
    interval = _welch([0, 0, 0, 1000, 2000], [0, 0, 0, 0, 0, 0])

    assert interval.low == pytest.approx(600 - 1110.578, abs=1e-3)
    assert interval.high == pytest.approx(600 + 1110.578, abs=1e-3)


@pytest.mark.parametrize(("treatment", "holdout"), [([5], [1, 2]), ([1, 2], [7]), ([], [1, 2])])
def test_welch_without_two_members_in_each_group_is_undefined(treatment, holdout):
    assert _welch(treatment, holdout) is None


def test_welch_refuses_sums_no_list_can_have():
    with pytest.raises(ValueError, match="squares"):
        welch_difference(sum1=10, squares1=20, n1=2, sum2=0, squares2=0, n2=2)


# --- sample size -------------------------------------------------------------------------


def test_needed_per_group_by_hand():
    # p1 = 0.12, p2 = 0.10, alpha 0.05 (z = 1.959964), power 0.8 (z = 0.841621):
    # mean 0.11, sqrt(2 * 0.11 * 0.89) = 0.442493, sqrt(0.12 * 0.88 + 0.10 * 0.90) = 0.442267
    # n = (1.959964 * 0.442493 + 0.841621 * 0.442267)^2 / 0.02^2
    #   = (0.867271 + 0.372222)^2 / 0.0004 = 1.536343 / 0.0004 = 3840.86, rounded up.
    assert needed_per_group(p1=0.12, p2=0.10) == 3841
    assert needed_per_group(p1=0.10, p2=0.12) == 3841


def test_needed_per_group_matches_rs_power_prop_test_example():
    # R's ?power.prop.test: power.prop.test(p1 = .50, p2 = .75, power = .90) => n = 76.7
    assert needed_per_group(p1=0.75, p2=0.50, power=0.9) == 77


def test_needed_per_group_grows_with_the_power_asked():
    assert needed_per_group(p1=0.12, p2=0.10, power=0.9) > needed_per_group(p1=0.12, p2=0.10)


def test_needed_per_group_without_a_difference_is_none():
    assert needed_per_group(p1=0.1, p2=0.1) is None
    assert needed_per_group(p1=0.0, p2=0.0) is None


def test_more_members_needed_by_hand():
    # The report of test_an_inconclusive_report_says_how_many_members_it_would_take:
    # 4,783 needed per group, 1,000 treated and 100 held out (a 10 % holdout). The holdout
    # is 4,683 short; at 1 held out in 11, that is 4,683 × 1,100 ÷ 100 = 51,513 more.
    assert more_members_needed(needed_per_group=4783, treatment=1000, holdout=100) == 51_513
    # Not a whole number: 7 short at 3 in 10 (30 % held out): 7 × 10 ÷ 3 = 23.3, so 24.
    assert more_members_needed(needed_per_group=10, treatment=7, holdout=3) == 24
    # Half and half: each group 50 short, 100 more members.
    assert more_members_needed(needed_per_group=250, treatment=200, holdout=200) == 100
    # Large enough already (the observed rates would then have shown): nothing more.
    assert more_members_needed(needed_per_group=80, treatment=900, holdout=100) == 0


def test_more_members_needed_counts_from_the_smaller_group():
    # A treatment group smaller than the holdout (all but 2 sends failed): it is short.
    assert more_members_needed(needed_per_group=5, treatment=2, holdout=3) == 8  # 3 × 5 ÷ 2


@pytest.mark.parametrize(("treatment", "holdout"), [(10, 0), (0, 10)])
def test_more_members_needed_needs_both_groups(treatment, holdout):
    with pytest.raises(ValueError, match="both groups"):
        more_members_needed(needed_per_group=100, treatment=treatment, holdout=holdout)


@pytest.mark.parametrize(
    "arguments",
    [
        {"p1": 1.2, "p2": 0.1},
        {"p1": 0.2, "p2": 0.1, "alpha": 0},
        {"p1": 0.2, "p2": 0.1, "power": 1},
    ],
)
def test_needed_per_group_refuses_values_outside_zero_one(arguments):
    with pytest.raises(ValueError, match="between 0 and 1"):
        needed_per_group(**arguments)


# --- the report --------------------------------------------------------------------------


def _group(revenues, members):
    """A group from its buyers' revenues; the other members bought nothing."""
    return Group(
        members=members,
        buyers=len(revenues),
        revenue=sum(revenues),
        revenue_squares=sum(r * r for r in revenues),
    )


def test_a_conclusive_report():
    # given Newcombe's example (a): 56 of 70 bought against 48 of 80
    treatment = _group([1000] * 56, 70)
    holdout = _group([1000] * 48, 80)

    # when
    report = lift_report(treatment=treatment, holdout=holdout, offer_cost=3000)

    # then the visit rate's interval excludes zero, and no size is suggested
    lift = report.lift
    assert report.has_holdout
    assert lift.conclusive
    assert lift.needed_per_group is None
    assert lift.visit_rate.difference == pytest.approx(0.2)
    assert lift.visit_rate.ci95.low == pytest.approx(0.0524, abs=5e-5)
    # revenue per member 800 against 600: 200 a member, times 70 members
    assert lift.revenue_per_member.difference == pytest.approx(200)
    assert lift.incremental_revenue == 14_000
    assert lift.roi == 11_000


def test_a_campaign_that_lowered_visits_is_conclusive_too():
    report = lift_report(
        treatment=_group([1000] * 48, 80), holdout=_group([1000] * 56, 70), offer_cost=0
    )

    assert report.lift.conclusive
    assert report.lift.visit_rate.ci95.high < 0
    assert report.lift.roi < 0


def test_an_inconclusive_report_says_how_many_members_it_would_take():
    # given 52 of 1000 treated members bought (2000 each), 4 of 100 held out (2500 each)
    treatment = _group([2000] * 52, 1000)
    holdout = _group([2500] * 4, 100)

    # when
    report = lift_report(treatment=treatment, holdout=holdout, offer_cost=6000)

    # then the visit-rate interval crosses zero
    lift = report.lift
    assert lift.visit_rate.ci95.low < 0 < lift.visit_rate.ci95.high
    assert not lift.conclusive
    # n for 0.052 against 0.040: mean 0.046, sqrt(2 * 0.046 * 0.954) = 0.296257,
    # sqrt(0.052 * 0.948 + 0.04 * 0.96) = 0.296135;
    # (1.959964 * 0.296257 + 0.841621 * 0.296135)^2 / 0.012^2 = 0.688712 / 0.000144 = 4782.7
    assert lift.needed_per_group == 4783
    # revenue per member 104 against 100: 4 a member, times 1000 members, less the offers
    assert lift.revenue_per_member.difference == pytest.approx(4.0)
    assert lift.incremental_revenue == 4000
    assert lift.roi == -2000


def test_groups_that_did_not_buy_at_all():
    report = lift_report(treatment=_group([], 100), holdout=_group([], 10), offer_cost=0)

    lift = report.lift
    assert not lift.conclusive
    assert lift.needed_per_group is None  # no difference to detect
    assert lift.revenue_per_member.to_dict() == {"difference": 0.0, "ci95": [0.0, 0.0]}
    assert lift.incremental_revenue == 0


def test_a_holdout_of_one_member_has_no_revenue_interval():
    report = lift_report(treatment=_group([300, 100], 4), holdout=_group([50], 1), offer_cost=0)

    assert report.lift.revenue_per_member.ci95 is None
    assert report.lift.revenue_per_member.difference == pytest.approx(50.0)
    assert report.lift.visit_rate.ci95 is not None


@pytest.mark.parametrize(
    ("treatment", "holdout", "expected"),
    [
        # (1000 * 2 - 1 * 3) / 2 = 998.5, half away from zero
        (_group([1000], 3), _group([1], 2), 999),
        # (1000 * 2 - 1001 * 3) / 2 = -501.5
        (_group([1000], 3), _group([1001], 2), -502),
        # (1000 * 3 - 1 * 3) / 3 = 999, exact
        (_group([1000], 3), _group([1], 3), 999),
    ],
)
def test_incremental_revenue_rounds_once_half_away_from_zero(treatment, holdout, expected):
    assert incremental_revenue(treatment=treatment, holdout=holdout) == expected


def test_without_a_holdout_no_lift_is_claimed():
    # given every member was sent the campaign
    treatment = _group([2000, 500], 10)
    holdout = Group(members=0, buyers=0, revenue=0, revenue_squares=0)

    # when
    report = lift_report(treatment=treatment, holdout=holdout, offer_cost=700)

    # then only the treatment's activity is shown
    assert not report.has_holdout
    assert report.lift is None
    assert report.to_dict() == {
        "treatment": {
            "members": 10,
            "buyers": 2,
            "visit_rate": 0.2,
            "revenue": 2500,
            "revenue_per_member": 250.0,
        },
        "holdout": {
            "members": 0,
            "buyers": 0,
            "visit_rate": None,
            "revenue": 0,
            "revenue_per_member": None,
        },
        "lift": None,
    }


def test_with_everyone_held_out_there_is_no_lift_either():
    report = lift_report(
        treatment=Group(members=0, buyers=0, revenue=0, revenue_squares=0),
        holdout=_group([100], 5),
        offer_cost=0,
    )

    assert report.has_holdout
    assert report.lift is None


def test_to_dict_is_plain_json():
    report = lift_report(
        treatment=_group([2000] * 52, 1000), holdout=_group([2500] * 4, 100), offer_cost=6000
    )

    data = json.loads(json.dumps(report.to_dict()))

    lift = data["lift"]
    assert set(lift) == {
        "visit_rate",
        "revenue_per_member",
        "incremental_revenue",
        "offer_cost",
        "roi",
        "conclusive",
        "needed_per_group",
    }
    low, high = lift["visit_rate"]["ci95"]
    assert low < lift["visit_rate"]["difference"] < high
    assert math.isclose(lift["visit_rate"]["difference"], 0.012)
    assert lift["offer_cost"] == 6000
    assert lift["conclusive"] is False
    assert data["holdout"]["visit_rate"] == 0.04


@pytest.mark.parametrize(
    "counts",
    [{"members": -1, "buyers": 0}, {"members": 3, "buyers": 4}, {"members": 3, "buyers": -1}],
)
def test_a_group_refuses_impossible_counts(counts):
    with pytest.raises(ValueError, match="buyers"):
        Group(**counts, revenue=0, revenue_squares=0)
