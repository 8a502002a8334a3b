"""How many SMS a text costs: GSM-7 or UCS-2, and the segments it splits into.

A text whose every character is in the GSM 03.38 alphabet travels as 7-bit septets: 160
in one SMS, 153 per part once it is split (each part carries a header). One character
outside that alphabet (a Romanian "ș", a Spanish "á", an emoji, a non-breaking space
pasted from a word processor) sends the whole text as UCS-2: 70 UTF-16 code units in one
SMS, 67 per part. Merchants pay per part, so the editor shows the count and names the
characters that switched the encoding (`sms_length_warning`).
"""

from dataclasses import dataclass
from typing import Literal

from django.utils.translation import ngettext

# GSM 03.38 default alphabet, in table order (0x00-0x7F); 0x1B, the escape to the
# extension table, is no character of its own and is left out.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# The extension table: each is sent as the escape plus one septet, so it counts two.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True)
class SmsSegments:
    """What a text costs: `length` is in septets (GSM-7) or UTF-16 code units (UCS-2),
    `per_segment` the room in each part, `non_gsm` the characters that forced UCS-2."""

    encoding: Encoding
    length: int
    segments: int
    per_segment: int
    non_gsm: tuple[str, ...]


def _gsm7_units(character: str) -> int:
    return 2 if character in GSM7_EXTENSION else 1


def _ucs2_units(character: str) -> int:
    return 2 if ord(character) > 0xFFFF else 1  # a surrogate pair (most emoji)


def _parts(units: list[int], *, room: int) -> int:
    """Parts needed when no character may be cut in two: a phone splits before an
    extension character's escape or a surrogate pair that does not fit, leaving a gap."""
    parts, used = 1, 0
    for size in units:
        if used + size > room:
            parts, used = parts + 1, 0
        used += size
    return parts


def sms_segments(*, text: str) -> SmsSegments:
    """Count `text` as a phone and Twilio do: the encoding, its length in that encoding,
    and the parts it is sent (and billed) as. An empty text is no message: 0 parts."""
    non_gsm = tuple(
        dict.fromkeys(c for c in text if c not in GSM7_BASIC and c not in GSM7_EXTENSION)
    )
    if non_gsm:
        encoding: Encoding = "UCS-2"
        units = [_ucs2_units(c) for c in text]
        single, part = UCS2_SINGLE, UCS2_PART
    else:
        encoding = "GSM-7"
        units = [_gsm7_units(c) for c in text]
        single, part = GSM7_SINGLE, GSM7_PART
    length = sum(units)
    if length == 0:
        return SmsSegments(encoding, 0, 0, single, non_gsm)
    if length <= single:
        return SmsSegments(encoding, length, 1, single, non_gsm)
    return SmsSegments(encoding, length, _parts(units, room=part), part, non_gsm)


def _shown(character: str) -> str:
    """A character as the warning names it: invisible ones (a non-breaking space, a
    zero-width joiner) by their code point, which a reader can search for."""
    if character.isprintable() and not character.isspace():
        return character
    return f"U+{ord(character):04X}"


def sms_length_warning(*, text: str) -> str | None:
    """The sentence an editor shows when characters outside GSM-7 halve the room in each
    SMS, naming them so the writer can replace them; None when the text is GSM-7."""
    counted = sms_segments(text=text)
    if not counted.non_gsm:
        return None
    characters = " ".join(_shown(c) for c in counted.non_gsm)
    return ngettext(
        "“%(characters)s” makes this message Unicode: %(unicode)s characters per SMS"
        " instead of %(gsm)s.",
        "“%(characters)s” make this message Unicode: %(unicode)s characters per SMS"
        " instead of %(gsm)s.",
        len(counted.non_gsm),
    ) % {"characters": characters, "unicode": UCS2_SINGLE, "gsm": GSM7_SINGLE}
