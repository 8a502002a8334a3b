"""Segment counting: GSM-7 or UCS-2, and where each tips into one more SMS."""

import unicodedata

import pytest
from django.utils import translation

from apps.messaging.sms import SmsSegments, sms_length_warning, sms_segments
from apps.messaging.sms.segments import GSM7_BASIC, GSM7_EXTENSION


def test_the_alphabet_is_gsm_03_38():
    # given the default alphabet (0x1B, the escape, is no character) and its extension
    # then: 127 characters, and the accented letters are exactly the table's
    assert len(GSM7_BASIC) == 127
    assert set("\f^{}\\[~]|€") == GSM7_EXTENSION
    accented = {c for c in GSM7_BASIC if unicodedata.decomposition(c)}
    assert accented == set("èéùìòÇÅåÄÖÑÜäöñüàÉ")
    for letter in "ñÑéÉàèìòùÇÄÖÜäöüß¿¡§ΔΩ":
        assert letter in GSM7_BASIC
    for letter in "áíóúÁÍÓÚçâêîôûãõăâîșțȘȚşţ":
        assert letter not in GSM7_BASIC | GSM7_EXTENSION


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SmsSegments("GSM-7", 0, 0, 160, ())),
        ("a" * 160, SmsSegments("GSM-7", 160, 1, 160, ())),
        ("a" * 161, SmsSegments("GSM-7", 161, 2, 153, ())),
        ("a" * 306, SmsSegments("GSM-7", 306, 2, 153, ())),
        ("a" * 307, SmsSegments("GSM-7", 307, 3, 153, ())),
        ("ș" * 70, SmsSegments("UCS-2", 70, 1, 70, ("ș",))),
        ("ș" * 71, SmsSegments("UCS-2", 71, 2, 67, ("ș",))),
        ("ș" * 134, SmsSegments("UCS-2", 134, 2, 67, ("ș",))),
        ("ș" * 135, SmsSegments("UCS-2", 135, 3, 67, ("ș",))),
    ],
)
def test_the_edges_of_one_and_more_segments(text, expected):
    assert sms_segments(text=text) == expected


def test_an_extension_character_counts_two_septets():
    # given 158 letters and a euro sign: 160 septets, one SMS
    assert sms_segments(text="a" * 158 + "€") == SmsSegments("GSM-7", 160, 1, 160, ())
    # when one more letter comes, it is 161 septets: two parts
    assert sms_segments(text="a" * 159 + "€").segments == 2
    # then every extension character counts two
    assert sms_segments(text="[]{}^~\\|€").length == 18


def test_an_extension_character_is_not_cut_at_the_153_boundary():
    # given a euro sign that would straddle the end of the first part (152 + 2 septets)
    fits = "a" * 152 + "€" + "a" * 151  # 305 septets: part 2 holds € and 151 letters
    spills = "a" * 152 + "€" + "a" * 152  # 306 septets, but part 1 can hold only 152
    # then the escape is moved whole to the next part, which can make a third one
    assert sms_segments(text=fits).segments == 2
    assert sms_segments(text=spills) == SmsSegments("GSM-7", 306, 3, 153, ())
    # while 306 septets without the straddle fill two parts exactly
    assert sms_segments(text="a" * 153 + "€" + "a" * 151).segments == 2


def test_spanish_ene_stays_gsm7_but_an_acute_a_does_not():
    assert sms_segments(text="Mañana, señor Muñoz").encoding == "GSM-7"
    assert sms_segments(text="¿Qué tal? ÑAND€").encoding == "GSM-7"
    counted = sms_segments(text="Está aquí")
    assert counted.encoding == "UCS-2"
    assert counted.non_gsm == ("á", "í")


def test_romanian_comma_letters_force_ucs2_and_are_named_once_each():
    counted = sms_segments(text="Mulțumim! Punctele tale așteaptă: ț ș")
    assert counted.encoding == "UCS-2"
    assert counted.per_segment == 70
    assert counted.non_gsm == ("ț", "ș", "ă")


def test_an_emoji_counts_two_code_units():
    counted = sms_segments(text="Hola 🎉")
    assert counted == SmsSegments("UCS-2", 7, 1, 70, ("🎉",))
    # 35 emoji fill one SMS exactly; a 36th needs a second
    assert sms_segments(text="🎉" * 35).segments == 1
    assert sms_segments(text="🎉" * 36).segments == 2


def test_a_surrogate_pair_is_not_cut_at_the_67_boundary():
    # given 66 code units and an emoji: 68 units, the emoji cannot start at unit 67
    text = "ș" * 66 + "🎉" + "ș" * 66  # 134 units: 2 × 67, were the pair cut in two
    assert sms_segments(text=text) == SmsSegments("UCS-2", 134, 3, 67, ("ș", "🎉"))
    assert sms_segments(text="ș" * 65 + "🎉" + "ș" * 67).segments == 2


def test_no_warning_for_a_gsm7_text():
    assert sms_length_warning(text="Tienes 120 puntos, señora Muñoz. ¡Gracias!") is None


def test_the_warning_names_the_characters():
    with translation.override("en"):
        one = sms_length_warning(text="Ai 120 de puncte, mulțumim!")
        two = sms_length_warning(text="Mulțumim, aștept")
    assert one == "“ț” makes this message Unicode: 70 characters per SMS instead of 160."
    assert two == "“ț ș” make this message Unicode: 70 characters per SMS instead of 160."


def test_the_warning_shows_an_invisible_character_by_its_code_point():
    with translation.override("en"):
        warning = sms_length_warning(text="120\u00a0puntos")
    assert warning is not None
    assert warning.startswith("“U+00A0” makes this message Unicode")
