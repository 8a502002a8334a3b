"""CSV import of members: reading the file, mapping its columns, the dry run, the import.

A manager uploads a file (`import_create`), says which column holds what
(`import_set_mapping`, prefilled by `guess_mapping`), reads the dry run's report
(`import_analyze`, in a task) and confirms (`import_confirm`). The import (`import_run`,
in a task) enrolls each new customer through `member_enroll` with the import channel, so
the rules are exactly the counter's; each enrolled member gets the usual "Enrolled
(import)" line on their timeline.

Safe to run twice, and resumable: a row whose phone, email or external id belongs to a
member already is counted as matched and skipped, and rows go in batches, each committed
together with the resume point (`rows_done`) and the counts, so a task that dies leaves
every earlier batch imported and the next run carries on where it stopped.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache, partial
from pathlib import PurePath
from time import monotonic
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.core.errors import Conflict, DomainError
from apps.core.formatting import format_number
from apps.core.models import Merchant
from apps.core.services import audit_record
from apps.core.stored_text import stored_plural, stored_text

from .csv_export import safe_cell
from .identifiers import search_text
from .models import Channel, ImportStatus, Member, MemberImport

# The same checks `member_enroll` applies, so the dry run predicts what the import does.
from .services import (
    DuplicateMember,
    clean_email,
    clean_name_part,
    clean_phone,
    members_enroll_many,
)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_ROWS = 500_000
ANALYSIS_CHUNK = 2000  # rows per existing-member lookup in the dry run
IMPORT_BATCH = 500  # rows per transaction in the import
DETAIL_LIMIT = 500  # problem rows kept per kind in a report; the problems file has them all
SAMPLE_ROWS = 3
STALE_AFTER = timedelta(minutes=10)  # a running import silent this long has lost its worker
TASK_SECONDS = 240  # one task imports for about this long, then a new task carries on

ENCODINGS = [
    ("auto", _("UTF-8 (recommended; with or without BOM)")),
    ("cp1252", _("Windows-1252 (Excel on Windows, older tills)")),
    ("latin-1", _("Latin-1 (ISO-8859-1)")),
]
_ENCODING_NAMES = {"auto": "UTF-8", "cp1252": "Windows-1252", "latin-1": "Latin-1"}
DATE_ORDERS = [
    ("DMY", _("Day first: 31/12/1990")),
    ("MDY", _("Month first: 12/31/1990")),
]
_MONTH_FIRST_COUNTRIES = {"US", "PH", "FM", "MH", "PW"}


# What a column can hold ---------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    label: str  # shown in the mapping page (translated); the synonyms are not
    synonyms: tuple[str, ...]  # header names, English, Spanish and Romanian, as people write them


TARGETS = (
    Target(
        "first_name",
        _("First name"),
        (
            "first name",
            "firstname",
            "given name",
            "forename",
            "name",
            "nombre",
            "nombres",
            "prenume",
        ),
    ),
    Target(
        "last_name",
        _("Last name"),
        ("last name", "lastname", "surname", "family name", "apellido", "apellidos", "nume"),
    ),
    Target(
        "full_name",
        _("Full name"),
        (
            "full name",
            "customer name",
            "client name",
            "customer",
            "nombre completo",
            "nombre y apellidos",
            "cliente",
            "nume complet",
            "nume si prenume",
            "client",
        ),
    ),
    Target(
        "email",
        _("Email"),
        (
            "email",
            "mail",
            "email address",
            "correo",
            "correo electronico",
            "direccion de correo",
            "e-mail",
            "adresa de email",
            "adresa de e-mail",
        ),
    ),
    Target(
        "phone",
        _("Phone"),
        (
            "phone",
            "phone number",
            "telephone",
            "tel",
            "mobile",
            "mobile phone",
            "mobile number",
            "cell",
            "cell phone",
            "telefono",
            "telefono movil",
            "movil",
            "celular",
            "numero de telefono",
            "tlf",
            "whatsapp",
            "telefon",
            "numar de telefon",
            "nr telefon",
            "telefon mobil",
        ),
    ),
    Target(
        "birthday",
        _("Birthday"),
        (
            "birthday",
            "birth date",
            "date of birth",
            "dob",
            "fecha de nacimiento",
            "fecha nacimiento",
            "nacimiento",
            "cumpleanos",
            "data nasterii",
            "zi de nastere",
            "ziua de nastere",
        ),
    ),
    Target(
        "consent",
        _("Consent (email and SMS)"),
        (
            "consent",
            "marketing consent",
            "marketing",
            "opt in",
            "accepts marketing",
            "consentimiento",
            "acepta publicidad",
            "publicidad",
            "gdpr",
            "rgpd",
            "consimtamant",
            "acord marketing",
        ),
    ),
    Target(
        "consent_email",
        _("Consent to email"),
        (
            "email consent",
            "consent email",
            "email opt in",
            "newsletter",
            "consentimiento email",
            "consentimiento correo",
            "acepta email",
            "acepta correo",
            "consimtamant email",
            "acord email",
        ),
    ),
    Target(
        "consent_sms",
        _("Consent to SMS"),
        (
            "sms consent",
            "consent sms",
            "sms opt in",
            "consentimiento sms",
            "acepta sms",
            "consimtamant sms",
            "acord sms",
        ),
    ),
    Target(
        "tags",
        _("Tags"),
        (
            "tags",
            "tag",
            "labels",
            "etiquetas",
            "etiqueta",
            "grupo",
            "grupos",
            "etichete",
            "eticheta",
        ),
    ),
    Target(
        "external_id",
        _("External id"),
        (
            "external id",
            "id",
            "customer id",
            "client id",
            "customer number",
            "pos id",
            "id cliente",
            "codigo cliente",
            "codigo de cliente",
            "numero de cliente",
            "referencia",
            "cod client",
            "id client",
            "numar client",
        ),
    ),
    Target("language", _("Language"), ("language", "lang", "locale", "idioma", "limba")),
    Target(
        "enrolled_at",
        pgettext_lazy("import column: the date a member joined", "Enrolled at"),
        (
            "enrolled at",
            "enrolled",
            "enrollment date",
            "joined",
            "date joined",
            "member since",
            "signup date",
            "created at",
            "fecha de alta",
            "fecha alta",
            "alta",
            "fecha de registro",
            "cliente desde",
            "socio desde",
            "data inscrierii",
            "membru din",
            "client din",
        ),
    ),
)
TARGET_LABELS = {target.name: target.label for target in TARGETS}


def _header_key(text: str) -> str:
    """'Teléfono móvil', 'telefono_movil' and 'TELEFONO-MOVIL' -> 'telefonomovil'."""
    return re.sub(r"[^a-z0-9]", "", search_text(text))


@cache
def _synonyms() -> dict[str, str]:
    return {_header_key(word): target.name for target in TARGETS for word in target.synonyms}


def guess_mapping(header: list[str]) -> dict[str, int]:
    """Which column holds what, from the header's names; the first column wins a tie."""
    mapping: dict[str, int] = {}
    for index, name in enumerate(header):
        target = _synonyms().get(_header_key(name))
        if target and target not in mapping:
            mapping[target] = index
    if "first_name" in mapping:
        mapping.pop("full_name", None)
    return mapping


