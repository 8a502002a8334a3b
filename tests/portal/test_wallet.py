"""Wallet passes with throwaway credentials: a Google service account whose JWTs are
checked with its public key and whose updates reach a real local fake of Google's token
endpoint and Wallet API; an Apple pass signed by a pass certificate under a made-up
WWDR authority, checked with openssl as Wallet would check it."""

import base64
import hashlib
import io
import json
import shutil
import struct
import subprocess
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from google.auth import crypt, jwt

from apps.portal.wallet import (
    CardPass,
    WalletError,
    apple_pkpass,
    apple_wallet_configured,
    google_wallet_configured,
    google_wallet_object_update,
    google_wallet_save_url,
)
from tests.portal.conftest import ISSUER_ID, SERVICE_EMAIL, certificate, private_pem, rsa_key

PASS_FILES = {"pass.json", "manifest.json", "signature", "icon.png", "icon@2x.png"}


def card_pass(**changes) -> CardPass:
    values = {
        "serial": "mbr_abcdefghjkmnpqrstuvw",
        "merchant_name": "Café Luna",
        "member_name": "Ana Pop",
        "card_code": "7K3M9Q2X",
        "points": 120,
        "tier_name": "Gold",
        "colour": "#1B365D",
        "card_url": "https://fideliza.example/c/signed-token/",
        "language": "en",
    }
    return CardPass(**{**values, **changes})


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verified_claims(url: str, *, key: rsa.RSAPrivateKey) -> dict:
    """The save link's JWT, its RS256 signature checked with the service account's key."""
    prefix = "https://pay.google.com/gp/v/save/"
    assert url.startswith(prefix)
    token = url.removeprefix(prefix)
    signed, _, signature = token.rpartition(".")
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert crypt.RSAVerifier.from_string(public_pem).verify(signed, b64url_decode(signature))
    header = json.loads(b64url_decode(token.split(".")[0]))
    assert header["alg"] == "RS256"
    assert header["kid"] == "test-key-1"
    return jwt.decode(token, verify=False)


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def openssl_verifies(folder: Path, *, files: dict[str, bytes], ca: Path) -> bool:
    (folder / "manifest.json").write_bytes(files["manifest.json"])
    (folder / "signature").write_bytes(files["signature"])
    result = subprocess.run(
        [
            "openssl", "cms", "-verify", "-binary", "-inform", "DER",
            "-in", str(folder / "signature"), "-content", str(folder / "manifest.json"),
            "-CAfile", str(ca), "-purpose", "any", "-out", str(folder / "verified"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    return result.returncode == 0


# Not configured: no button, and nothing leaves the machine.


def test_without_settings_neither_wallet_is_offered_and_nothing_is_sent(settings, no_network):
    # given an installation that configured no wallet
    for name in ("GOOGLE_WALLET_ISSUER_ID", "GOOGLE_WALLET_SERVICE_ACCOUNT_FILE"):
        setattr(settings, name, "")
    for name in ("APPLE_PASS_TYPE_ID", "APPLE_TEAM_ID", "APPLE_PASS_CERT_FILE"):
        setattr(settings, name, "")
    # then
    assert google_wallet_configured() is False
    assert google_wallet_save_url(card=card_pass()) is None
    assert google_wallet_object_update(card=card_pass(points=5)) is False
    assert apple_wallet_configured() is False
    assert apple_pkpass(card=card_pass()) is None


def test_a_wallet_with_one_setting_missing_is_not_offered(
    settings, google_wallet, apple_wallet, no_network
):
    # given both wallets fully set up, then one setting of each left empty
    assert google_wallet_configured()
    assert apple_wallet_configured()
    settings.GOOGLE_WALLET_SERVICE_ACCOUNT_FILE = ""
    settings.APPLE_WWDR_CERT_FILE = "  "
    # then
    assert google_wallet_save_url(card=card_pass()) is None
    assert google_wallet_object_update(card=card_pass()) is False
    assert apple_pkpass(card=card_pass()) is None


# Google Wallet: the save link.


def test_the_save_link_is_a_jwt_signed_by_the_service_account(google_wallet, google_key):
    # when
    url = google_wallet_save_url(card=card_pass())
    # then
    claims = verified_claims(url, key=google_key)
    assert claims["iss"] == SERVICE_EMAIL
    assert claims["aud"] == "google"
    assert claims["typ"] == "savetowallet"
    assert claims["origins"] == ["https://fideliza.example"]
    (loyalty_object,) = claims["payload"]["loyaltyObjects"]
    assert loyalty_object["id"] == f"{ISSUER_ID}.mbr_abcdefghjkmnpqrstuvw"
    assert loyalty_object["classId"] == f"{ISSUER_ID}.loyalty"
    assert loyalty_object["state"] == "ACTIVE"
    assert loyalty_object["barcode"] == {
        "type": "QR_CODE",
        "value": "7K3M9Q2X",
        "alternateText": "7K3M9Q2X",
    }
    assert loyalty_object["loyaltyPoints"] == {"label": "Points", "balance": {"int": 120}}
    assert loyalty_object["accountName"] == "Ana Pop"
    assert loyalty_object["linksModuleData"]["uris"][0]["uri"] == card_pass().card_url
    modules = {module["id"]: module for module in loyalty_object["textModulesData"]}
    assert modules["merchant"]["body"] == "Café Luna"
    assert modules["tier"]["body"] == "Gold"


def test_a_link_signed_by_another_key_does_not_verify(google_wallet):
    url = google_wallet_save_url(card=card_pass())
    with pytest.raises(AssertionError):
        verified_claims(url, key=rsa_key())


def test_the_pass_is_written_in_the_members_language_and_shows_no_empty_tier(
    google_wallet, google_key
):
    # when a Spanish member without a tier saves the pass
    url = google_wallet_save_url(card=card_pass(language="es", tier_name=""))
    # then
    (loyalty_object,) = verified_claims(url, key=google_key)["payload"]["loyaltyObjects"]
    assert loyalty_object["loyaltyPoints"]["label"] == "Puntos"
    assert [module["id"] for module in loyalty_object["textModulesData"]] == ["merchant"]


def test_an_unreadable_key_file_is_a_wallet_error(settings, google_wallet, tmp_path):
    settings.GOOGLE_WALLET_SERVICE_ACCOUNT_FILE = str(tmp_path / "gone.json")
    with pytest.raises(WalletError):
        google_wallet_save_url(card=card_pass())


# Google Wallet: the balance kept up to date.


def test_a_new_balance_is_patched_with_the_service_accounts_token(google_wallet):
    # when the member's balance changes
    assert google_wallet_object_update(card=card_pass(points=340)) is True
    # then the fake issued a token for a signed assertion, and the patch carried it
    (token_request,) = google_wallet.sent("POST")
    assert token_request["path"] == "/token"
    grant = token_request["form"]
    assert grant["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    assertion = jwt.decode(grant["assertion"][0], verify=False)
    assert assertion["iss"] == SERVICE_EMAIL
    assert assertion["scope"] == "https://www.googleapis.com/auth/wallet_object.issuer"
    (patch,) = google_wallet.sent("PATCH")
    assert patch["path"] == f"/walletobjects/v1/loyaltyObject/{ISSUER_ID}.mbr_abcdefghjkmnpqrstuvw"
    assert patch["headers"]["authorization"] == "Bearer ya29.fake-access-token"
    assert patch["json"]["loyaltyPoints"] == {"label": "Points", "balance": {"int": 340}}


def test_a_member_who_never_saved_the_pass_is_not_an_error(google_wallet):
    # given a member whose object Google never made
    google_wallet.missing.add(f"{ISSUER_ID}.mbr_abcdefghjkmnpqrstuvw")
    # then
    assert google_wallet_object_update(card=card_pass(points=340)) is False
    assert len(google_wallet.sent("PATCH")) == 1


def test_a_refused_update_is_a_wallet_error(google_wallet):
    google_wallet.statuses = [500]
    with pytest.raises(WalletError, match="500"):
        google_wallet_object_update(card=card_pass(points=340))


def test_a_refused_token_is_a_wallet_error_and_no_patch_is_sent(google_wallet):
    google_wallet.token_status = 400
    with pytest.raises(WalletError):
        google_wallet_object_update(card=card_pass(points=340))
    assert google_wallet.sent("PATCH") == []


def test_an_unreachable_api_is_a_wallet_error(settings, google_wallet):
    # given an API address where nothing listens (the fake's port, once it is closed)
    google_wallet.close()
    with pytest.raises(WalletError):
        google_wallet_object_update(card=card_pass(points=340))


def test_the_token_url_setting_wins_over_the_key_files(settings, google_wallet, tmp_path):
    # given a key file naming a token endpoint where nothing listens
    key_file = Path(settings.GOOGLE_WALLET_SERVICE_ACCOUNT_FILE)
    info = json.loads(key_file.read_text())
    key_file.write_text(json.dumps({**info, "token_uri": "http://127.0.0.1:9/token"}))
    settings.GOOGLE_WALLET_TOKEN_URL = f"{google_wallet.url}/token"
    # then the setting's endpoint is asked
    assert google_wallet_object_update(card=card_pass(points=7)) is True
    assert [request["path"] for request in google_wallet.sent("POST")] == ["/token"]


# Apple Wallet: the signed pass.


def test_the_pkpass_holds_the_pass_its_icons_a_manifest_and_a_signature(apple_wallet):
    # when
    files = unzip(apple_pkpass(card=card_pass()))
    # then
    assert set(files) == PASS_FILES
    manifest = json.loads(files["manifest.json"])
    assert set(manifest) == PASS_FILES - {"manifest.json", "signature"}
    for name, digest in manifest.items():
        assert hashlib.sha1(files[name]).hexdigest() == digest  # noqa: S324 - Apple's choice
    assert png_size(files["icon.png"]) == (29, 29)
    assert png_size(files["icon@2x.png"]) == (58, 58)


def test_the_pass_shows_the_card_code_points_tier_and_colours(apple_wallet):
    document = json.loads(unzip(apple_pkpass(card=card_pass()))["pass.json"])
    assert document["formatVersion"] == 1
    assert document["passTypeIdentifier"] == "pass.example.fideliza"
    assert document["teamIdentifier"] == "A1B2C3D4E5"
    assert document["serialNumber"] == "mbr_abcdefghjkmnpqrstuvw"
    assert document["organizationName"] == "Café Luna"
    assert document["description"] == "Café Luna loyalty card"
    assert document["barcodes"] == [
        {
            "format": "PKBarcodeFormatQR",
            "message": "7K3M9Q2X",
            "messageEncoding": "iso-8859-1",
            "altText": "7K3M9Q2X",
        }
    ]
    store_card = document["storeCard"]
    assert store_card["primaryFields"] == [{"key": "points", "label": "Points", "value": 120}]
    secondary = {field["key"]: field["value"] for field in store_card["secondaryFields"]}
    assert secondary == {"member": "Ana Pop", "tier": "Gold"}
    assert document["backgroundColor"] == "rgb(27, 54, 93)"
    assert document["foregroundColor"] == "rgb(255, 255, 255)"  # white reads on navy


def test_the_pass_is_written_in_the_members_language(apple_wallet):
    card = card_pass(language="es", tier_name="", colour="#FFEE88")
    document = json.loads(unzip(apple_pkpass(card=card))["pass.json"])
    assert document["storeCard"]["primaryFields"][0]["label"] == "Puntos"
    assert [field["key"] for field in document["storeCard"]["secondaryFields"]] == ["member"]
    assert document["foregroundColor"] == "rgb(0, 0, 0)"  # black reads on a pale yellow


def test_the_signature_embeds_both_certificates(apple_wallet):
    files = unzip(apple_pkpass(card=card_pass()))
    embedded = pkcs7.load_der_pkcs7_certificates(files["signature"])
    assert apple_wallet["pass_cert"] in embedded
    assert apple_wallet["wwdr_cert"] in embedded


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_the_signature_verifies_against_the_wwdr_authority_only(apple_wallet, tmp_path):
    files = unzip(apple_pkpass(card=card_pass()))
    # then it verifies over the manifest as shipped, with the WWDR certificate as the root
    assert openssl_verifies(tmp_path, files=files, ca=apple_wallet["wwdr"])
    # and not over a changed manifest
    tampered = {**files, "manifest.json": files["manifest.json"].replace(b"{", b"{ ", 1)}
    assert not openssl_verifies(tmp_path, files=tampered, ca=apple_wallet["wwdr"])
    # nor against another authority
    stranger = tmp_path / "stranger.pem"
    stranger_cert = certificate(subject="Someone Else", key=rsa_key())
    stranger.write_bytes(stranger_cert.public_bytes(serialization.Encoding.PEM))
    assert not openssl_verifies(tmp_path, files=files, ca=stranger)


def test_der_certificates_and_a_password_protected_key_are_accepted(
    settings, apple_wallet, tmp_path
):
    # given the certificates as Apple hands them out (DER) and a key with a password
    wwdr_der, cert_der = tmp_path / "AppleWWDRCA.cer", tmp_path / "pass.cer"
    wwdr_der.write_bytes(apple_wallet["wwdr_cert"].public_bytes(serialization.Encoding.DER))
    cert_der.write_bytes(apple_wallet["pass_cert"].public_bytes(serialization.Encoding.DER))
    locked_key = tmp_path / "locked.pem"
    locked_key.write_bytes(private_pem(apple_wallet["pass_key"], password=b"s3cret"))
    settings.APPLE_WWDR_CERT_FILE = str(wwdr_der)
    settings.APPLE_PASS_CERT_FILE = str(cert_der)
    settings.APPLE_PASS_KEY_FILE = str(locked_key)
    settings.APPLE_PASS_KEY_PASSWORD = "s3cret"
    # when
    files = unzip(apple_pkpass(card=card_pass()))
    # then
    assert apple_wallet["wwdr_cert"] in pkcs7.load_der_pkcs7_certificates(files["signature"])
    # and a wrong password is a wallet error, not a crash of another kind
    settings.APPLE_PASS_KEY_PASSWORD = "wrong"
    with pytest.raises(WalletError):
        apple_pkpass(card=card_pass())


def test_a_missing_certificate_is_a_wallet_error(settings, apple_wallet, tmp_path):
    settings.APPLE_PASS_CERT_FILE = str(tmp_path / "missing.pem")
    with pytest.raises(WalletError):
        apple_pkpass(card=card_pass())


def test_a_serial_unfit_for_an_id_is_refused():
    with pytest.raises(ValueError, match="serial"):
        card_pass(serial="mbr/../x")
