"""`rules_check` refuses every rule it cannot use with `RulesInvalid`, naming the first bad
part by its path (`all.2.value`) and the form field `rules.<path>`: anything else could
reach the compiler, which trusts what it is given."""

import pytest

from apps.campaigns.rules import (
    MAX_CONDITIONS,
    MAX_DEPTH,
    Group,
    RulesInvalid,
    rules_check,
)
from apps.campaigns.segment_terms import Condition
from tests.core.factories import LocationFactory
from tests.tiers.factories import set_up_tiers

pytestmark = pytest.mark.django_db

VIP = {"field": "tag", "op": "is", "value": "vip"}
BUYER = {"field": "purchase_count", "op": "gte", "value": 1}


def refusal_of(rules, merchant) -> RulesInvalid:
    with pytest.raises(RulesInvalid) as raised:
        rules_check(rules=rules, merchant=merchant)
    return raised.value


def assert_refused_at(rules, merchant, path: str) -> RulesInvalid:
    error = refusal_of(rules, merchant)
    assert error.path == path
    assert error.field == ("rules." + path if path else "rules")
    assert error.code == "invalid_rules"
    assert error.message.startswith(f"{error.field}: ")
    return error


def condition(field: str, op: str, value, **more) -> dict:
    return {"field": field, "op": op, "value": value, **more}


def nested(depth: int, kind: str = "all") -> dict:
    """`depth` groups, one inside the other, around one condition."""
    rules = VIP
    for _level in range(depth):
        rules = {"not": rules} if kind == "not" else {kind: [rules]}
    return rules


# The shape of the tree -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "path"),
    [
        ([], ""),
        ("all", ""),
        (None, ""),
        (7, ""),
        ({"all": [VIP, BUYER, 5]}, "all.2"),
        ({"any": [VIP, ["vip"]]}, "any.1"),
        ({"not": "vip"}, "not"),
        ({"not": [VIP]}, "not"),
        ({"any": [VIP, {"all": [BUYER, None]}]}, "any.1.all.1"),
    ],
)
def test_a_rule_that_is_not_an_object_is_refused(team, rules, path):
    error = assert_refused_at(rules, team.merchant, path)

    assert "object" in error.problem


@pytest.mark.parametrize(
    ("rules", "path"),
    [
        ({"all": [], "any": []}, ""),
        ({"all": [VIP], "not": BUYER}, ""),
        ({"any": [VIP], "field": "tag"}, ""),
        ({"not": VIP, "op": "is"}, ""),
        ({"all": [VIP, {"any": [], "not": VIP}]}, "all.1"),
    ],
)
def test_a_group_with_another_key_is_refused(team, rules, path):
    error = assert_refused_at(rules, team.merchant, path)

    assert "one key" in error.problem


@pytest.mark.parametrize(
    ("rules", "path"),
    [
        ({"all": VIP}, "all"),
        ({"any": "vip"}, "any"),
        ({"all": {"0": VIP}}, "all"),
        ({"not": {"any": None}}, "not.any"),
        ({"all": [VIP, {"any": 3}]}, "all.1.any"),
    ],
)
def test_a_group_that_is_not_a_list_is_refused(team, rules, path):
    error = assert_refused_at(rules, team.merchant, path)

    assert "list" in error.problem


def test_an_empty_group_is_a_group():
    # Not refused: `all` of nothing is everyone, `any` of nothing nobody.
    assert rules_check(rules={"all": []}, merchant=None) == Group("all", ())
    assert rules_check(rules={"any": []}, merchant=None) == Group("any", ())


def test_groups_nest_five_deep_and_no_deeper(team):
    for kind in ("all", "any", "not"):
        tree = rules_check(rules=nested(MAX_DEPTH, kind), merchant=team.merchant)
        for _level in range(MAX_DEPTH):
            assert isinstance(tree, Group)
            tree = tree.children[0]
        assert tree == Condition("tag", "is", "vip")

    assert_refused_at(nested(MAX_DEPTH + 1), team.merchant, ".".join(["all.0"] * MAX_DEPTH))
    assert_refused_at(nested(MAX_DEPTH + 1, "not"), team.merchant, ".".join(["not"] * MAX_DEPTH))
    error = assert_refused_at(nested(50, "any"), team.merchant, ".".join(["any.0"] * MAX_DEPTH))
    assert "5" in error.problem


