"""Whatever the rules, `segment_members` (one SQL query) selects exactly the members a plain
Python reading of the same rules over the same rows selects (tests/campaigns/evaluator.py),
on PostgreSQL, for a merchant whose members have varied histories
(tests/campaigns/population.py): every field with every operator at the data's boundaries,
alone and negated, then random trees of all / any / not."""

from dataclasses import dataclass

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from apps.campaigns.ranks import compute_rank_cuts, cut_positions
from apps.campaigns.segment_fields import FIELDS
from apps.campaigns.segment_terms import OPS, Kind
from apps.campaigns.selectors import segment_members
from apps.members.models import Channel
from apps.programs.points.models import Lot
from tests.campaigns.evaluator import World, cut_points, holds, number, statuses, world_of
from tests.campaigns.population import (
    AT_RISK_DAYS,
    LAPSED_DAYS,
    NOW,
    TAGS,
    TODAY,
    Population,
    build_population,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

MAX_GROUP_DEPTH = 4
STATUSES = ["new", "active", "at_risk", "lapsed"]
SCORES = ("recency_score", "frequency_score", "monetary_score", "top_spend_percent")


@pytest.fixture
def frozen_now(monkeypatch):
    """The services stamp "now", and the segments read "today", from `timezone.now()`."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def population(team, other_team, frozen_now) -> Population:
    return build_population(team, other_team)


@pytest.fixture
def world(population) -> World:
    return world_of(
        merchant=population.merchant,
        now=NOW,
        late=population.late,
        at_risk_days=AT_RISK_DAYS,
        lapsed_days=LAPSED_DAYS,
    )


def selected(population: Population, rules) -> set[int]:
    members = segment_members(merchant=population.merchant, rules=rules)
    return set(members.values_list("pk", flat=True))


def expected(world: World, rules) -> set[int]:
    return {facts.pk for facts in world.members if holds(rules, facts, world)}


def _explain(world: World, rules, found: set[int], wanted: set[int]) -> str:
    lines = [f"rules: {rules}", f"today: {world.today}"]
    for facts in world.members:
        if facts.pk in found ^ wanted:
            where = "only in SQL" if facts.pk in found else "only in Python"
            lines.append(f"{where}: {facts}")
    return "\n".join(lines)


# The values conditions take: near the data's own ---------------------------------------------


def _near(figures, low: int, high: int) -> list[int]:
    """Each figure and its neighbours, within the field's range: the boundaries."""
    near = {figure + step for figure in figures for step in (-1, 0, 1)} | {low}
    return sorted(value for value in near if low <= value <= high)


def _tag_spellings() -> list[str]:
    """Each tag as typed and in capitals; where changing the case changes nothing else (not
    "İ", which lower-cases to two characters in Python), in small letters and swapped too;
    and a tag nobody has."""
    spellings = ["ghost"]
    for name in TAGS:
        spellings += [name, name.upper()]
        if all(len(letter.lower()) == 1 for letter in name):
            spellings += [name.lower(), name.swapcase()]
    return spellings


@dataclass
class Vocabulary:
    """The values worth trying on each field, for this population."""

    choices: dict[str, list]
    numbers: dict[str, list[int]]
    windows: list[int]  # within_days that just leave out, or just take in, a purchase's day

    def __repr__(self) -> str:  # Hypothesis prints the test's arguments
        return "Vocabulary()"

    @classmethod
    def of(cls, population: Population, world: World) -> "Vocabulary":
        ages = {(world.today - day).days for f in world.members for day, _a in f.purchase_days}
        windows = {age + step for age in ages for step in (0, 1)} | {1, 3650}
        vocabulary = cls(
            choices={
                "status": STATUSES,
                "tier": [tier.pk for tier in population.tiers.values()],
                "location": [location.pk for location in population.locations],
                "enrollment_channel": list(Channel.values),
                "language": ["es", "ro", "en"],
                "tag": _tag_spellings(),
            },
            numbers={},
            windows=sorted(days for days in windows if 1 <= days <= 3650),
        )
        for name, spec in FIELDS.items():
            if spec.kind != Kind.NUMBER:
                continue
            figures = [number(name, facts, world) for facts in world.members]
            if spec.windowed:
                figures += [
                    number(name, facts, world, days)
                    for facts in world.members
                    for days in vocabulary.windows
                ]
            if spec.maximum - spec.minimum < 20:  # birthday months, scores: every value
                figures = range(spec.minimum, spec.maximum + 1)
            known = [figure for figure in figures if figure is not None]
            vocabulary.numbers[name] = _near(known, spec.minimum, spec.maximum)
        return vocabulary


@pytest.fixture
def vocabulary(population, world) -> Vocabulary:
    return Vocabulary.of(population, world)


# Every field, every operator, alone and negated --------------------------------------------


def _spread(values: list, count: int) -> list:
    """About `count` of the values, from the first to the last."""
    step = max(1, len(values) // count)
    return sorted(set(values[::step]) | {values[-1]})


def single_conditions(vocabulary: Vocabulary) -> list[dict]:
    conditions = []
    for name, spec in FIELDS.items():
        ops = OPS[spec.kind]
        if spec.kind == Kind.BOOLEAN:
            conditions += [{"field": name, "op": "is", "value": value} for value in (True, False)]
            continue
        if spec.kind != Kind.NUMBER:
            values = vocabulary.choices[name]
            conditions += [
                {"field": name, "op": op, "value": value}
                for op in ("is", "is_not")
                for value in values
            ]
            conditions += [{"field": name, "op": "in", "value": values[:2]}]
            continue
        values = _spread(vocabulary.numbers[name], 8)
        windows = [None, *_spread(vocabulary.windows, 4)] if spec.windowed else [None]
        for within_days in windows:
            window = {"within_days": within_days} if within_days else {}
            some = values if within_days is None else _spread(values, 3)
            conditions += [
                {"field": name, "op": op, "value": value, **window}
                for op in ops
                if op not in ("in", "between")
                for value in some
            ]
            conditions += [
                {"field": name, "op": "in", "value": some[::2], **window},
                {"field": name, "op": "between", "value": [some[1], some[-2]], **window},
                {"field": name, "op": "between", "value": [some[2], some[2]], **window},
            ]
    return conditions


def test_every_field_and_operator_alone_and_negated(population, world, vocabulary):
    conditions = single_conditions(vocabulary)
    assert {condition["field"] for condition in conditions} == set(FIELDS)

    wrong = []
    for condition in conditions:
        for rules in (condition, {"not": condition}):
            found, wanted = selected(population, rules), expected(world, rules)
            if found != wanted:
                wrong.append(_explain(world, rules, found, wanted))

    assert not wrong, "\n\n".join(wrong[:5]) + f"\n\n({len(wrong)} rules disagree)"


# Random trees ----------------------------------------------------------------------------


def _op_and_value(op_names, one: st.SearchStrategy) -> st.SearchStrategy:
    singles = [op for op in op_names if op in ("is", "is_not", "gte", "lte")]
    parts = [
        st.tuples(st.sampled_from(singles), one),
        st.tuples(st.just("in"), st.lists(one, min_size=1, max_size=4)),
    ]
    if "between" in op_names:
        parts.append(
            st.tuples(st.just("between"), st.lists(one, min_size=2, max_size=2).map(sorted))
        )
    return st.one_of(parts)


def _condition(name: str, op_value: st.SearchStrategy, windows=None) -> st.SearchStrategy:
    def build(pair, within_days=None):
        condition = {"field": name, "op": pair[0], "value": pair[1]}
        return condition | ({"within_days": within_days} if within_days else {})

    if not windows:
        return op_value.map(build)
    return st.builds(build, op_value, st.one_of(st.none(), st.sampled_from(windows)))


def condition_strategy(vocabulary: Vocabulary) -> st.SearchStrategy:
    conditions = []
    for name, spec in FIELDS.items():
        if spec.kind == Kind.BOOLEAN:
            conditions.append(_condition(name, st.tuples(st.just("is"), st.booleans())))
        elif spec.kind == Kind.NUMBER:
            values = vocabulary.numbers[name]
            anywhere = st.integers(spec.minimum, min(spec.maximum, values[-1] + 5))
            one = st.one_of(st.sampled_from(values), anywhere)
            windows = vocabulary.windows if spec.windowed else None
            conditions.append(_condition(name, _op_and_value(OPS[spec.kind], one), windows))
        else:
            one = st.sampled_from(vocabulary.choices[name])
            conditions.append(_condition(name, _op_and_value(OPS[spec.kind], one)))
    return st.sampled_from(conditions).flatmap(lambda condition: condition)


def rule_trees(leaf: st.SearchStrategy) -> st.SearchStrategy:
    """A condition, or all / any / not of smaller trees (now and then an empty group)."""
    base = st.one_of(leaf, leaf, leaf, st.sampled_from([{"all": []}, {"any": []}]))
    return st.recursive(
        base,
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=4).map(lambda rules: {"all": rules}),
            st.lists(inner, min_size=1, max_size=4).map(lambda rules: {"any": rules}),
            inner.map(lambda rule: {"not": rule}),
        ),
        max_leaves=12,
    )


