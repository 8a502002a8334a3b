"""How members are written down and looked up: phones, emails, names and card codes.

Everything a member is found by is stored in one canonical spelling, and every search
term goes through the same functions, so "+34 600 12 34 56", "600-123-456" and
"0034600123456" all find the same person.
"""

import secrets
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext

# Crockford's base 32 without I, L, O, U: nothing a cashier can misread or mistype.
CARD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CARD_LENGTH = 8  # 32^8 ≈ 10^12 codes per merchant
_CARD_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


class InvalidIdentifier(ValueError):
    pass


def normalize_phone(raw: str, country: str) -> str:
    """Any common spelling of a number -> E.164 ('+34600123456'), or InvalidIdentifier."""
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException as error:
        # Translators: %(value)s is what was typed, in quotes ('12').
        message = gettext("%(value)s is not a phone number.")
        raise InvalidIdentifier(message % {"value": repr(raw)}) from error
    if not phonenumbers.is_valid_number(number):
        if raw.strip().startswith(("+", "00")):
            message = gettext(
                # Translators: %(value)s is what was typed, in quotes ('+34 12').
                "%(value)s is not a valid phone number; include the country code if it is "
                "from abroad."
            )
        else:
            message = gettext(
                # Translators: %(value)s is what was typed, in quotes ('612'); the country
                # is the business's.
                "%(value)s is not a valid phone number for this country; include the country "
                "code if it is from abroad."
            )
        raise InvalidIdentifier(message % {"value": repr(raw)})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """'+34600123456' -> '+34 600 12 34 56' for display."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalize_email(raw: str) -> str:
    email = raw.strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        # Translators: %(value)s is what was typed, in quotes ('ana@').
        message = gettext("%(value)s is not an email address.")
        raise InvalidIdentifier(message % {"value": repr(raw.strip())}) from error
    return email


def search_text(*parts: str) -> str:
    """Lower case, accents and extra spaces removed: 'José  Núñez' -> 'jose nunez'."""
    joined = " ".join(part for part in parts if part)
    decomposed = unicodedata.normalize("NFKD", joined)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.lower().split())


def new_card_code() -> str:
    return "".join(secrets.choice(CARD_ALPHABET) for _ in range(CARD_LENGTH))


def normalize_card_code(raw: str) -> str | None:
    """'abcd-efgh' or 'ABCDEFGH' -> 'ABCDEFGH'; None if it cannot be a card code."""
    compact = "".join(raw.split()).replace("-", "").upper().translate(_CARD_READS_AS)
    if len(compact) == CARD_LENGTH and all(char in CARD_ALPHABET for char in compact):
        return compact
    return None


def format_card_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def new_public_id() -> str:
    """An opaque id for URLs and the API: no count of members leaks through it."""
    return "mbr_" + "".join(secrets.choice(CARD_ALPHABET.lower()) for _ in range(20))