def test_at_most_fifty_conditions(team):
    fifty = [VIP] * MAX_CONDITIONS
    assert len(rules_check(rules={"all": fifty}, merchant=team.merchant).children) == 50
    spread = {"all": [{"any": fifty[:25]}, {"not": {"all": fifty[25:]}}]}
    rules_check(rules=spread, merchant=team.merchant)

    # One group of 51, refused at the group before its rules are read.
    assert_refused_at({"all": [*fifty, 5]}, team.merchant, "all")
    assert_refused_at({"not": {"any": [*fifty, VIP]}}, team.merchant, "not.any")
    # 51 over several groups, each small enough: refused as a whole, at the root.
    spread = {"all": [{"any": fifty[:26]}, {"not": {"all": fifty[25:]}}]}
    error = assert_refused_at(spread, team.merchant, "")
    assert "50" in error.problem


# Conditions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "path"),
    [
        (condition("password", "is", "x"), "field"),
        (condition("Tag", "is", "vip"), "field"),
        (condition("analytics__spent", "gte", 1), "field"),
        (condition(["tag"], "is", "vip"), "field"),
        (condition({"tag": 1}, "is", "vip"), "field"),
        (condition(None, "is", "vip"), "field"),
        ({"op": "is", "value": "vip"}, "field"),
        ({"not": condition("nope", "is", 1)}, "not.field"),
        ({"all": [VIP, {"any": [BUYER, condition("pk", "is", 1)]}]}, "all.1.any.1.field"),
    ],
)
def test_an_unknown_field_is_refused(team, rules, path):
    error = assert_refused_at(rules, team.merchant, path)

    assert "No such field" in error.problem


@pytest.mark.parametrize(
    ("rules", "path"),
    [
        (condition("status", "gte", "active"), "op"),
        (condition("status", "between", ["new", "active"]), "op"),
        (condition("consent_email", "between", [False, True]), "op"),
        (condition("consent_email", "is_not", True), "op"),
        (condition("has_phone", "in", [True]), "op"),
        (condition("tag", "lte", "vip"), "op"),
        (condition("tier", "gte", 1), "op"),
        (condition("purchase_count", "contains", 1), "op"),
        (condition("purchase_count", "IS", 1), "op"),
        (condition("purchase_count", ["is"], 1), "op"),
        (condition("purchase_count", None, 1), "op"),
        ({"field": "purchase_count", "value": 1}, "op"),
        ({"any": [VIP, {"all": [BUYER, condition("language", "gt", "es")]}]}, "any.1.all.1.op"),
    ],
)
def test_an_operator_that_does_not_fit_the_field_is_refused(team, rules, path):
    error = assert_refused_at(rules, team.merchant, path)

    assert "operators" in error.problem


@pytest.mark.parametrize(
    "rules",
    [
        {"field": "tag", "op": "is"},
        {"field": "consent_sms", "op": "is", "within_days": 3},
    ],
)
def test_a_condition_without_a_value_is_refused(team, rules):
    error = assert_refused_at(rules, team.merchant, "value")

    assert "value" in error.problem


@pytest.mark.parametrize(
    ("rules", "path"),
    [
        ({**VIP, "days": 3}, "days"),
        ({**VIP, "Field": "tag"}, "Field"),
        ({**VIP, "values": ["a"]}, "values"),
        ({"all": [BUYER, {**BUYER, "within": 7}]}, "all.1.within"),
        # An unknown key is reported before anything else is read.
        ({"field": "nope", "op": "nope", "zz": 1, "aa": 2}, "aa"),
    ],
)
def test_an_unknown_key_in_a_condition_is_refused(team, rules, path):
    error = assert_refused_at(rules, team.merchant, path)

    assert "no such key" in error.problem


