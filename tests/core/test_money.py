from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.core.money import (
    Rounding,
    currency_choices,
    divide,
    format_money,
    is_currency,
    minor_digits,
    money_locale,
    to_major,
    to_minor,
)


@pytest.mark.parametrize(
    ("numerator", "denominator", "rounding", "expected"),
    [
        (5, 2, Rounding.DOWN, 2),
        (5, 2, Rounding.UP, 3),
        (5, 2, Rounding.HALF_UP, 3),
        (5, 2, Rounding.HALF_EVEN, 2),
        (7, 2, Rounding.HALF_EVEN, 4),
        (-5, 2, Rounding.HALF_UP, -3),
        (-5, 2, Rounding.DOWN, -2),
        (-5, 2, Rounding.HALF_EVEN, -2),
        (4, 3, Rounding.HALF_UP, 1),
        (5, 3, Rounding.HALF_UP, 2),
        (0, 7, Rounding.UP, 0),
        (6, 3, Rounding.UP, 2),
        (10**30 + 1, 2, Rounding.HALF_UP, 5 * 10**29 + 1),
    ],
)
def test_divide_rounds_as_named(numerator, denominator, rounding, expected):
    assert divide(numerator, denominator, rounding=rounding) == expected


def test_divide_refuses_zero_and_floats():
    with pytest.raises(ZeroDivisionError):
        divide(1, 0, rounding=Rounding.DOWN)
    with pytest.raises(TypeError):
        divide(1.5, 2, rounding=Rounding.DOWN)


_EXACT = {
    Rounding.DOWN: lambda q: int(q),
    Rounding.UP: lambda q: int(q) + (q != int(q)) * (1 if q > 0 else -1),
}


@given(
    numerator=st.integers(min_value=-(10**18), max_value=10**18),
    denominator=st.integers(min_value=-(10**9), max_value=10**9).filter(bool),
)
def test_divide_agrees_with_exact_fractions(numerator, denominator):
    exact = Fraction(numerator, denominator)
    for rounding, expected in _EXACT.items():
        assert divide(numerator, denominator, rounding=rounding) == expected(exact)
    half_up = divide(numerator, denominator, rounding=Rounding.HALF_UP)
    assert abs(Fraction(half_up) - exact) <= Fraction(1, 2)
    assert round(exact) == divide(numerator, denominator, rounding=Rounding.HALF_EVEN)


@pytest.mark.parametrize(
    ("typed", "currency", "minor"),
    [
        ("12.50", "EUR", 1250),
        ("12.5", "EUR", 1250),
        ("0", "EUR", 0),
        ("1500", "JPY", 1500),
        ("1.234", "KWD", 1234),
        (" 7 ", "USD", 700),
    ],
)
def test_to_minor_reads_typed_amounts(typed, currency, minor):
    assert to_minor(typed, currency) == minor
    assert to_major(minor, currency) == Decimal(typed.strip())


@pytest.mark.parametrize(
    ("typed", "currency"),
    [
        ("1.001", "EUR"),
        ("1.5", "JPY"),
        ("abc", "EUR"),
        ("NaN", "EUR"),
        ("Infinity", "EUR"),
        ("", "EUR"),
    ],
)
def test_to_minor_refuses_what_is_not_an_amount(typed, currency):
    with pytest.raises(ValueError, match=r"amount|decimals"):
        to_minor(typed, currency)


def test_currency_facts_come_from_iso_4217():
    assert minor_digits("EUR") == 2
    assert minor_digits("JPY") == 0
    assert is_currency("MXN")
    assert not is_currency("XAU")
    assert not is_currency("EURO")
    codes = [code for code, _label in currency_choices()]
    assert "EUR" in codes
    assert codes == sorted(codes)


def test_format_money_follows_the_locale():
    assert format_money(123456, "EUR", money_locale("es", "ES")) == "1.234,56\xa0€"
    assert format_money(123456, "USD", money_locale("en", "US")) == "$1,234.56"
    assert format_money(1500, "JPY", money_locale("en", "US")) == "¥1,500"


def test_money_locale_prefers_language_and_country_then_falls_back():
    assert str(money_locale("pt", "BR")) == "pt_BR"
    assert str(money_locale("pt", "PT")) == "pt_PT"
    assert str(money_locale("xx", "ES")) == "en"
