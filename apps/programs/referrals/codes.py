"""How referral codes and emails are written down and compared."""

import secrets

from apps.members.identifiers import CARD_ALPHABET

CODE_LENGTH = 6  # 32^6 ≈ 10^9 per merchant: short to say aloud, drawn again on a clash
_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
_DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def new_code() -> str:
    return "".join(secrets.choice(CARD_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str | None:
    """'k7m-2qx', 'K7M 2QX' or 'K7M2QX' -> 'K7M2QX' (O read as 0, I and L as 1, U as V);
    None if it cannot be a referral code."""
    compact = "".join((raw or "").split()).replace("-", "").upper().translate(_READS_AS)
    if len(compact) == CODE_LENGTH and all(char in CARD_ALPHABET for char in compact):
        return compact
    return None


def canonical_email(email: str | None) -> str | None:
    """The mailbox an address delivers to, for telling whether two addresses are one
    person's: lower case, a '+tag' removed, and dots ignored at Gmail (which ignores them).
    'Ana.Diaz+shop@GoogleMail.com' -> 'anadiaz@gmail.com'."""
    if not email or "@" not in email:
        return None
    local, _at, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in _DOTLESS_DOMAINS:
        domain = _DOTLESS_DOMAINS[domain]
        local = local.replace(".", "")
    return f"{local}@{domain}"
