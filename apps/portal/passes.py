"""The member's card in Google Wallet and Apple Wallet, when the installation configures
them (apps/portal/wallet/: the passes themselves, which never read the database).

The card page offers a button per configured wallet; a Google pass a member saved is
kept up to date by a task queued after each commit that moved their points or their
tier. Apple passes are not pushed (that needs Apple's pass web service): a pass
downloaded again carries the new balance.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.urls import reverse

from apps.core.events import MemberErased, PointsBalanceChanged, TierChanged
from apps.members.models import Member
from apps.members.selectors import member_language
from apps.messaging.selectors import messaging_settings
from apps.portal.selectors import card_url
from apps.portal.wallet import (
    CardPass,
    WalletError,
    apple_pkpass,
    apple_wallet_configured,
    google_wallet_configured,
    google_wallet_object_retire,
    google_wallet_object_update,
    google_wallet_save_url,
)
from apps.programs.points.selectors import points_balance
from apps.programs.tiers.selectors import current_tier

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WalletButtons:
    """Where each wallet's button leads, "" for a wallet the installation has not set up."""

    google_url: str
    apple_url: str

    def __bool__(self) -> bool:
        return bool(self.google_url or self.apple_url)


def member_card_pass(*, member: Member) -> CardPass:
    """The member's card as a wallet shows it, read now."""
    tier = current_tier(member=member)
    return CardPass(
        serial=member.public_id,
        merchant_name=member.merchant.name,
        member_name=member.display_name,
        card_code=member.card_code,
        points=points_balance(member=member),
        tier_name=tier.name if tier else "",
        colour=messaging_settings(merchant=member.merchant).brand_colour,
        card_url=card_url(member=member),
        language=member_language(member=member),
    )


def wallet_buttons(*, member: Member, token: str) -> WalletButtons:
    """The card page's wallet buttons. Google's link carries the whole pass, signed now;
    Apple's leads to the pass file, made when it is asked for. A Google key that cannot
    be used leaves its button out (and is logged): the card page keeps working."""
    google, apple = google_wallet_configured(), apple_wallet_configured()
    if not (google or apple):
        return WalletButtons(google_url="", apple_url="")
    google_url = ""
    if google:
        try:
            google_url = google_wallet_save_url(card=member_card_pass(member=member)) or ""
        except WalletError as error:
            logger.warning("no Google Wallet button: %s", error)
    apple_url = reverse("portal:apple_pass", args=[token]) if apple else ""
    return WalletButtons(google_url=google_url, apple_url=apple_url)


def member_pkpass(*, member: Member) -> bytes | None:
    """The member's Apple Wallet pass file, or None without Apple Wallet configured.
    Raises WalletError when the installation's certificate or key cannot be used."""
    if not apple_wallet_configured():
        return None
    return apple_pkpass(card=member_card_pass(member=member))


def wallet_pass_update(*, member_id: int) -> bool:
    """Send the member's card as it stands now to Google Wallet. True when Google updated
    a saved pass; False with nothing to do: no Google Wallet here, a member erased or
    merged since, or one who never saved the pass (Google answers 404). Raises WalletError
    for the task to retry. Reads without a transaction: it waits on the network."""
    if not google_wallet_configured():
        return False
    member = Member.objects.active().select_related("merchant").filter(pk=member_id).first()
    if member is None:
        return False
    return google_wallet_object_update(card=member_card_pass(member=member))


def wallet_pass_update_later(happened: PointsBalanceChanged | TierChanged) -> None:
    """After the commit that moved a member's points or tier (`after_commit`): a task
    updates their Google pass. Each task sends the card as it stands when it runs, so
    two queued by one transaction both send its final state. Nothing is queued without
    Google Wallet configured."""
    if not google_wallet_configured():
        return
    if isinstance(happened, TierChanged):
        member_id = happened.change.member_id
    else:
        member_id = happened.account.member_id
    from apps.portal.tasks import wallet_pass_update_task

    wallet_pass_update_task.delay(member_id)


def wallet_pass_retire(*, public_id: str) -> bool:
    """The member was erased: their saved Google pass keeps no name and no link."""
    return google_wallet_object_retire(serial=public_id)


def wallet_pass_retire_later(erased: MemberErased) -> None:
    """`MEMBER_ERASED`, after commit: a task retires the member's Google pass."""
    if not google_wallet_configured():
        return
    from apps.portal.tasks import wallet_pass_retire_task

    wallet_pass_retire_task.delay(erased.member.public_id)
