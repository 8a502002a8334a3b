"""Which column holds what: the columns an import can fill, the mapping guessed from the
header's names and checked when a manager changes it, and how dates are written."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from apps.core.errors import DomainError
from apps.core.models import Merchant
from apps.members.identifiers import search_text

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


def default_date_order(merchant: Merchant) -> str:
    return "MDY" if merchant.country.code in _MONTH_FIRST_COUNTRIES else "DMY"