# Values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "path"),
    [
        # Numbers: whole numbers, never a string, a float or a boolean (True is not 1).
        (condition("purchase_count", "is", "3"), "value"),
        (condition("purchase_count", "gte", 2.0), "value"),
        (condition("purchase_count", "gte", True), "value"),
        (condition("points_balance", "lte", False), "value"),
        (condition("purchase_count", "is", None), "value"),
        (condition("purchase_count", "is", [3]), "value"),
        (condition("total_spent", "is", {"amount": 3}), "value"),
        # Choices: one of the values, not a list or an object where one is expected.
        (condition("status", "is", "gone"), "value"),
        (condition("status", "is", "Active"), "value"),
        (condition("status", "is", ["new"]), "value"),
        (condition("status", "is_not", {"new": True}), "value"),
        (condition("status", "in", [["new"]]), "value.0"),
        (condition("status", "in", ["new", {"x": 1}]), "value.1"),
        (condition("enrollment_channel", "is", "shop"), "value"),
        (condition("enrollment_channel", "is", True), "value"),
        (condition("language", "is", "fr"), "value"),
        (condition("language", "is", ""), "value"),
        (condition("language", "is", ["es"]), "value"),
        (condition("location", "is", [1]), "value"),
        (condition("location", "is", {}), "value"),
        (condition("tier", "is", None), "value"),
        (condition("tier", "in", [[1]]), "value.0"),
        # Booleans: true or false only.
        (condition("consent_email", "is", 1), "value"),
        (condition("consent_email", "is", "true"), "value"),
        (condition("birthday_this_month", "is", None), "value"),
        (condition("has_email", "is", [True]), "value"),
        # Tags: a name of 1 to 40 characters.
        (condition("tag", "is", 5), "value"),
        (condition("tag", "is", ""), "value"),
        (condition("tag", "is", "x" * 41), "value"),
        (condition("tag", "is", ["vip"]), "value"),
        (condition("tag", "in", ["vip", None]), "value.1"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(team, rules, path):
    assert_refused_at(rules, team.merchant, path)


@pytest.mark.parametrize(
    ("rules", "path"),
    [
        (condition("birthday_month", "is", 13), "value"),
        (condition("birthday_month", "is", 0), "value"),
        (condition("days_since_last_purchase", "lte", 36_501), "value"),
        (condition("enrolled_days_ago", "gte", -1), "value"),
        (condition("points_expiring_within_days", "lte", 36_501), "value"),
        (condition("purchase_count", "gte", -1), "value"),
        (condition("purchase_count", "gte", 10**9 + 1), "value"),
        (condition("total_spent", "gte", 10**13 + 1), "value"),
        (condition("average_order", "lte", -5), "value"),
        (condition("points_balance", "gte", -(10**9) - 1), "value"),
        (condition("referrals_made", "gte", 10**6 + 1), "value"),
        (condition("recency_score", "is", 0), "value"),
        (condition("frequency_score", "is", 6), "value"),
        (condition("monetary_score", "in", [1, 6]), "value.1"),
        (condition("top_spend_percent", "lte", 0), "value"),
        (condition("top_spend_percent", "lte", 101), "value"),
        (condition("recency_score", "between", [0, 5]), "value.0"),
        (condition("recency_score", "between", [1, 6]), "value.1"),
    ],
)
def test_a_number_out_of_range_is_refused(team, rules, path):
    error = assert_refused_at(rules, team.merchant, path)

    assert "whole number" in error.problem


def test_the_ends_of_the_ranges_are_accepted(team):
    for rules in [
        condition("birthday_month", "between", [1, 12]),
        condition("days_since_last_purchase", "is", 36_500),
        condition("points_balance", "between", [-(10**9), 10**9]),
        condition("total_spent", "lte", 10**13),
        condition("recency_score", "in", [1, 5]),
        condition("top_spend_percent", "is", 100),
    ]:
        assert rules_check(rules=rules, merchant=team.merchant) == Condition(
            rules["field"], rules["op"], rules["value"]
        )


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ([1], "value"),
        ([1, 2, 3], "value"),
        ([], "value"),
        (5, "value"),
        ({"from": 1, "to": 2}, "value"),
        ("1,2", "value"),
        ([5, 2], "value"),
        ([1, "2"], "value.1"),
        ([True, 3], "value.0"),
        ([1, None], "value.1"),
    ],
)
def test_between_takes_two_numbers_the_smaller_first(team, value, path):
    assert_refused_at(condition("purchase_count", "between", value), team.merchant, path)


def test_between_accepts_equal_ends(team):
    checked = rules_check(rules=condition("purchase_count", "between", [3, 3]), merchant=None)

    assert checked.value == [3, 3]


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ([], "value"),
        (list(range(101)), "value"),
        (3, "value"),
        ({"0": 3}, "value"),
        ("3", "value"),
        ([1, 2, "3"], "value.2"),
        ([1, False], "value.1"),
        ([1, 2, 13], "value.2"),
    ],
)
def test_in_takes_one_to_a_hundred_values(team, value, path):
    assert_refused_at(condition("birthday_month", "in", value), team.merchant, path)


