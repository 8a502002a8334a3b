"""What a wallet pass shows, whichever wallet holds it, and the helpers both wallets share."""

import re
from dataclasses import dataclass

from django.conf import settings

HEX_COLOUR = re.compile(r"#?([0-9a-fA-F]{6})")
# Google's object ids and Apple's serial numbers both live in URLs; the member's public id
# is made of these characters already, and anything else would break the id silently.
SERIAL = re.compile(r"[A-Za-z0-9_-]{1,64}")
# When the merchant's colour cannot be read, the pass still needs one.
FALLBACK_RGB = (0x33, 0x33, 0x33)


@dataclass(frozen=True)
class CardPass:
    """One member's card as a wallet shows it: built by the caller from the member, so
    this package never touches the database."""

    serial: str  # the member's public id ("mbr_..."): stable, so an update finds the pass
    merchant_name: str
    member_name: str
    card_code: str  # what the counter scans
    points: int
    tier_name: str  # "" when the member has no tier
    colour: str  # "#RRGGBB", the merchant's
    card_url: str  # the member's card page
    language: str  # "es", "ro", "en": the pass is written in the member's language

    def __post_init__(self) -> None:
        if not SERIAL.fullmatch(self.serial):
            raise ValueError(f"not a usable pass serial: {self.serial!r}")


class WalletError(Exception):
    """A wallet provider refused or could not be reached. Not a member's mistake: the
    caller (a task) logs it or retries; the card page keeps working without the pass."""

    code = "wallet_unavailable"


def setting_text(*, name: str) -> str:
    """A wallet setting, read when used (never at import) so tests and a reloaded
    configuration take effect; an unset one reads as empty, which means "not configured"."""
    return str(getattr(settings, name, "") or "").strip()


def all_set(*, names: tuple[str, ...]) -> bool:
    return all(setting_text(name=name) for name in names)


def rgb(*, colour: str) -> tuple[int, int, int]:
    match = HEX_COLOUR.fullmatch(colour.strip())
    if not match:
        return FALLBACK_RGB
    value = int(match.group(1), 16)
    return (value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF


def readable_on(*, background: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white text, whichever reads on the merchant's colour (WCAG's relative
    luminance, with the usual 0.179 threshold between the two)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in background)
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return (0, 0, 0) if luminance > 0.179 else (255, 255, 255)