def mapping_check(mapping: dict[str, int], *, columns: int) -> dict[str, int]:
    """The mapping, or a DomainError saying what is missing."""
    mapping = {name: int(index) for name, index in mapping.items()}
    unknown = set(mapping) - set(TARGET_LABELS)
    if unknown or any(not 0 <= index < columns for index in mapping.values()):
        raise DomainError(
            gettext("That column mapping does not fit this file."), code="bad_mapping"
        )
    if "first_name" in mapping and "full_name" in mapping:
        raise DomainError(
            gettext("Choose either a first name column or a full name column, not both."),
            code="bad_mapping",
        )
    if "first_name" not in mapping and "full_name" not in mapping:
        raise DomainError(
            gettext(
                "Choose the column that holds the first name (or the full name): "
                "every member needs one."
            ),
            code="missing_columns",
        )
    if "phone" not in mapping and "email" not in mapping:
        raise DomainError(
            gettext(
                "Choose the column that holds the phone number or the email: "
                "every member needs at least one of them."
            ),
            code="missing_columns",
        )
    return mapping


# Reading the file ---------------------------------------------------------------------


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


def _sniff_delimiter(text: str) -> str:
    """Comma, semicolon (spreadsheets in Spanish, French…), tab or bar: the one the header
    line uses most."""
    first_line = next((line for line in io.StringIO(text) if line.strip()), "")
    outside_quotes = re.sub(r'"[^"]*"', "", first_line)
    counts = {char: outside_quotes.count(char) for char in ",;\t|"}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _clean_cell(value: str) -> str:
    value = value.strip()
    # An apostrophe in front of a formula-like value is how exports keep it text.
    if value[:2] in {"'=", "'+", "'-", "'@"}:
        value = value[1:]
    return value


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


def _read(member_import: MemberImport) -> ParsedFile:
    with member_import.file.open("rb") as handle:
        data = handle.read()
    return ParsedFile(decode(data, member_import.encoding), member_import.delimiter)


# Reading one row ----------------------------------------------------------------------

