"""CSV shared by every download and upload: cells a spreadsheet never runs as formulas
(CSV injection), the apostrophe that keeps them text read back off again, and an
attachment response."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable

from django.http import HttpResponse
from django.utils.functional import Promise

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"

_NUMBER_LIKE = re.compile(r"[+-][\d\s().-]*")


def safe_cell(value: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula (CSV injection).

    Phone numbers such as '+34 600 12 34 56' stay as they are; '=HYPERLINK(…)' gets a
    leading apostrophe, which spreadsheets hide and `clean_cell` strips again.
    """
    if not value:
        return value
    if value[0] in "=@\t\r" or (value[0] in "+-" and not _NUMBER_LIKE.fullmatch(value)):
        return "'" + value
    return value


def clean_cell(value: str) -> str:
    """A cell read from an uploaded file: trimmed, with the apostrophe an export put in
    front of a formula-like value taken off again."""
    value = value.strip()
    if value[:2] in {"'=", "'+", "'-", "'@"}:
        value = value[1:]
    return value


def export_cell(cell: object) -> object:
    """Any value as a CSV cell: text (labels, lazy translations, names) kept from running
    as a formula, None as empty, numbers as they are."""
    if isinstance(cell, Promise):
        cell = str(cell)
    if cell is None:
        return ""
    return safe_cell(cell) if isinstance(cell, str) else cell


def csv_attachment(*, filename: str, rows: Iterable[Iterable[object]]) -> HttpResponse:
    """A CSV download of `rows`, every cell passed through `export_cell`."""
    response = HttpResponse(content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    for row in rows:
        writer.writerow([export_cell(cell) for cell in row])
    return response
