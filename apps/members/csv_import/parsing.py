"""Reading an uploaded file: its encoding, its separator, its header and its rows."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core.errors import DomainError
from apps.members.models import MemberImport

ENCODINGS = [
    ("auto", _("UTF-8 (recommended; with or without BOM)")),
    ("cp1252", _("Windows-1252 (Excel on Windows, older tills)")),
    ("latin-1", _("Latin-1 (ISO-8859-1)")),
]
_ENCODING_NAMES = {"auto": "UTF-8", "cp1252": "Windows-1252", "latin-1": "Latin-1"}


def _encoding_problem(data: bytes, encoding: str, error: UnicodeDecodeError) -> DomainError:
    line = data[: error.start].count(b"\n") + 1
    byte = data[error.start : error.start + 1].hex().upper()
    if encoding == "auto":
        message = gettext(
            # Translators: %(line)s is a line number of the file, %(byte)s a byte in hex (E9).
            "This file is not UTF-8 text: line %(line)s has a character that cannot be read "
            "(byte 0x%(byte)s). Files saved by Excel on Windows or by older tills are often "
            "Windows-1252: choose that encoding below and upload the file again (or save it "
            "from your spreadsheet as “CSV UTF-8”)."
        ) % {"line": line, "byte": byte}
    else:
        message = gettext(
            # Translators: %(encoding)s is an encoding's name (Windows-1252), %(line)s a line
            # number of the file, %(byte)s a byte in hex (E9).
            "This file is not %(encoding)s either: line %(line)s has a character that cannot "
            "be read (byte 0x%(byte)s). Try Latin-1, or save it from your spreadsheet as "
            "“CSV UTF-8”."
        ) % {"encoding": _ENCODING_NAMES[encoding], "line": line, "byte": byte}
    return DomainError(message, field="encoding", code="encoding")


def decode(data: bytes, encoding: str) -> str:
    """The file's text. 'auto' reads UTF-8 with or without a BOM, and UTF-16 with one."""
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # .xlsx, .ods, .xls
        raise DomainError(
            gettext(
                "This is a spreadsheet workbook, not a CSV file. Open it in your spreadsheet "
                "and save it as “CSV UTF-8 (comma delimited)”, then upload that file."
            ),
            field="file",
            code="not_csv",
        )
    if encoding not in dict(ENCODINGS):
        raise DomainError(gettext("Choose an encoding."), field="encoding")
    codec = encoding
    if encoding == "auto":
        utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        codec = "utf-16" if utf16 else "utf-8-sig"
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        raise _encoding_problem(data, encoding, error) from error


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon (spreadsheets in Spanish, French…), tab or bar: the one the header
    line uses most."""
    first_line = next((line for line in io.StringIO(text) if line.strip()), "")
    outside_quotes = re.sub(r'"[^"]*"', "", first_line)
    counts = {char: outside_quotes.count(char) for char in ",;\t|"}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


class ParsedFile:
    """A decoded CSV file: its header (the first row that is not blank) and its rows."""

    def __init__(self, text: str, delimiter: str):
        self._text = text
        self.delimiter = delimiter
        number, cells = next(
            ((n, cells) for n, cells in self._records() if any(c.strip() for c in cells)),
            (0, []),
        )
        if cells:  # a UTF-8 BOM read by a single-byte codec
            cells = [cells[0].removeprefix("\ufeff").removeprefix("ï»¿"), *cells[1:]]
        self.header_row = number
        self.header = [
            # Translators: the name given to a column whose header cell is empty.
            cell.strip() or gettext("Column %(number)s") % {"number": index + 1}
            for index, cell in enumerate(cells)
        ]

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(io.StringIO(self._text, newline=""), delimiter=self.delimiter)
        number = 0
        try:
            for cells in reader:
                number += 1
                yield number, cells
        except csv.Error as error:
            raise DomainError(
                gettext(
                    # Translators: %(row)s is a row number; %(error)s, Python's description of
                    # the problem (in English).
                    "Row %(row)s cannot be read as CSV (%(error)s). Check the file was saved "
                    "as CSV text."
                )
                % {"row": number + 1, "error": error},
                field="file",
                code="not_csv",
            ) from error

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """The data rows as (row number in the spreadsheet, cells), blank rows left out."""
        for number, cells in self._records():
            if number > self.header_row and any(cell.strip() for cell in cells):
                yield number, cells


def read_import(member_import: MemberImport) -> ParsedFile:
    with member_import.file.open("rb") as handle:
        data = handle.read()
    return ParsedFile(decode(data, member_import.encoding), member_import.delimiter)