_DATE = re.compile(r"(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})(?:[ T]+(.*))?")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?")
_YES = {"yes", "y", "true", "t", "1", "si", "s", "x", "verdadero", "v", "da", "d", "adevarat"}
_NO = {"no", "n", "false", "f", "0", "falso", "", "nu", "fals"}
_LANGUAGE_NAMES = {
    "english": "en",
    "ingles": "en",
    "engleza": "en",
    "spanish": "es",
    "castellano": "es",
    "espanol": "es",
    "spaniola": "es",
    "romanian": "ro",
    "rumano": "ro",
    "romana": "ro",
    "portuguese": "pt",
    "portugues": "pt",
    "french": "fr",
    "frances": "fr",
    "german": "de",
    "aleman": "de",
    "italian": "it",
    "italiano": "it",
    "dutch": "nl",
    "neerlandes": "nl",
    "holandes": "nl",
}


def _parse_date(raw: str, order: str) -> tuple[date, str]:
    """'31/12/1990' (in `order`), '1990-12-31' (always year first) -> the date, and
    whatever followed it (a time)."""
    match = _DATE.fullmatch(raw.strip())
    if not match:
        raise ValueError(raw)
    first, second, third, rest = match.groups()
    if len(first) == 4:
        year, month, day = first, second, third
    elif order == "MDY":
        month, day, year = first, second, third
    else:
        day, month, year = first, second, third
    if len(year) == 2:  # '90' is 1990 for a birthday, '24' is 2024
        this_year = timezone.localdate().year
        century = 2000 if 2000 + int(year) <= this_year else 1900
        full_year = century + int(year)
    elif len(year) == 4:
        full_year = int(year)
    else:
        raise ValueError(raw)
    return date(full_year, int(month), int(day)), (rest or "").strip()


