"""The segment builder's form: a list of conditions that all (or any) must hold, posted as
numbered fields, turned into rules (rules.py) and back.

Each row posts `f<i>` (the field), `o<i>` (the operator), `v<i>` (the value; several for
"in" on a choice), `w<i>` (the upper end of "between") and `d<i>` (within how many days,
for the fields that count over a window). Rules that one list cannot show (groups inside
groups, "not") are edited as JSON instead (`mode=json`, `rules_json`).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext, gettext_lazy

from apps.campaigns.rules import MAX_CONDITIONS, RulesInvalid, rules_check
from apps.campaigns.segment_fields import FIELDS
from apps.campaigns.segment_terms import Kind
from apps.core.models import Merchant
from apps.members.models import Tag

# The operators the builder offers for each kind of field (the API takes "in" on numbers too).
BUILDER_OPS: dict[Kind, tuple[str, ...]] = {
    Kind.NUMBER: ("gte", "lte", "is", "is_not", "between"),
    Kind.CHOICE: ("is", "is_not", "in"),
    Kind.BOOLEAN: ("is",),
    Kind.TAG: ("is", "is_not"),
}
OP_LABELS = {
    "is": gettext_lazy("is"),
    "is_not": gettext_lazy("is not"),
    "in": gettext_lazy("is one of"),
    "gte": gettext_lazy("at least"),
    "lte": gettext_lazy("at most"),
    "between": gettext_lazy("between"),
}
ID_CHOICES = {"tier", "location"}  # choices whose values are ids (numbers)


@dataclass
class Row:
    index: int
    field: str = "status"
    op: str = "is"
    values: list[str] = dataclasses.field(default_factory=list)
    upper: str = ""
    within_days: str = ""
    error: str = ""

    @property
    def spec(self):
        return FIELDS[self.field]

    @property
    def ops(self) -> list[tuple[str, Any]]:
        return [(op, OP_LABELS[op]) for op in BUILDER_OPS[self.spec.kind]]

    @property
    def value(self) -> str:
        return self.values[0] if self.values else ""


@dataclass
class Builder:
    name: str = ""
    match: str = "all"
    rows: list[Row] = dataclasses.field(default_factory=list)
    mode: str = "rows"  # or "json"
    rules_json: str = ""
    error: str = ""  # about the rules as a whole (JSON mode, too many conditions)
    name_error: str = ""

    def rules(self, merchant: Merchant) -> Any:
        """The rules this form describes, or None after recording what is wrong."""
        if self.mode == "json":
            try:
                rules = json.loads(self.rules_json or "null")
            except ValueError:
                self.error = gettext("This is not valid JSON.")
                return None
            return self._checked(rules, merchant)
        conditions = [_condition(row) for row in self.rows]
        if any(row.error for row in self.rows):
            return None
        return self._checked({self.match: conditions}, merchant)

    def _checked(self, rules, merchant: Merchant):
        try:
            rules_check(rules=rules, merchant=merchant)
        except RulesInvalid as error:
            row = _row_of(error.path) if self.mode == "rows" else None
            if row is not None and row < len(self.rows):
                self.rows[row].error = error.problem
            else:
                self.error = error.message
            return None
        return rules


def _row_of(path: str) -> int | None:
    parts = path.split(".")
    if len(parts) >= 2 and parts[0] in ("all", "any") and parts[1].isdigit():
        return int(parts[1])
    return None


def whole(text: str) -> int | None:
    text = text.strip().replace(" ", "")
    if text.lstrip("-").isdigit():
        return int(text)
    return None


def _condition(row: Row) -> dict:
    spec = row.spec
    condition: dict[str, Any] = {"field": spec.name, "op": row.op}
    if spec.kind == Kind.BOOLEAN:
        condition["value"] = row.value != "false"
    elif spec.kind == Kind.NUMBER:
        ends = [whole(row.value)] + ([whole(row.upper)] if row.op == "between" else [])
        if None in ends:
            row.error = gettext("Give a whole number.")
        condition["value"] = ends if row.op == "between" else ends[0]
    elif spec.kind == Kind.CHOICE:
        values = [whole(value) if spec.name in ID_CHOICES else value for value in row.values]
        if not values or None in values:
            row.error = gettext("Choose a value.")
        condition["value"] = values if row.op == "in" else (values[0] if values else None)
    else:  # a tag's name
        if not row.value.strip():
            row.error = gettext("Give a tag's name.")
        condition["value"] = " ".join(row.value.split())
    if spec.windowed and row.within_days.strip():
        days = whole(row.within_days)
        if days is None:
            row.error = gettext("Give a whole number of days.")
        condition["within_days"] = days
    return condition


def builder_from_post(data: QueryDict) -> Builder:
    """The form as posted, with its action applied (add or remove a row, switch modes)."""
    try:
        count = min(int(data.get("rows", "0")), MAX_CONDITIONS)
    except ValueError:
        count = 0
    rows = [_posted_row(data, index) for index in range(count)]
    builder = Builder(
        name=data.get("name", ""),
        match="any" if data.get("match") == "any" else "all",
        rows=[row for row in rows if row is not None],
        mode="json" if data.get("mode") == "json" else "rows",
        rules_json=data.get("rules_json", ""),
    )
    action = data.get("action", "")
    if action == "add" and len(builder.rows) < MAX_CONDITIONS:
        builder.rows.append(Row(index=len(builder.rows)))
    elif action.startswith("remove-") and action[7:].isdigit():
        builder.rows = [row for row in builder.rows if row.index != int(action[7:])]
    for index, row in enumerate(builder.rows):
        row.index = index
    return builder


def _posted_row(data: QueryDict, index: int) -> Row | None:
    name = data.get(f"f{index}", "")
    if name not in FIELDS:
        return None
    row = Row(
        index=index,
        field=name,
        op=data.get(f"o{index}", ""),
        values=[value for value in data.getlist(f"v{index}") if value != ""][:100],
        upper=data.get(f"w{index}", ""),
        within_days=data.get(f"d{index}", ""),
    )
    if row.op not in BUILDER_OPS[row.spec.kind]:
        row.op = BUILDER_OPS[row.spec.kind][0]
    return row


def builder_switch(builder: Builder, *, to: str) -> None:
    """Show the rules as JSON, or back as rows when one list can show them."""
    if to == "json" and builder.mode == "rows":
        builder.rules_json = json.dumps(
            {builder.match: [_condition(row) for row in builder.rows]}, ensure_ascii=False
        )
        for row in builder.rows:
            row.error = ""
        builder.mode = "json"
    elif to == "rows" and builder.mode == "json":
        try:
            rules = json.loads(builder.rules_json or "null")
        except ValueError:
            builder.error = gettext("This is not valid JSON.")
            return
        shown = builder_for_rules(rules, name=builder.name)
        if shown.mode == "json":
            builder.error = gettext(
                "These rules put groups inside groups: the builder shows one list of "
                "conditions. Keep editing them as JSON."
            )
            return
        builder.mode, builder.match, builder.rows = "rows", shown.match, shown.rows


def builder_for_rules(rules, *, name: str = "") -> Builder:
    """The form showing saved rules: as rows when one list of conditions can show them."""
    if isinstance(rules, dict) and "field" in rules:
        rules = {"all": [rules]}
    if isinstance(rules, dict) and len(rules) == 1:
        match, conditions = next(iter(rules.items()))
        if match in ("all", "any") and isinstance(conditions, list):
            rows = [_row_for(condition, index) for index, condition in enumerate(conditions)]
            if all(row is not None for row in rows):
                return Builder(name=name, match=match, rows=rows)
    return Builder(name=name, mode="json", rules_json=json.dumps(rules, ensure_ascii=False))


def _row_for(condition, index: int) -> Row | None:
    if not isinstance(condition, dict) or condition.get("field") not in FIELDS:
        return None
    spec = FIELDS[condition["field"]]
    op, value = condition.get("op"), condition.get("value")
    if op not in BUILDER_OPS[spec.kind]:
        return None
    row = Row(index=index, field=spec.name, op=op)
    if op == "between" and isinstance(value, list) and len(value) == 2:
        row.values, row.upper = [str(value[0])], str(value[1])
    elif op == "in" and isinstance(value, list):
        row.values = [str(item) for item in value]
    elif isinstance(value, bool):
        row.values = ["true" if value else "false"]
    else:
        row.values = [str(value)]
    if condition.get("within_days") is not None:
        row.within_days = str(condition["within_days"])
    return row


def field_options(merchant: Merchant) -> list[tuple[str, Any]]:
    return [(name, spec.label) for name, spec in FIELDS.items()]


def row_choices(row: Row, merchant: Merchant) -> list[tuple[str, Any]]:
    spec = row.spec
    if spec.kind == Kind.BOOLEAN:
        return [("true", gettext("yes")), ("false", gettext("no"))]
    if spec.kind == Kind.CHOICE:
        return [(str(value), label) for value, label in spec.choices(merchant).items()]
    return []


def tag_names(merchant: Merchant) -> list[str]:
    return list(Tag.objects.for_merchant(merchant).order_by("name").values_list("name", flat=True))
