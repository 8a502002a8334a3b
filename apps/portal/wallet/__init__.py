"""Wallet passes for a member's card: "Save to Google Wallet" and "Add to Apple Wallet".

Both are optional, per installation: each wallet is on when every one of its settings is
set (config/settings/base.py, "Wallet passes"), and its functions answer None or False
otherwise, so a page shows a button only when its function gave it something to link to.
Nothing here reads the database: the caller describes the card with a `CardPass`.
"""

from apps.portal.wallet.apple_wallet import apple_pkpass, apple_wallet_configured
from apps.portal.wallet.card import CardPass, WalletError
from apps.portal.wallet.google_wallet import (
    google_wallet_configured,
    google_wallet_object_retire,
    google_wallet_object_update,
    google_wallet_save_url,
)

__all__ = [
    "CardPass",
    "WalletError",
    "apple_pkpass",
    "apple_wallet_configured",
    "google_wallet_configured",
    "google_wallet_object_retire",
    "google_wallet_object_update",
    "google_wallet_save_url",
]