def _parse_moment(raw: str, order: str, zone: ZoneInfo) -> datetime:
    """A date, or a date and time, in the merchant's time zone unless it says otherwise."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        day, rest = _parse_date(raw, order)
        clock = time()
        if rest:
            match = _TIME.match(rest)
            if not match:
                raise ValueError(raw) from None
            hours, minutes, seconds = (int(part or 0) for part in match.groups())
            clock = time(hours, minutes, seconds)
        return datetime.combine(day, clock, tzinfo=zone)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


def _parse_consent(raw: str) -> bool:
    key = search_text(raw).rstrip(".")
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise ValueError(raw)


@cache
def _languages() -> dict[str, str]:
    known = {code: code for code, _name in settings.LANGUAGES}
    known |= {search_text(name): code for code, name in settings.LANGUAGES}
    known |= {name: code for name, code in _LANGUAGE_NAMES.items() if code in known}
    return known


def _parse_language(raw: str) -> str:
    key = search_text(raw)
    code = _languages().get(key) or _languages().get(re.split(r"[-_]", key)[0])
    if code is None:
        raise ValueError(raw)
    return code


class Kind:
    CREATE = "create"
    MATCHED = "matched"
    DUPLICATE = "duplicate"
    ERROR = "error"


@dataclass
class ParsedRow:
    number: int  # the row in the spreadsheet (the header is usually row 1)
    cells: list[str]
    values: dict = field(default_factory=dict)  # member_enroll's keyword arguments
    messages: list[str] = field(default_factory=list)
    kind: str = ""

    def identifiers(self) -> list[tuple[str, str]]:
        """What identifies the person: phone, email, external id."""
        return [
            (name, self.values[name])
            for name in ("phone", "email", "external_id")
            if self.values.get(name)
        ]

    def decide(self, kind: str, message: str = "") -> None:
        self.kind = kind
        if message:
            self.messages = [message]


@dataclass(frozen=True)
class RowReader:
    """Turns one row's cells into `member_enroll` arguments, or says what is wrong."""

    merchant: Merchant
    mapping: dict[str, int]
    date_order: str
    columns: int

    def parse(self, number: int, cells: list[str]) -> ParsedRow:
        row = ParsedRow(number=number, cells=cells)
        errors = row.messages
        extra = [cell for cell in cells[self.columns :] if cell.strip()]
        if extra:
            errors.append(
                gettext(
                    "This row has %(cells)s cells but the header has %(columns)s: a value with "
                    "the separator in it may be missing its quotes."
                )
                % {"cells": len(cells), "columns": self.columns}
            )
        get = self._getter(cells)
        values = row.values

        first_name, last_name = get("first_name"), get("last_name")
        if "full_name" in self.mapping:
            first_name, _space, rest = " ".join(get("full_name").split()).partition(" ")
            last_name = last_name or rest
        for name, value in (("first_name", first_name), ("last_name", last_name)):
            try:
                values[name] = clean_name_part(value, name)
            except DomainError as error:
                errors.append(error.message)
        if "first_name" in values and not values["first_name"]:
            errors.append(gettext("Give the customer's first name."))

        try:
            values["phone"] = clean_phone(self.merchant, get("phone")) or ""
        except DomainError as error:
            # Translators: %(problem)s says what is wrong with the phone number.
            errors.append(gettext("Phone: %(problem)s") % {"problem": error.message})
        try:
            values["email"] = clean_email(get("email")) or ""
        except DomainError as error:
            # Translators: %(problem)s says what is wrong with the email.
            errors.append(gettext("Email: %(problem)s") % {"problem": error.message})
        if not get("phone") and not get("email"):
            errors.append(gettext("Give a phone number or an email."))

        self._dates(get, values, errors)
        self._consent(get, values, errors)

        if raw := get("language"):
            try:
                values["language"] = _parse_language(raw)
            except ValueError:
                codes = ", ".join(code for code, _name in settings.LANGUAGES)
                errors.append(
                    # Translators: %(value)s is the cell, in quotes; %(codes)s the language
                    # codes accepted ("es, ro, en").
                    gettext("Language: %(value)s is not one Fideliza speaks (%(codes)s).")
                    % {"value": repr(raw), "codes": codes}
                )
        external_id = get("external_id")
        if len(external_id) > 100:
            errors.append(gettext("External id: keep it within 100 characters."))
        values["external_id"] = external_id or None
        values["tags"] = [tag for tag in re.split(r"[,;|]", get("tags")) if tag.strip()][:20]
        if errors:
            row.kind = Kind.ERROR
        return row

    def _getter(self, cells: list[str]):
        def get(name: str) -> str:
            index = self.mapping.get(name)
            if index is None or index >= len(cells):
                return ""
            return _clean_cell(cells[index])

        return get

    def _dates(self, get, values: dict, errors: list[str]) -> None:
        # Translators: how the import reads dates, named in the messages below.
        order = gettext("day/month/year") if self.date_order == "DMY" else gettext("month/day/year")
        if raw := get("birthday"):
            try:
                birthday, _time = _parse_date(raw, self.date_order)
            except ValueError:
                errors.append(
                    # Translators: %(value)s is the cell, in quotes; %(order)s is
                    # "day/month/year" or "month/day/year".
                    gettext("Birthday: %(value)s is not a date (%(order)s, or year-month-day).")
                    % {"value": repr(raw), "order": order}
                )
            else:
                if birthday > timezone.localdate():
                    errors.append(gettext("A birthday cannot be in the future."))
                elif birthday.year < 1900:
                    errors.append(
                        # Translators: %(value)s is the cell, in quotes ('01/01/1850').
                        gettext("Birthday: %(value)s is too long ago.") % {"value": repr(raw)}
                    )
                else:
                    values["birthday"] = birthday
        if raw := get("enrolled_at"):
            try:
                moment = _parse_moment(raw, self.date_order, ZoneInfo(self.merchant.timezone))
            except ValueError:
                errors.append(
                    # Translators: "Enrolled at" is the import's column of the date a member
                    # joined; %(value)s is the cell, in quotes; %(order)s is
                    # "day/month/year" or "month/day/year".
                    gettext("Enrolled at: %(value)s is not a date (%(order)s, or year-month-day).")
                    % {"value": repr(raw), "order": order}
                )
            else:
                if moment > timezone.now():
                    errors.append(
                        # Translators: "Enrolled at" is the import's column of the date a
                        # member joined; %(value)s is the cell, in quotes.
                        gettext("Enrolled at: %(value)s is in the future.") % {"value": repr(raw)}
                    )
                else:
                    values["enrolled_at"] = moment

    def _consent(self, get, values: dict, errors: list[str]) -> None:
        both = False
        not_yes_or_no = {
            # Translators: %(value)s is the cell, in quotes ('maybe').
            "consent": gettext("Consent: %(value)s is not yes or no."),
            # Translators: %(value)s is the cell, in quotes ('maybe').
            "consent_email": gettext("Consent to email: %(value)s is not yes or no."),
            # Translators: %(value)s is the cell, in quotes ('maybe').
            "consent_sms": gettext("Consent to SMS: %(value)s is not yes or no."),
        }
        if raw := get("consent"):
            try:
                both = _parse_consent(raw)
            except ValueError:
                errors.append(not_yes_or_no["consent"] % {"value": repr(raw)})
        for name in ("consent_email", "consent_sms"):
            values[name] = both  # consent must be explicit: empty cells are a no
            if raw := get(name):
                try:
                    values[name] = _parse_consent(raw)
                except ValueError:
                    errors.append(not_yes_or_no[name] % {"value": repr(raw)})


def _same_as_row(name: str, number: int) -> str:
    """A row repeating an earlier row's phone, email or external id."""
    row = {"number": number}
    if name == "phone":
        # Translators: %(number)s is the number of an earlier row of the file.
        return gettext("Same phone as row %(number)s.") % row
    if name == "email":
        # Translators: %(number)s is the number of an earlier row of the file.
        return gettext("Same email as row %(number)s.") % row
    # Translators: %(number)s is the number of an earlier row of the file.
    return gettext("Same external id as row %(number)s.") % row


