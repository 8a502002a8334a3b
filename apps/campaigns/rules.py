"""A segment's rules: JSON checked against a whitelist, then compiled to one query.

    {"all": [rule, …]}   every rule holds (an empty list: every member)
    {"any": [rule, …]}   at least one holds (an empty list: nobody)
    {"not": rule}        the rule does not hold
    {"field": F, "op": OP, "value": V}   a condition; "within_days": N on the fields
                                          that count over a window

Fields and the operators that fit each are in segment_fields.py. Nothing here is
evaluated: `rules_check` walks the JSON and refuses, with the path of the first bad part
(`all.2.value`), an unknown field, an operator that does not fit it, a value of the wrong
type or out of range, too many conditions, or groups nested deeper than `MAX_DEPTH`.
`rules_compile` turns the checked tree into a `Q` and the aliases it reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext

from apps.campaigns.expressions import EVERYONE, NOBODY, OnRow, combined
from apps.campaigns.segment_fields import FIELDS, compiled_on_row
from apps.campaigns.segment_terms import OPS, Compiled, Condition, Kind, Scope
from apps.core.errors import DomainError
from apps.core.models import Merchant

MAX_DEPTH = 5  # groups inside groups
MAX_CONDITIONS = 50
MAX_LIST = 100  # values of an "in"
MAX_WINDOW_DAYS = 3650
GROUPS = ("all", "any", "not")


class RulesInvalid(DomainError):
    """Rules that cannot be used: `field` is `rules` and the path of the bad part."""

    code = "invalid_rules"

    def __init__(self, problem: str, *, path: str):
        where = "rules" + (f".{path}" if path else "")
        message = gettext("%(path)s: %(problem)s") % {"path": where, "problem": problem}
        super().__init__(message, field=where)
        self.problem = problem
        self.path = path


@dataclass(frozen=True)
class Group:
    kind: str  # all, any, not
    children: tuple


def _join(path: str, part) -> str:
    return f"{path}.{part}" if path else str(part)


def rules_check(*, rules: Any, merchant: Merchant) -> Group | Condition:
    """The rules as a tree, or `RulesInvalid` naming the first bad part."""
    counter = [0]
    tree = _node(rules, merchant=merchant, path="", depth=0, counter=counter)
    if counter[0] > MAX_CONDITIONS:
        raise RulesInvalid(
            gettext("A segment has at most %(count)d conditions.") % {"count": MAX_CONDITIONS},
            path="",
        )
    return tree


def _node(raw, *, merchant, path: str, depth: int, counter: list[int]):
    if not isinstance(raw, dict):
        raise RulesInvalid(
            gettext("Write each rule as an object: a group (all, any, not) or a condition."),
            path=path,
        )
    groups = [key for key in GROUPS if key in raw]
    if not groups:
        counter[0] += 1
        return _condition(raw, merchant=merchant, path=path)
    if len(raw) != 1:
        raise RulesInvalid(gettext('A group holds one key only: "all", "any" or "not".'), path=path)
    if depth >= MAX_DEPTH:
        raise RulesInvalid(
            gettext("Groups nest at most %(depth)d deep.") % {"depth": MAX_DEPTH}, path=path
        )
    kind = groups[0]
    inner = raw[kind]
    if kind == "not":
        child = _node(
            inner, merchant=merchant, path=_join(path, "not"), depth=depth + 1, counter=counter
        )
        return Group("not", (child,))
    if not isinstance(inner, list):
        raise RulesInvalid(gettext("Give a list of rules."), path=_join(path, kind))
    if len(inner) > MAX_CONDITIONS:
        raise RulesInvalid(
            gettext("A group holds at most %(count)d rules.") % {"count": MAX_CONDITIONS},
            path=_join(path, kind),
        )
    children = tuple(
        _node(
            child,
            merchant=merchant,
            path=_join(path, f"{kind}.{index}"),
            depth=depth + 1,
            counter=counter,
        )
        for index, child in enumerate(inner)
    )
    return Group(kind, children)


def _condition(raw: dict, *, merchant, path: str) -> Condition:
    unknown = sorted(str(key)[:40] for key in set(raw) - {"field", "op", "value", "within_days"})
    if unknown:
        raise RulesInvalid(gettext("A condition takes no such key."), path=_join(path, unknown[0]))
    name = raw.get("field")
    spec = FIELDS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise RulesInvalid(
            gettext("No such field. The fields: %(fields)s.") % {"fields": ", ".join(FIELDS)},
            path=_join(path, "field"),
        )
    op = raw.get("op")
    if not isinstance(op, str) or op not in OPS[spec.kind]:
        raise RulesInvalid(
            gettext("This field takes the operators %(ops)s.") % {"ops": ", ".join(OPS[spec.kind])},
            path=_join(path, "op"),
        )
    if "value" not in raw:
        raise RulesInvalid(gettext("Give a value."), path=_join(path, "value"))
    value = _value(spec, op, raw["value"], merchant=merchant, path=_join(path, "value"))
    within_days = raw.get("within_days")
    if within_days is not None:
        if not spec.windowed:
            raise RulesInvalid(
                gettext("Only purchase_count and total_spent take within_days."),
                path=_join(path, "within_days"),
            )
        if not _is_int(within_days) or not 1 <= within_days <= MAX_WINDOW_DAYS:
            raise RulesInvalid(
                gettext("Give a whole number of days from 1 to %(most)d.")
                % {"most": MAX_WINDOW_DAYS},
                path=_join(path, "within_days"),
            )
    return Condition(name, op, value, within_days)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _value(spec, op: str, raw, *, merchant, path: str):
    if op == "in":
        if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_LIST:
            raise RulesInvalid(
                gettext("Give a list of 1 to %(most)d values.") % {"most": MAX_LIST}, path=path
            )
        return [
            _one(spec, item, merchant=merchant, path=_join(path, i)) for i, item in enumerate(raw)
        ]
    if op == "between":
        if not isinstance(raw, list) or len(raw) != 2:
            raise RulesInvalid(gettext("Give two numbers: [from, to]."), path=path)
        low, high = (
            _one(spec, item, merchant=merchant, path=_join(path, i)) for i, item in enumerate(raw)
        )
        if low > high:
            raise RulesInvalid(gettext("The first number is the smaller one."), path=path)
        return [low, high]
    return _one(spec, raw, merchant=merchant, path=path)


def _one(spec, raw, *, merchant, path: str):
    if spec.kind == Kind.BOOLEAN:
        if not isinstance(raw, bool):
            raise RulesInvalid(gettext("Give true or false."), path=path)
        return raw
    if spec.kind == Kind.NUMBER:
        if not _is_int(raw) or not spec.minimum <= raw <= spec.maximum:
            raise RulesInvalid(
                gettext("Give a whole number from %(least)d to %(most)d.")
                % {"least": spec.minimum, "most": spec.maximum},
                path=path,
            )
        return raw
    if spec.kind == Kind.TAG:
        # Spaced as tag names are stored (members.services.tag_name).
        name = " ".join(raw.split()) if isinstance(raw, str) else ""
        if not 1 <= len(name) <= 40:
            raise RulesInvalid(gettext("Give a tag's name."), path=path)
        return name
    choices = spec.choices(merchant)
    if isinstance(raw, bool) or not isinstance(raw, str | int) or raw not in choices:
        raise RulesInvalid(_choice_problem(spec, choices), path=path)
    return raw


def _choice_problem(spec, choices: dict) -> str:
    if spec.name == "tier":
        return gettext("No tier with this id.")
    if spec.name == "location":
        return gettext("No location with this id.")
    return gettext("Give one of: %(values)s.") % {"values": ", ".join(map(str, choices))}


def rules_compile(tree: Group | Condition, *, scope: Scope) -> Compiled:
    if isinstance(tree, Condition):
        return FIELDS[tree.field].compile(scope, tree)
    parts = [rules_compile(child, scope=scope) for child in tree.children]
    if tree.kind == "not":
        if parts[0].row is not None:
            return compiled_on_row(scope, parts[0].row.negated())
        return Compiled(~parts[0].q, parts[0].aliases)
    if not parts:
        return Compiled(EVERYONE if tree.kind == "all" else NOBODY, {})
    # Conditions on the same one-row table (the rollups, the points account): one EXISTS.
    rows: dict[str, list[OnRow]] = {}
    others = []
    for part in parts:
        if part.row is not None:
            rows.setdefault(part.row.table, []).append(part.row)
        else:
            others.append(part)
    merged = [compiled_on_row(scope, combined(tree.kind, same)) for same in rows.values()]
    if len(merged) == 1 and not others:
        return merged[0]
    parts = others + merged
    aliases = {name: expression for part in parts for name, expression in part.aliases.items()}
    q = parts[0].q
    for part in parts[1:]:
        q = q & part.q if tree.kind == "all" else q | part.q
    return Compiled(q, aliases)


def rules_fields(tree: Group | Condition) -> set[str]:
    """The fields the rules name."""
    if isinstance(tree, Condition):
        return {tree.field}
    return set().union(*(rules_fields(child) for child in tree.children))
