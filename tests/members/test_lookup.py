"""The counter's one search box."""

import pytest

from apps.members.selectors import member_lookup
from apps.members.services import member_erase
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db


@pytest.fixture
def lucia(team):
    return enroll(
        team,
        first_name="Lucía",
        last_name="Núñez Ortega",
        phone="600 123 456",
        email="lucia.nunez@example.com",
    )


def _find(team, term):
    return member_lookup(merchant=team.merchant, term=term)


@pytest.mark.parametrize(
    "term",
    [
        "600123456",
        "600 12 34 56",
        "600-123-456",
        "+34 600 123 456",
        "0034600123456",
        "(+34) 600.123.456",
    ],
)
def test_any_spelling_of_the_phone_finds_the_member(team, lucia, term):
    assert _find(team, term) == [lucia]


@pytest.mark.parametrize("term", ["600 12", "+34 6001", "0034 60012"])
def test_a_partial_phone_finds_by_prefix_as_the_cashier_types(team, lucia, term):
    assert lucia in _find(team, term)


@pytest.mark.parametrize("term", ["LUCIA.NUNEZ@EXAMPLE.COM", "lucia.nunez@"])
def test_email_is_case_insensitive_and_prefix(team, lucia, term):
    assert _find(team, term) == [lucia]


@pytest.mark.parametrize("term", ["lucia", "Lucía Nú", "nunez", "NUÑEZ ORTEGA", "nunez ortega luc"])
def test_names_match_by_first_or_last_name_without_accents(team, lucia, term):
    assert _find(team, term) == [lucia]


def test_card_code_matches_with_dash_or_lower_case(team, lucia):
    code = lucia.card_code
    assert _find(team, f"{code[:4]}-{code[4:]}".lower()) == [lucia]


def test_nothing_from_another_merchant_is_found(team, other_team, lucia):
    assert _find(other_team, "600123456") == []
    assert _find(other_team, "lucia") == []


def test_too_short_or_unknown_terms_find_nobody(team, lucia):
    assert _find(team, "l") == []
    assert _find(team, "zzz") == []
    assert _find(team, "999 999 999") == []


def test_erased_members_cannot_be_found(team, lucia):
    member_erase(member=lucia, actor=team.manager)
    assert _find(team, "lucia") == []
    assert _find(team, lucia.card_code) == []


def test_an_all_digit_card_code_is_found_though_it_looks_like_a_phone(team, monkeypatch):
    monkeypatch.setattr("apps.members.services.enrollment.new_card_code", lambda: "12345678")
    member = enroll(team, first_name="Digits")
    assert _find(team, "1234-5678") == [member]
    assert _find(team, "12345678") == [member]