def _already_a_member(name: str, who: str) -> str:
    """A row whose phone, email or external id belongs to a member already."""
    if name == "phone":
        # Translators: %(name)s is the member's name.
        return gettext("Already a member: %(name)s (same phone).") % {"name": who}
    if name == "email":
        # Translators: %(name)s is the member's name.
        return gettext("Already a member: %(name)s (same email).") % {"name": who}
    # Translators: %(name)s is the member's name.
    return gettext("Already a member: %(name)s (same external id).") % {"name": who}


def _skip_repeats(rows: Iterable[ParsedRow], seen: dict[tuple[str, str], int]) -> None:
    """Mark rows that repeat an earlier row's phone, email or external id; remember the
    others' (rows with errors are not remembered: a later, valid row may use them)."""
    for row in rows:
        if row.kind:
            continue
        keys = row.identifiers()
        earlier = next(((key, seen[key]) for key in keys if key in seen), None)
        if earlier:
            (name, _value), number = earlier
            row.decide(Kind.DUPLICATE, _same_as_row(name, number))
            continue
        for key in keys:
            seen[key] = row.number


def _match_existing(merchant: Merchant, rows: list[ParsedRow]) -> None:
    """Rows whose phone, email or external id belongs to a member already are matched;
    the rest are to be created. One query for the whole chunk."""
    open_rows = [row for row in rows if not row.kind]
    wanted: dict[str, set[str]] = {"phone": set(), "email": set(), "external_id": set()}
    for row in open_rows:
        for name, value in row.identifiers():
            wanted[name].add(value)
    existing: dict[tuple[str, str], str] = {}
    if any(wanted.values()):
        condition = Q()
        for name, values in wanted.items():
            if values:
                condition |= Q(**{f"{name}__in": values})
        found = Member.objects.for_merchant(merchant).filter(condition).order_by()
        for member in found.only(
            "first_name", "last_name", "phone", "email", "external_id", "erased_at"
        ):
            for name in wanted:
                if getattr(member, name):
                    existing[(name, getattr(member, name))] = member.display_name
    for row in open_rows:
        match = next(((key, existing[key]) for key in row.identifiers() if key in existing), None)
        if match:
            (name, _value), who = match
            row.decide(Kind.MATCHED, _already_a_member(name, who))
        else:
            row.kind = Kind.CREATE


def _chunks(rows: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass
class Tally:
    """Counts per kind, and the first `DETAIL_LIMIT` problem rows of each kind."""

    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            (Kind.CREATE, Kind.MATCHED, Kind.DUPLICATE, Kind.ERROR), 0
        )
    )
    details: dict[str, list] = field(
        default_factory=lambda: {Kind.ERROR: [], Kind.DUPLICATE: [], Kind.MATCHED: []}
    )

    def add(self, row: ParsedRow) -> None:
        self.counts[row.kind] += 1
        shown = self.details.get(row.kind)
        if shown is not None and len(shown) < DETAIL_LIMIT:
            shown.append({"row": row.number, "messages": row.messages})

    def merge_into(self, details: dict) -> dict:
        merged = {kind: list(details.get(kind, [])) for kind in self.details}
        for kind, rows in self.details.items():
            merged[kind].extend(rows[: max(DETAIL_LIMIT - len(merged[kind]), 0)])
        return merged


# Selectors ----------------------------------------------------------------------------


def import_list(*, merchant: Merchant) -> QuerySet[MemberImport]:
    return MemberImport.objects.for_merchant(merchant).select_related("uploaded_by")


def import_is_stale(member_import: MemberImport) -> bool:
    return (
        member_import.status in (ImportStatus.ANALYZING, ImportStatus.QUEUED, ImportStatus.RUNNING)
        and timezone.now() - member_import.updated_at > STALE_AFTER
    )


def import_can_resume(member_import: MemberImport) -> bool:
    """Confirmed, and stopped by an error or by a worker that went away."""
    return (
        member_import.confirmed_at is not None
        and member_import.files_removed_at is None
        and (member_import.status == ImportStatus.FAILED or import_is_stale(member_import))
    )


def import_can_remap(member_import: MemberImport) -> bool:
    return (
        member_import.confirmed_at is None
        and member_import.files_removed_at is None
        and (
            member_import.status in (ImportStatus.MAPPING, ImportStatus.READY, ImportStatus.FAILED)
            or import_is_stale(member_import)
        )
    )


def default_date_order(merchant: Merchant) -> str:
    return "MDY" if merchant.country.code in _MONTH_FIRST_COUNTRIES else "DMY"


# Services -----------------------------------------------------------------------------


