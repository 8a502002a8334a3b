"""How codes and emails are read: forgiving for people, exact for the database."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.members.identifiers import CARD_ALPHABET
from apps.programs.referrals.codes import CODE_LENGTH, canonical_email, normalize_code

codes = st.text(alphabet=CARD_ALPHABET, min_size=CODE_LENGTH, max_size=CODE_LENGTH)


@given(codes)
def test_a_code_reads_back_however_it_is_written(code):
    spoken = f" {code[:3].lower()} - {code[3:]} "

    assert normalize_code(code) == code
    assert normalize_code(f"{code[:3]}-{code[3:]}") == code
    assert normalize_code(spoken) == code


@pytest.mark.parametrize("raw", ["", "ABC", "ABCDEFG", "ABC-DE!", None])
def test_what_cannot_be_a_code_is_none(raw):
    assert normalize_code(raw) is None


def test_look_alike_letters_read_as_digits():
    assert normalize_code("oil-uuu") == "011VVV"


@pytest.mark.parametrize(
    ("email", "canonical"),
    [
        ("Ana.Diaz+shop@GoogleMail.com", "anadiaz@gmail.com"),
        ("ana.diaz@gmail.com", "anadiaz@gmail.com"),
        ("ana.diaz+x@example.com", "ana.diaz@example.com"),  # dots matter elsewhere
        ("ANA@Example.COM", "ana@example.com"),
        ("", None),
        (None, None),
    ],
)
def test_canonical_email(email, canonical):
    assert canonical_email(email) == canonical
