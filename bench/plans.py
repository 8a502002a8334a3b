"""EXPLAIN (ANALYZE) of one statement as one line, for the benches that print why a query
costs what it does. Imported after Django is set up."""

import json

from django.db import connection


def plan_line(sql: str) -> str:
    """The plan's nodes, indexes and rows, and its execution time."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
        [[plan]] = cursor.fetchone()
    if isinstance(plan, str):
        plan = json.loads(plan)

    def node(item) -> str:
        text = item["Node Type"]
        if item.get("Index Name"):
            text += f" {item['Index Name']}"
        elif item.get("Relation Name"):
            text += f" {item['Relation Name']}"
        text += f" ({item['Actual Rows']} rows)"
        children = item.get("Plans", [])
        if len(children) == 1:
            return f"{text} > {node(children[0])}"
        if children:
            return f"{text} [{' + '.join(node(child) for child in children)}]"
        return text

    return f"{node(plan['Plan'])}; {plan['Execution Time']:.2f} ms"