def check_size(size: int) -> None:
    if size > MAX_UPLOAD_BYTES:
        raise DomainError(
            gettext(
                # Translators: %(size)s and %(limit)s are sizes in megabytes ("20.5", "20").
                "This file is %(size)s MB; the most one import takes is %(limit)s MB. Split it "
                "into smaller files."
            )
            % {
                "size": format_number(round(size / 1024 / 1024, 1)),
                "limit": format_number(MAX_UPLOAD_BYTES // 1024 // 1024),
            },
            field="file",
            code="too_large",
        )


def import_create(
    *, merchant: Merchant, actor: User | None, file: File, encoding: str = "auto"
) -> MemberImport:
    """Keep an uploaded file for mapping. Nothing is imported yet.

    Refuses, with a message that says what to do, a file too large, not text in the
    chosen encoding, not CSV, or without rows.
    """
    check_size(file.size)
    file.seek(0)
    data = file.read()
    check_size(len(data))
    name = PurePath(file.name or "members.csv").name
    if not data.strip():
        raise DomainError(gettext("This file is empty."), field="file", code="empty")
    text = decode(data, encoding)
    parsed = ParsedFile(text, _sniff_delimiter(text))
    if not parsed.header:
        raise DomainError(gettext("This file has no rows."), field="file", code="empty")
    total, sample = 0, []
    for _number, cells in parsed.rows():
        total += 1
        if len(sample) < SAMPLE_ROWS:
            sample.append([cell.strip()[:60] for cell in cells[: len(parsed.header)]])
    if total == 0:
        raise DomainError(
            gettext("This file has a header row but no members under it."),
            field="file",
            code="empty",
        )
    if total > MAX_ROWS:
        raise DomainError(
            gettext(
                # Translators: %(rows)s and %(limit)s are numbers of rows ("600,000").
                "This file has %(rows)s rows; the most one import takes is %(limit)s. Split it "
                "into smaller files."
            )
            % {"rows": format_number(total), "limit": format_number(MAX_ROWS)},
            field="file",
            code="too_many_rows",
        )
    member_import = MemberImport(
        merchant=merchant,
        original_name=name[:255],
        size=len(data),
        encoding=encoding,
        delimiter=parsed.delimiter,
        header=parsed.header,
        sample=sample,
        rows_total=total,
        mapping=guess_mapping(parsed.header),
        date_order=default_date_order(merchant),
        status=ImportStatus.MAPPING,
        uploaded_by=actor,
    )
    member_import.file.save("upload.csv", ContentFile(data), save=False)
    try:
        member_import.save()
    except Exception:
        member_import.file.delete(save=False)
        raise
    return member_import


@transaction.atomic
def import_set_mapping(
    *, member_import: MemberImport, actor: User | None, mapping: dict[str, int], date_order: str
) -> MemberImport:
    """Say which column holds what; the dry run then checks every row in the background."""
    from .tasks import member_import_analyze

    mapping = mapping_check(mapping, columns=len(member_import.header))
    if date_order not in dict(DATE_ORDERS):
        raise DomainError(gettext("Choose how dates are written."), field="date_order")
    if not import_can_remap(member_import):
        raise Conflict(
            gettext("This import has started: its columns cannot change any more."),
            code="not_mappable",
        )
    changes = {
        "mapping": mapping,
        "date_order": date_order,
        "status": ImportStatus.ANALYZING,
        "analysis": {},
        "analyzed_rows": 0,
        "failure": "",
        "updated_at": timezone.now(),
    }
    # Conditional, so that a confirmation (or another mapping) a moment ago is not undone.
    changed = MemberImport.objects.filter(
        pk=member_import.pk, status=member_import.status, updated_at=member_import.updated_at
    ).update(**changes)
    if not changed:
        raise Conflict(
            gettext("This import changed a moment ago: look at it again."), code="changed"
        )
    for name, value in changes.items():
        setattr(member_import, name, value)
    # The report reads in the language of whoever asked for it.
    language = translation.get_language() or ""
    transaction.on_commit(lambda: member_import_analyze.delay(member_import.pk, language))
    return member_import


def _row_reader(member_import: MemberImport, merchant: Merchant) -> RowReader:
    return RowReader(
        merchant=merchant,
        mapping={name: int(index) for name, index in member_import.mapping.items()},
        date_order=member_import.date_order,
        columns=len(member_import.header),
    )


def import_analyze(*, import_id: int) -> bool:
    """The dry run: classify every row (to create, matching a member, repeated in the file,
    wrong) without writing a member. Safe to run twice. False when there was nothing to do."""
    member_import = (
        MemberImport.objects.select_related("merchant")
        .filter(pk=import_id, status=ImportStatus.ANALYZING)
        .first()
    )
    if member_import is None:
        return False
    try:
        _analyze(member_import)
    except Exception as error:
        MemberImport.objects.filter(pk=import_id, status=ImportStatus.ANALYZING).update(
            status=ImportStatus.FAILED,
            failure=_failure_text(error, importing=False),
            updated_at=timezone.now(),
        )
        raise
    return True


def _failure_text(error: Exception, *, importing: bool) -> str:
    if isinstance(error, DomainError):
        return error.message
    name = {"error": error.__class__.__name__}
    if importing:
        # Translators: %(error)s is the name of a Python exception (OperationalError).
        return gettext("Something went wrong while importing (%(error)s).") % name
    # Translators: %(error)s is the name of a Python exception (OperationalError).
    return gettext("Something went wrong while checking the file (%(error)s).") % name


def _analyze(member_import: MemberImport) -> None:
    merchant = member_import.merchant
    parsed = _read(member_import)
    reader = _row_reader(member_import, merchant)
    tally, seen, done = Tally(), {}, 0
    with tempfile.TemporaryFile() as raw:
        problems = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        writer = csv.writer(problems)
        writer.writerow(["Row", "Outcome", "Why", *parsed.header])
        for chunk in _chunks(parsed.rows(), ANALYSIS_CHUNK):
            rows = [reader.parse(number, cells) for number, cells in chunk]
            _skip_repeats(rows, seen)
            _match_existing(merchant, rows)
            for row in rows:
                tally.add(row)
                if row.kind != Kind.CREATE:
                    writer.writerow(
                        [row.number, row.kind, " ".join(row.messages)]
                        + [safe_cell(cell) for cell in row.cells]
                    )
            done += len(rows)
            MemberImport.objects.filter(pk=member_import.pk).update(
                analyzed_rows=done, updated_at=timezone.now()
            )
        problems.flush()
        raw.seek(0)
        old_problems = member_import.problems_file.name
        member_import.problems_file.save("problems.csv", File(raw), save=False)
        problems.detach()
    report = {"rows": done, "counts": tally.counts, "details": tally.details}
    saved = MemberImport.objects.filter(pk=member_import.pk, status=ImportStatus.ANALYZING).update(
        status=ImportStatus.READY,
        analysis=report,
        analyzed_rows=done,
        problems_file=member_import.problems_file.name,
        updated_at=timezone.now(),
    )
    storage = member_import.problems_file.storage
    if old_problems:
        storage.delete(old_problems)
    if not saved:  # re-mapped meanwhile: this report is not the one kept
        storage.delete(member_import.problems_file.name)


@transaction.atomic
def import_confirm(*, member_import: MemberImport, actor: User | None) -> MemberImport:
    """Start the import after the dry run, or resume one that stopped."""
    from .tasks import member_import_run

    if member_import.files_removed_at:
        raise Conflict(
            gettext("The file of this import was deleted after its keeping time: upload it again."),
            code="file_deleted",
        )
    resuming = import_can_resume(member_import)
    if not resuming and member_import.status != ImportStatus.READY:
        raise Conflict(
            gettext(
                "This import cannot start now: check the file first, or wait for it to finish."
            ),
            code="not_ready",
        )
    now = timezone.now()
    changes = {"status": ImportStatus.QUEUED, "failure": "", "updated_at": now}
    if not resuming:
        changes |= {"confirmed_by": actor, "confirmed_at": now}
    # Conditional, so that two clicks (or two managers) start it once.
    started = MemberImport.objects.filter(
        pk=member_import.pk,
        status=member_import.status,
        updated_at=member_import.updated_at,
    ).update(**changes)
    if not started:
        raise Conflict(gettext("This import was started a moment ago."), code="already_started")
    audit_record(
        merchant=member_import.merchant,
        actor=actor,
        action="members.import_resumed" if resuming else "members.import_started",
        summary=stored_text(
            # Translators: %(file)s is the name of the uploaded file.
            gettext_noop("Resumed the import of %(file)s")
            if resuming
            else gettext_noop("Started the import of %(file)s"),
            file=member_import.original_name,
        ),
        target=member_import,
    )
    # The report reads in the language of whoever started it.
    language = translation.get_language() or ""
    transaction.on_commit(lambda: member_import_run.delay(member_import.pk, language))
    member_import.refresh_from_db()
    return member_import


def import_run(*, import_id: int) -> bool:
    """Import the confirmed rows, batch by batch, from where the last run stopped.

    Safe to run twice, even at once: each batch is claimed by moving `rows_done` on with a
    conditional update, so only one run imports it; rows matching members are skipped.
    After `TASK_SECONDS` a run enqueues the next and returns, so that no task outlives the
    broker's patience (a Redis visibility timeout) or a deploy by much.
    False when there was nothing (left) to do.
    """
    now = timezone.now()
    started = MemberImport.objects.filter(
        pk=import_id, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
    ).update(status=ImportStatus.RUNNING, failure="", updated_at=now)
    if not started:
        return False
    member_import = MemberImport.objects.select_related("merchant", "confirmed_by").get(
        pk=import_id
    )
    try:
        return _import(member_import)
    except Exception as error:
        MemberImport.objects.filter(pk=import_id, status=ImportStatus.RUNNING).update(
            status=ImportStatus.FAILED,
            failure=_failure_text(error, importing=True)
            + " "
            + gettext("Every batch before it is imported; resume to carry on."),
            updated_at=timezone.now(),
        )
        raise


def _import(member_import: MemberImport) -> bool:
    from .tasks import member_import_run

    deadline = monotonic() + TASK_SECONDS
    merchant = member_import.merchant
    resume_at = member_import.rows_done
    if resume_at < member_import.rows_total:
        reader = _row_reader(member_import, merchant)
        seen: dict[tuple[str, str], int] = {}
        offset = 0
        for chunk in _chunks(_read(member_import).rows(), IMPORT_BATCH):
            rows = [reader.parse(number, cells) for number, cells in chunk]
            _skip_repeats(rows, seen)  # earlier rows too: repeats refer to them
            start, end = offset, offset + len(rows)
            offset = end
            if end <= resume_at:
                continue
            todo = rows[max(resume_at - start, 0) :]
            if not _import_batch(member_import, start=max(start, resume_at), end=end, rows=todo):
                return False  # another run is ahead of this one: it carries on
            if end < member_import.rows_total and monotonic() > deadline:
                # Hand over to a new task: no task runs longer than a broker waits for it.
                transaction.on_commit(
                    partial(
                        member_import_run.delay, member_import.pk, translation.get_language() or ""
                    )
                )
                return True
    return _finish(member_import)


def _import_batch(member_import: MemberImport, *, start: int, end: int, rows: list) -> bool:
    merchant, actor = member_import.merchant, member_import.confirmed_by
    with transaction.atomic():
        claimed = MemberImport.objects.filter(
            pk=member_import.pk, status=ImportStatus.RUNNING, rows_done=start
        ).update(rows_done=end, updated_at=timezone.now())
        if not claimed:
            return False
        _match_existing(merchant, rows)
        _enroll(merchant, actor, [row for row in rows if row.kind == Kind.CREATE])
        tally = Tally()
        for row in rows:
            tally.add(row)
        current = MemberImport.objects.get(pk=member_import.pk)  # locked by the claim above
        current.created_count += tally.counts[Kind.CREATE]
        current.matched_count += tally.counts[Kind.MATCHED]
        current.duplicate_count += tally.counts[Kind.DUPLICATE]
        current.error_count += tally.counts[Kind.ERROR]
        current.result = {"details": tally.merge_into(current.result.get("details", {}))}
        current.save(
            update_fields=[
                "created_count",
                "matched_count",
                "duplicate_count",
                "error_count",
                "result",
            ]
        )
    return True


def _enroll(merchant: Merchant, actor: User | None, rows: list[ParsedRow]) -> None:
    """Enroll the batch's new customers in one go, by `member_enroll`'s rules."""
    outcomes = members_enroll_many(
        merchant=merchant,
        rows=[{"actor": actor, "channel": Channel.IMPORT, **row.values} for row in rows],
    )
    for row, outcome in zip(rows, outcomes, strict=True):
        if isinstance(outcome.error, DuplicateMember):  # enrolled since the batch looked
            who = outcome.error.member.display_name
            # Translators: %(name)s is the member's name.
            row.decide(Kind.MATCHED, gettext("Already a member: %(name)s.") % {"name": who})
        elif outcome.error is not None:
            row.decide(Kind.ERROR, outcome.error.message)


def _finish(member_import: MemberImport) -> bool:
    with transaction.atomic():
        finished = MemberImport.objects.filter(
            pk=member_import.pk,
            status=ImportStatus.RUNNING,
            rows_done__gte=member_import.rows_total,
        ).update(status=ImportStatus.DONE, updated_at=timezone.now(), finished_at=timezone.now())
        if not finished:
            return False
        done = MemberImport.objects.get(pk=member_import.pk)
        audit_record(
            merchant=member_import.merchant,
            actor=member_import.confirmed_by,
            action="members.imported",
            summary=stored_plural(
                # Translators: %(file)s is the file's name; %(matched)s is e.g. "5 already
                # members", %(errors)s e.g. "2 rows with errors".
                "Imported %(count)s member from %(file)s (%(matched)s, %(errors)s)",
                "Imported %(count)s members from %(file)s (%(matched)s, %(errors)s)",
                done.created_count,
                file=done.original_name,
                matched=stored_plural(
                    # Translators: rows of an imported file that matched existing members.
                    "%(count)s already a member",
                    "%(count)s already members",
                    done.matched_count,
                ),
                errors=stored_plural(
                    "%(count)s row with errors",
                    "%(count)s rows with errors",
                    done.error_count,
                ),
            ),
            target=done,
            data={
                "created": done.created_count,
                "matched": done.matched_count,
                "duplicates": done.duplicate_count,
                "errors": done.error_count,
            },
        )
    return True
