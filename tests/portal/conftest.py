"""Fixtures of the portal's tests: a real SMTP server, and wallet passes set up with
throwaway credentials (a Google service account whose updates reach a local fake of
Google, tests/fake_google_wallet.py; an Apple pass certificate under a made-up WWDR
authority)."""

import json
import socket
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from apps.messaging.sms import outbox
from tests.fake_google_wallet import FakeGoogleWallet

ISSUER_ID = "3388000000012345678"
SERVICE_EMAIL = "wallet@fideliza-test.iam.gserviceaccount.com"


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    """The locmem SMS backend's outbox is module-level, like django.core.mail.outbox."""
    outbox.clear()
    yield
    outbox.clear()


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey, password: bytes | None = None) -> bytes:
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


@pytest.fixture
def fake_google():
    running = FakeGoogleWallet()
    yield running
    running.close()


@pytest.fixture
def google_key() -> rsa.RSAPrivateKey:
    return rsa_key()


@pytest.fixture
def google_wallet(settings, tmp_path, google_key, fake_google):
    """An installation with Google Wallet: a service-account key file whose token_uri,
    like the API URL, points at the local fake."""
    key_file = tmp_path / "service-account.json"
    key_file.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "fideliza-test",
                "private_key_id": "test-key-1",
                "private_key": private_pem(google_key).decode(),
                "client_email": SERVICE_EMAIL,
                "client_id": "1234567890",
                "token_uri": f"{fake_google.url}/token",
            }
        )
    )
    settings.GOOGLE_WALLET_ISSUER_ID = ISSUER_ID
    settings.GOOGLE_WALLET_CLASS_SUFFIX = "loyalty"
    settings.GOOGLE_WALLET_SERVICE_ACCOUNT_FILE = str(key_file)
    settings.GOOGLE_WALLET_API_URL = f"{fake_google.url}/walletobjects/v1"
    settings.GOOGLE_WALLET_TOKEN_URL = ""
    settings.SITE_URL = "https://fideliza.example/some/path"
    return fake_google


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("no network call expected")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def certificate(
    *, subject: str, key, issuer: x509.Certificate | None = None, issuer_key=None
) -> x509.Certificate:
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    is_ca = issuer is None
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not is_ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=is_ca,
                crl_sign=is_ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    return builder.sign(issuer_key or key, hashes.SHA256())


@pytest.fixture
def apple_credentials(tmp_path) -> dict:
    """A made-up WWDR authority and a pass certificate it signed, as PEM files."""
    wwdr_key, pass_key = rsa_key(), rsa_key()
    wwdr = certificate(subject="Test WWDR Authority", key=wwdr_key)
    pass_certificate = certificate(
        subject="Pass Type ID: pass.example.fideliza",
        key=pass_key,
        issuer=wwdr,
        issuer_key=wwdr_key,
    )
    files = {
        "wwdr": tmp_path / "wwdr.pem",
        "cert": tmp_path / "pass-cert.pem",
        "key": tmp_path / "pass-key.pem",
    }
    files["wwdr"].write_bytes(wwdr.public_bytes(serialization.Encoding.PEM))
    files["cert"].write_bytes(pass_certificate.public_bytes(serialization.Encoding.PEM))
    files["key"].write_bytes(private_pem(pass_key))
    return {**files, "wwdr_cert": wwdr, "pass_cert": pass_certificate, "pass_key": pass_key}


@pytest.fixture
def apple_wallet(settings, apple_credentials) -> dict:
    settings.APPLE_PASS_TYPE_ID = "pass.example.fideliza"
    settings.APPLE_TEAM_ID = "A1B2C3D4E5"
    settings.APPLE_PASS_CERT_FILE = str(apple_credentials["cert"])
    settings.APPLE_PASS_KEY_FILE = str(apple_credentials["key"])
    settings.APPLE_PASS_KEY_PASSWORD = ""
    settings.APPLE_WWDR_CERT_FILE = str(apple_credentials["wwdr"])
    return apple_credentials
