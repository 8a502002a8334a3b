"""Apple Wallet: the member's card as a signed `.pkpass` file.

A pass is a zip of pass.json, its images, a manifest of their SHA-1 hashes and a
detached PKCS#7 signature of that manifest, made with the installation's Pass Type ID
certificate and carrying Apple's WWDR intermediate certificate, which is what Wallet
checks the signature against. The format: Apple's "Wallet Passes" developer
documentation (PassKit Package Format Reference).

Passes are not pushed again when the balance changes (that needs Apple's pass web
service); a member sees the new balance on the card page and in a pass downloaded again.
"""

import hashlib
import io
import json
import zipfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from django.utils import translation
from django.utils.translation import gettext, pgettext

from apps.portal.wallet.card import CardPass, WalletError, all_set, readable_on, rgb, setting_text
from apps.portal.wallet.png import solid_png

REQUIRED_SETTINGS = (
    "APPLE_PASS_TYPE_ID",
    "APPLE_TEAM_ID",
    "APPLE_PASS_CERT_FILE",
    "APPLE_PASS_KEY_FILE",
    "APPLE_WWDR_CERT_FILE",
)
# Apple's icon sizes in points, at 1x and 2x: the icon shows on the lock screen and in
# notifications, and a pass without icon.png is refused by Wallet.
ICON_POINTS = 29


def apple_wallet_configured() -> bool:
    return all_set(names=REQUIRED_SETTINGS)


def apple_pkpass(*, card: CardPass) -> bytes | None:
    """The card as a `.pkpass` file (serve it as application/vnd.apple.pkpass), or None
    when the installation has no Apple pass certificate. Raises WalletError when the
    certificate, its key or the WWDR certificate cannot be read."""
    if not apple_wallet_configured():
        return None
    colour = rgb(colour=card.colour)
    files = {
        "pass.json": json.dumps(pass_json(card=card), ensure_ascii=False).encode(),
        "icon.png": solid_png(size=ICON_POINTS, rgb=colour),
        "icon@2x.png": solid_png(size=ICON_POINTS * 2, rgb=colour),
    }
    # Apple asks for SHA-1 here: the manifest lists every file, and the signature covers it.
    digests = {
        name: hashlib.sha1(data, usedforsecurity=False).hexdigest() for name, data in files.items()
    }
    manifest = json.dumps(digests).encode()
    files["manifest.json"] = manifest
    files["signature"] = manifest_signature(manifest=manifest)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def pass_json(*, card: CardPass) -> dict:
    background = rgb(colour=card.colour)
    foreground = css_rgb(readable_on(background=background))
    with translation.override(card.language):
        secondary = [{"key": "member", "label": gettext("Member"), "value": card.member_name}]
        if card.tier_name:
            secondary.append(
                {"key": "tier", "label": pgettext("loyalty tier", "Tier"), "value": card.tier_name}
            )
        return {
            "formatVersion": 1,
            "passTypeIdentifier": setting_text(name="APPLE_PASS_TYPE_ID"),
            "teamIdentifier": setting_text(name="APPLE_TEAM_ID"),
            # The member's public id: the same member always gets the same pass, replaced
            # in Wallet rather than added twice.
            "serialNumber": card.serial,
            "organizationName": card.merchant_name,
            # Read aloud by VoiceOver; Wallet shows it nowhere else.
            # Translators: describes an Apple Wallet pass to the blind; the business's name.
            "description": gettext("%(merchant)s loyalty card") % {"merchant": card.merchant_name},
            "logoText": card.merchant_name,
            "backgroundColor": css_rgb(background),
            "foregroundColor": foreground,
            "labelColor": foreground,
            "storeCard": {
                "primaryFields": [
                    {"key": "points", "label": gettext("Points"), "value": card.points}
                ],
                "secondaryFields": secondary,
                "backFields": [
                    {
                        "key": "card",
                        "label": pgettext("wallet pass", "Your card page"),
                        "value": card.card_url,
                    }
                ],
            },
            "barcodes": [
                {
                    "format": "PKBarcodeFormatQR",
                    "message": card.card_code,
                    "messageEncoding": "iso-8859-1",
                    # Printed under the code, for a counter whose scanner fails.
                    "altText": card.card_code,
                }
            ],
        }


def manifest_signature(*, manifest: bytes) -> bytes:
    """Detached PKCS#7 (DER) over the manifest, with the WWDR intermediate embedded."""
    certificate = load_certificate(setting_text(name="APPLE_PASS_CERT_FILE"))
    wwdr = load_certificate(setting_text(name="APPLE_WWDR_CERT_FILE"))
    password = setting_text(name="APPLE_PASS_KEY_PASSWORD")
    try:
        key = serialization.load_pem_private_key(
            Path(setting_text(name="APPLE_PASS_KEY_FILE")).read_bytes(),
            password=password.encode() if password else None,
        )
    except (OSError, ValueError, TypeError) as error:
        raise WalletError(f"cannot read the Apple pass key: {error}") from error
    try:
        return (
            pkcs7.PKCS7SignatureBuilder()
            .set_data(manifest)
            .add_signer(certificate, key, hashes.SHA256())
            .add_certificate(wwdr)
            .sign(
                serialization.Encoding.DER,
                [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
            )
        )
    except (TypeError, ValueError) as error:
        raise WalletError(f"cannot sign the Apple pass: {error}") from error


def load_certificate(path: str) -> x509.Certificate:
    """PEM or DER: Apple hands out both certificates as DER (.cer), and the usual
    openssl conversion gives PEM."""
    try:
        data = Path(path).read_bytes()
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except (OSError, ValueError) as error:
        raise WalletError(f"cannot read the certificate {Path(path).name}: {error}") from error


def css_rgb(colour: tuple[int, int, int]) -> str:
    return "rgb({}, {}, {})".format(*colour)