def test_in_accepts_a_hundred_values(team):
    checked = rules_check(rules=condition("purchase_count", "in", list(range(100))), merchant=None)

    assert checked.value == list(range(100))


@pytest.mark.parametrize(
    ("rules", "path"),
    [
        (condition("days_since_last_purchase", "lte", 3, within_days=7), "within_days"),
        (condition("tag", "is", "vip", within_days=7), "within_days"),
        (condition("purchase_count", "gte", 1, within_days=0), "within_days"),
        (condition("purchase_count", "gte", 1, within_days=-7), "within_days"),
        (condition("total_spent", "gte", 1, within_days=3651), "within_days"),
        (condition("total_spent", "gte", 1, within_days=True), "within_days"),
        (condition("total_spent", "gte", 1, within_days="7"), "within_days"),
        (condition("total_spent", "gte", 1, within_days=7.0), "within_days"),
        (
            {"not": {"any": [condition("purchase_count", "is", 0, within_days=[7])]}},
            "not.any.0.within_days",
        ),
    ],
)
def test_within_days_only_on_windowed_fields_and_from_1_to_3650(team, rules, path):
    error = assert_refused_at(rules, team.merchant, path)

    assert "days" in error.problem


def test_within_days_accepts_1_to_3650_on_purchases_and_spend(team):
    for field, days in [("purchase_count", 1), ("total_spent", 3650)]:
        rules = condition(field, "gte", 1, within_days=days)
        assert rules_check(rules=rules, merchant=team.merchant) == Condition(field, "gte", 1, days)


def test_the_first_bad_part_is_the_one_named(team):
    rules = {
        "all": [
            VIP,
            {"any": [BUYER, condition("tag", "is", "")]},
            condition("status", "is", "gone"),
        ]
    }

    assert_refused_at(rules, team.merchant, "all.1.any.1.value")


# Another merchant's ids ------------------------------------------------------------------


def test_a_tier_of_another_merchant_is_refused(team, other_team):
    mine, theirs = set_up_tiers(team)["Gold"], set_up_tiers(other_team)["Gold"]

    accepted = rules_check(rules=condition("tier", "is", mine.pk), merchant=team.merchant)
    assert accepted.value == mine.pk
    for rules, path in [
        (condition("tier", "is", theirs.pk), "value"),
        (condition("tier", "is_not", theirs.pk), "value"),
        ({"not": condition("tier", "in", [mine.pk, theirs.pk])}, "not.value.1"),
    ]:
        error = assert_refused_at(rules, team.merchant, path)
        assert error.problem == "No tier with this id."


def test_a_tier_id_is_a_number_not_its_text_or_a_float(team):
    gold = set_up_tiers(team)["Gold"]

    for value in [str(gold.pk), float(gold.pk), True, "Gold"]:
        error = assert_refused_at(condition("tier", "is", value), team.merchant, "value")
        assert error.problem == "No tier with this id."


def test_a_location_of_another_merchant_is_refused(team, other_team):
    mine, theirs = team.merchant_location, LocationFactory(merchant=other_team.merchant)

    accepted = rules_check(rules=condition("location", "in", [mine.pk]), merchant=team.merchant)
    assert accepted.value == [mine.pk]
    for rules, path in [
        (condition("location", "is", theirs.pk), "value"),
        (condition("location", "is", other_team.merchant_location.pk), "value"),
        ({"any": [VIP, condition("location", "in", [mine.pk, theirs.pk])]}, "any.1.value.1"),
    ]:
        error = assert_refused_at(rules, team.merchant, path)
        assert error.problem == "No location with this id."


# What is accepted ------------------------------------------------------------------------


def test_checked_rules_come_back_as_a_tree(team):
    gold = set_up_tiers(team)["Gold"]
    rules = {
        "all": [
            condition("status", "in", ["active", "at_risk"]),
            {"not": condition("tier", "is", gold.pk)},
            {
                "any": [
                    condition("total_spent", "between", [1000, 5000], within_days=30),
                    condition("consent_email", "is", True),
                ]
            },
        ]
    }

    tree = rules_check(rules=rules, merchant=team.merchant)

    assert tree == Group(
        "all",
        (
            Condition("status", "in", ["active", "at_risk"]),
            Group("not", (Condition("tier", "is", gold.pk),)),
            Group(
                "any",
                (
                    Condition("total_spent", "between", [1000, 5000], 30),
                    Condition("consent_email", "is", True),
                ),
            ),
        ),
    )
