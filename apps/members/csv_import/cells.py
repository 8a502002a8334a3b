"""Reading one row: dates, consent and languages as people write them, and each row's
cells turned into `member_enroll` arguments, or what is wrong with them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from apps.core.csv import clean_cell
from apps.core.errors import DomainError
from apps.core.languages import language_codes
from apps.core.models import Merchant
from apps.members.identifiers import search_text

# The same checks `member_enroll` applies, so the dry run predicts what the import does.
from apps.members.services import clean_email, clean_name_part, clean_phone

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


def parse_date(raw: str, order: str) -> tuple[date, str]:
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


def parse_moment(raw: str, order: str, zone: ZoneInfo) -> datetime:
    """A date, or a date and time, in the merchant's time zone unless it says otherwise."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        day, rest = parse_date(raw, order)
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


def parse_consent(raw: str) -> bool:
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


def parse_language(raw: str) -> str:
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
                values[name] = clean_name_part(value=value, field=name)
            except DomainError as error:
                errors.append(error.message)
        if "first_name" in values and not values["first_name"]:
            errors.append(gettext("Give the customer's first name."))

        try:
            values["phone"] = clean_phone(merchant=self.merchant, raw=get("phone")) or ""
        except DomainError as error:
            # Translators: %(problem)s says what is wrong with the phone number.
            errors.append(gettext("Phone: %(problem)s") % {"problem": error.message})
        try:
            values["email"] = clean_email(raw=get("email")) or ""
        except DomainError as error:
            # Translators: %(problem)s says what is wrong with the email.
            errors.append(gettext("Email: %(problem)s") % {"problem": error.message})
        if not get("phone") and not get("email"):
            errors.append(gettext("Give a phone number or an email."))

        self._dates(get, values, errors)
        self._consent(get, values, errors)

        if raw := get("language"):
            try:
                values["language"] = parse_language(raw)
            except ValueError:
                codes = ", ".join(language_codes())
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
            return clean_cell(cells[index])

        return get

    def _dates(self, get, values: dict, errors: list[str]) -> None:
        # Translators: how the import reads dates, named in the messages below.
        order = gettext("day/month/year") if self.date_order == "DMY" else gettext("month/day/year")
        if raw := get("birthday"):
            try:
                birthday, _time = parse_date(raw, self.date_order)
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
                moment = parse_moment(raw, self.date_order, ZoneInfo(self.merchant.timezone))
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
                both = parse_consent(raw)
            except ValueError:
                errors.append(not_yes_or_no["consent"] % {"value": repr(raw)})
        for name in ("consent_email", "consent_sms"):
            values[name] = both  # consent must be explicit: empty cells are a no
            if raw := get(name):
                try:
                    values[name] = parse_consent(raw)
                except ValueError:
                    errors.append(not_yes_or_no[name] % {"value": repr(raw)})