def groups_deep(rules) -> int:
    if "all" in rules or "any" in rules:
        return 1 + max(map(groups_deep, rules.get("all", rules.get("any"))), default=0)
    return 1 + groups_deep(rules["not"]) if "not" in rules else 0


class Rules:
    """The strategy of rules over this population's values, built once for all the
    examples, under a short name when Hypothesis prints the test's arguments."""

    def __init__(self, vocabulary: Vocabulary):
        self.strategy = rule_trees(condition_strategy(vocabulary))

    def __repr__(self) -> str:
        return "Rules()"


@pytest.fixture
def rules(vocabulary) -> Rules:
    return Rules(vocabulary)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_the_query_selects_the_members_the_rules_describe(population, world, rules, data):
    drawn = data.draw(rules.strategy, label="rules")
    assume(groups_deep(drawn) <= MAX_GROUP_DEPTH)

    found, wanted = selected(population, drawn), expected(world, drawn)

    assert found == wanted, _explain(world, drawn, found, wanted)
    everyone = {facts.pk for facts in world.members}
    event("selects", "nobody" if not found else "everyone" if found == everyone else "some")


# The data, the cut points and the members never selected -----------------------------------


def test_the_population_has_what_the_properties_need(population, world):
    """The properties mean little over a dull population: check it is not one."""
    members = world.members
    assert world.today == TODAY
    assert 50 <= len(members) <= 55
    assert {status for facts in members for status in statuses(facts, world)} == set(STATUSES)
    assert any(facts.purchases == 0 and facts.has_stats for facts in members)
    assert sum(1 for facts in members if facts.purchases >= 2) >= 8
    assert {facts.tier_id for facts in members} >= {tier.pk for tier in population.tiers.values()}
    assert None in {facts.tier_id for facts in members}
    assert len({facts.location_id for facts in members}) == 3
    assert len({facts.language for facts in members}) == 3
    assert {facts.birthday_month for facts in members} >= {None, TODAY.month}
    assert any(facts.referrals for facts in members)
    assert any("İzmir".casefold() in facts.tags for facts in members)
    assert any(not facts.tags for facts in members)
    expiring = [number("points_expiring_within_days", facts, world) for facts in members]
    assert any(days is not None and days <= 30 for days in expiring)
    assert None in expiring
    # Points that expired since the last expiry run: still on their lots, expiring never.
    past = Lot.objects.filter(merchant=population.merchant, remaining__gt=0, expires_at__lte=NOW)
    assert past.exists()
    # Purchases on the merchant's last days, around its midnight and the change of time.
    ages = {(world.today - day).days for facts in members for day, _amount in facts.purchase_days}
    assert {0, 1, 6, 7, 8} <= ages
    answers = [facts.nps for facts in members]
    assert set(range(11)) <= set(answers)
    assert None in answers
    assert len(population.late) == 3
    assert len(population.gone) == 4


