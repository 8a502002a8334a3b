"""Google Wallet: a "Save to Google Wallet" link, and the pass kept up to date afterwards.

The link carries the whole loyalty object in a JWT signed with the installation's
service account, so Google creates the object when the member saves it: nothing is
written to Google before a member asks for the pass. The loyalty class it belongs to
(`<issuer id>.<class suffix>`: program name, logo, colours) is made once by whoever runs
the installation, in the Google Pay & Wallet Console, and shared by every merchant;
that is why each object names its merchant itself.

The Wallet REST reference: https://developers.google.com/wallet/reference/rest/v1
"""

import json
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests
from django.utils import translation
from django.utils.translation import gettext, pgettext
from google.auth import crypt, jwt
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

from apps.portal.wallet.card import CardPass, WalletError, all_set, setting_text

REQUIRED_SETTINGS = (
    "GOOGLE_WALLET_ISSUER_ID",
    "GOOGLE_WALLET_CLASS_SUFFIX",
    "GOOGLE_WALLET_SERVICE_ACCOUNT_FILE",
    "GOOGLE_WALLET_API_URL",
)
SAVE_URL = "https://pay.google.com/gp/v/save/"
SCOPE = "https://www.googleapis.com/auth/wallet_object.issuer"
# A balance update runs in a background task: it may wait, but never hang a worker.
TIMEOUT_SECONDS = 10


def google_wallet_configured() -> bool:
    return all_set(names=REQUIRED_SETTINGS)


def google_wallet_save_url(*, card: CardPass) -> str | None:
    """The "Save to Google Wallet" link for this card, or None when the installation has
    no Google Wallet issuer. Made on each page view: it costs one RSA signature and
    always carries the current balance. Raises WalletError if the key file is unusable."""
    if not google_wallet_configured():
        return None
    info = service_account_info()
    try:
        signer = crypt.RSASigner.from_service_account_info(info)
        email = info["client_email"]
    except (KeyError, ValueError) as error:
        raise WalletError("the Google Wallet service account key is unusable") from error
    claims = {
        "iss": email,
        "aud": "google",
        "typ": "savetowallet",
        "iat": int(time.time()),
        # The pages that may show the button: Google refuses the save from anywhere else.
        "origins": [site_origin()],
        "payload": {"loyaltyObjects": [loyalty_object(card=card)]},
    }
    token = jwt.encode(signer, claims).decode("ascii")
    return SAVE_URL + token


def google_wallet_object_update(*, card: CardPass) -> bool:
    """Tell Google the card changed (its balance, mostly). True when the pass was
    updated; False when there is nothing to update: no Google Wallet configured, or a
    member who never saved the pass (Google answers 404 for an object it never made).
    Any other failure raises WalletError, for the calling task to log or retry. Makes a
    network call: run it from a task after the transaction commits, never in a request."""
    return _object_patch(serial=card.serial, fields=changing_fields(card=card))


def google_wallet_object_retire(*, serial: str) -> bool:
    """The member's data was erased: the saved pass loses the name and the card link and
    shows as no longer valid. Same answers and failures as `google_wallet_object_update`."""
    fields = {
        "state": "INACTIVE",
        "accountName": "",
        "textModulesData": [],
        "linksModuleData": {"uris": []},
    }
    return _object_patch(serial=serial, fields=fields)


def _object_patch(*, serial: str, fields: dict) -> bool:
    if not google_wallet_configured():
        return False
    info = service_account_info()
    token_url = setting_text(name="GOOGLE_WALLET_TOKEN_URL")
    if token_url:
        info = {**info, "token_uri": token_url}
    object_id = quote(_object_id(serial), safe="")
    url = f"{setting_text(name='GOOGLE_WALLET_API_URL').rstrip('/')}/loyaltyObject/{object_id}"
    try:
        credentials = service_account.Credentials.from_service_account_info(info, scopes=[SCOPE])
        with AuthorizedSession(credentials, refresh_timeout=TIMEOUT_SECONDS) as session:
            response = session.patch(url, json=fields, timeout=TIMEOUT_SECONDS)
    except (GoogleAuthError, requests.RequestException, KeyError, ValueError) as error:
        raise WalletError(f"Google Wallet could not be reached: {error}") from error
    if response.status_code == 404:
        return False
    if not response.ok:
        raise WalletError(
            f"Google Wallet refused the update ({response.status_code}): {response.text[:300]}"
        )
    return True


def _object_id(serial: str) -> str:
    # The member's public id never changes, so the object saved today is found tomorrow.
    return f"{setting_text(name='GOOGLE_WALLET_ISSUER_ID')}.{serial}"


def loyalty_object_id(*, card: CardPass) -> str:
    return _object_id(card.serial)


def loyalty_object(*, card: CardPass) -> dict:
    """The LoyaltyObject resource as the JWT carries it when the member saves the pass."""
    issuer_id = setting_text(name="GOOGLE_WALLET_ISSUER_ID")
    return {
        "id": loyalty_object_id(card=card),
        "classId": f"{issuer_id}.{setting_text(name='GOOGLE_WALLET_CLASS_SUFFIX')}",
        "state": "ACTIVE",
        "accountId": card.card_code,
        "barcode": {
            "type": "QR_CODE",
            "value": card.card_code,
            # Printed under the code, for a counter whose scanner fails.
            "alternateText": card.card_code,
        },
        **changing_fields(card=card),
    }


def changing_fields(*, card: CardPass) -> dict:
    """What may change after the pass is saved, hence what an update sends: the balance,
    the tier, a corrected name. Ids and the barcode never change."""
    with translation.override(card.language):
        # Translators: on a Google Wallet pass, above the name of the business.
        shop = pgettext("wallet pass", "Shop")
        modules = [{"id": "merchant", "header": shop, "body": card.merchant_name}]
        if card.tier_name:
            modules.append(
                {"id": "tier", "header": pgettext("loyalty tier", "Tier"), "body": card.tier_name}
            )
        return {
            "accountName": card.member_name,
            "loyaltyPoints": {"label": gettext("Points"), "balance": {"int": card.points}},
            "textModulesData": modules,
            "linksModuleData": {
                "uris": [
                    {
                        "id": "card",
                        "uri": card.card_url,
                        # Translators: a link on a wallet pass to the member's card page.
                        "description": pgettext("wallet pass", "Your card page"),
                    }
                ]
            },
        }


def service_account_info() -> dict:
    """The service account's JSON key, read when needed so a rotated key takes effect."""
    path = Path(setting_text(name="GOOGLE_WALLET_SERVICE_ACCOUNT_FILE"))
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise WalletError(f"cannot read the Google Wallet service account key: {error}") from error
    if not isinstance(info, dict):
        raise WalletError("the Google Wallet service account key is not a JSON object")
    return info


def site_origin() -> str:
    parts = urlsplit(setting_text(name="SITE_URL"))
    return f"{parts.scheme}://{parts.netloc}"