def test_everyone_and_nobody_are_the_merchants_members_still_members(population, world):
    everyone = {facts.pk for facts in world.members}

    assert selected(population, {"all": []}) == everyone
    assert selected(population, {"not": {"any": []}}) == everyone
    assert selected(population, {"any": []}) == set()
    assert not everyone & (population.gone | population.others)
    # The erased and merged members bought, were tagged, have points: rules that match
    # them still leave them out.
    tagged = {"any": [{"field": "tag", "op": "is", "value": name} for name in TAGS]}
    assert not selected(population, tagged) & (population.gone | population.others)


def test_the_rank_cuts_are_the_buyers_figures_at_the_cut_positions(population, world):
    cuts = compute_rank_cuts(merchant=population.merchant)

    assert cuts.recency == world.cuts["recency_score"]
    assert cuts.frequency == world.cuts["frequency_score"]
    assert cuts.monetary == world.cuts["monetary_score"]
    assert cuts.spend_percentiles == world.cuts["top_spend_percent"]
    assert len(cuts.recency) == 4
    assert len(cuts.spend_percentiles) == 99
    # Every buyer has exactly one score of each kind; a member who never bought has none.
    buyers = {facts.pk for facts in world.members if facts.has_stats and facts.purchases}
    everyone = {facts.pk for facts in world.members}
    for name in SCORES:
        most = FIELDS[name].maximum
        scored = {"field": name, "op": "between", "value": [1, most]}
        assert selected(population, scored) == buyers
        assert selected(population, {"not": scored}) == everyone - buyers
        apart = [
            selected(population, {"field": name, "op": "is", "value": value})
            for value in range(1, most + 1)
        ]
        assert sum(map(len, apart)) == len(buyers)


@pytest.mark.parametrize(
    ("buyers", "parts", "positions"),
    [
        (0, 5, []),
        (1, 5, [1, 1, 1, 1]),
        (4, 5, [1, 2, 3, 4]),
        (5, 5, [1, 2, 3, 4]),
        (7, 5, [2, 3, 5, 6]),
        (10, 5, [2, 4, 6, 8]),
        (3, 100, [1] * 33 + [2] * 33 + [3] * 33),
    ],
)
def test_cut_positions(buyers, parts, positions):
    assert cut_positions(buyers, parts) == positions
    assert cut_points(list(range(1, buyers + 1)), parts) == tuple(positions)
