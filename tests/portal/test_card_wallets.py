"""Wallet passes on the member's card, only where the installation configures them: the
buttons on the card page, the Apple pass file behind the card's own token checks, and a
saved Google pass kept up to date after each change of points or tier, through a local
fake of Google (tests/fake_google_wallet.py)."""

import hashlib
import io
import json
import re
import zipfile
from html import unescape
from urllib.parse import urlsplit

import pytest
from celery.signals import task_prerun
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import pkcs7
from django.urls import reverse
from google.auth import jwt
from pyasn1.codec.der import decoder, encoder
from pyasn1_modules import rfc5652

from apps.members.services import member_erase, member_links_revoke
from apps.messaging.links import CARD, member_token
from apps.portal.passes import wallet_pass_update
from apps.programs.points.services import points_adjust
from tests.members.factories import enroll
from tests.portal.conftest import ISSUER_ID
from tests.programs.factories import buy
from tests.tiers.factories import set_up_tiers

pytestmark = pytest.mark.django_db

APPLE_BUTTON = "Add to Apple Wallet"
GOOGLE_BUTTON = "Add to Google Wallet"
WALLET_SETTINGS = (
    "GOOGLE_WALLET_ISSUER_ID",
    "GOOGLE_WALLET_SERVICE_ACCOUNT_FILE",
    "APPLE_PASS_TYPE_ID",
    "APPLE_PASS_CERT_FILE",
)


@pytest.fixture
def no_wallets(settings):
    for name in WALLET_SETTINGS:
        setattr(settings, name, "")


@pytest.fixture
def lucia(team):
    member = enroll(team, first_name="Lucía", last_name="García", phone="+34 600 12 34 56")
    points_adjust(member=member, points=120, reason="opening balance", actor=team.manager)
    return member


@pytest.fixture
def tasks_run():
    """The names of the Celery tasks that run (eagerly, in tests) from now on."""
    names: list[str] = []

    def record(sender=None, **kwargs):
        names.append(sender.name)

    task_prerun.connect(record, weak=False)
    yield names
    task_prerun.disconnect(record)


def card_path(member) -> str:
    return reverse("portal:card", args=[member_token(member=member, purpose=CARD)])


def pass_path(member) -> str:
    return reverse("portal:apple_pass", args=[member_token(member=member, purpose=CARD)])


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def link_to(page, text: str) -> str:
    found = re.search(rf'<a [^>]*href="([^"]+)"[^>]*>{re.escape(text)}</a>', page.text)
    assert found, f"no link {text!r} on the page"
    return unescape(found.group(1))


def verify_detached_signature(signature: bytes, content: bytes, signer: x509.Certificate):
    """Checks a detached PKCS#7 signature as Wallet does: the signed attributes carry the
    content's SHA-256, and the signer certificate's key signed those attributes. Raises
    (cryptography's InvalidSignature, or an AssertionError) when it does not hold."""
    content_info, _rest = decoder.decode(signature, asn1Spec=rfc5652.ContentInfo())
    assert content_info["contentType"] == rfc5652.id_signedData
    signed_data, _rest = decoder.decode(content_info["content"], asn1Spec=rfc5652.SignedData())
    assert not signed_data["encapContentInfo"]["eContent"].hasValue()  # detached
    [signer_info] = signed_data["signerInfos"]
    issuer_serial = signer_info["sid"]["issuerAndSerialNumber"]
    assert int(issuer_serial["serialNumber"]) == signer.serial_number
    attributes = signer_info["signedAttrs"]
    [digest_attribute] = [a for a in attributes if a["attrType"] == rfc5652.id_messageDigest]
    digest, _rest = decoder.decode(
        digest_attribute["attrValues"][0], asn1Spec=rfc5652.MessageDigest()
    )
    assert bytes(digest) == hashlib.sha256(content).digest()
    # The signature covers the attributes as a DER SET OF (the [0] tag swapped for SET's).
    signed = bytearray(encoder.encode(attributes))
    signed[0] = 0x31
    signer.public_key().verify(
        bytes(signer_info["signature"]), bytes(signed), padding.PKCS1v15(), hashes.SHA256()
    )


# Not configured: no button, no pass, no task.


def test_without_wallets_the_card_shows_no_button_and_no_pass_is_served(no_wallets, lucia, client):
    page = client.get(card_path(lucia))

    assert page.status_code == 200
    assert APPLE_BUTTON not in page.text
    assert GOOGLE_BUTTON not in page.text
    response = client.get(pass_path(lucia))
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert response["Referrer-Policy"] == "no-referrer"


def test_without_google_wallet_a_balance_change_queues_nothing(
    no_wallets, lucia, team, tasks_run, no_network, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        points_adjust(member=lucia, points=50, reason="a gift", actor=team.manager)

    assert callbacks  # the event was published, and its handler ran after the commit
    assert tasks_run == []


# Apple Wallet: the pass file.


def test_the_card_offers_the_apple_pass_and_serves_it_signed(apple_wallet, lucia, client):
    page = client.get(card_path(lucia))
    href = link_to(page, APPLE_BUTTON)
    assert GOOGLE_BUTTON not in page.text  # only the wallet that is configured

    response = client.get(href)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.apple.pkpass"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    files = unzip(response.content)
    assert {"pass.json", "manifest.json", "signature"} <= set(files)
    document = json.loads(files["pass.json"])
    assert document["serialNumber"] == lucia.public_id
    assert document["storeCard"]["primaryFields"][0]["value"] == 120
    assert document["barcodes"][0]["message"] == lucia.card_code
    assert document["barcodes"][0]["format"] == "PKBarcodeFormatQR"
    # the back of the pass links to the member's card
    back_link = document["storeCard"]["backFields"][0]["value"]
    assert client.get(urlsplit(back_link).path).status_code == 200
    # the manifest lists every file's hash, and the pass certificate signed the manifest
    manifest = json.loads(files["manifest.json"])
    assert manifest["pass.json"] == hashlib.sha1(files["pass.json"]).hexdigest()  # noqa: S324
    assert apple_wallet["pass_cert"] in pkcs7.load_der_pkcs7_certificates(files["signature"])
    verify_detached_signature(files["signature"], files["manifest.json"], apple_wallet["pass_cert"])
    with pytest.raises(AssertionError):  # not over another manifest
        verify_detached_signature(files["signature"], b"{}", apple_wallet["pass_cert"])


def test_the_pass_follows_the_balance(apple_wallet, lucia, team, client):
    points_adjust(member=lucia, points=-20, reason="a correction", actor=team.manager)

    files = unzip(client.get(pass_path(lucia)).content)

    assert json.loads(files["pass.json"])["storeCard"]["primaryFields"][0]["value"] == 100


def test_a_revoked_link_gets_no_pass(apple_wallet, lucia, team, client):
    old = pass_path(lucia)
    member_links_revoke(member=lucia, source="dashboard", actor=team.manager)

    response = client.get(old)

    assert response.status_code == 410
    assert response["Content-Type"].startswith("text/html")
    assert lucia.card_code not in response.text


@pytest.mark.parametrize("token", ["mbr_nothing.1:abc:def", "garbage"])
def test_a_link_that_is_not_genuine_gets_no_pass(apple_wallet, lucia, client, token):
    response = client.get(reverse("portal:apple_pass", args=[token]))

    assert response.status_code == 404
    assert lucia.card_code not in response.text


def test_the_pass_is_rate_limited_like_the_card(apple_wallet, lucia, client, settings):
    settings.LINK_PAGE_RATE_LIMITS = {
        **settings.LINK_PAGE_RATE_LIMITS,
        "card": {"per_ip": 100, "per_token": 2, "window": 60},
    }
    url = pass_path(lucia)

    statuses = [client.get(url).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_an_unusable_certificate_is_a_503_and_the_card_still_works(
    apple_wallet, lucia, client, settings, tmp_path
):
    settings.APPLE_PASS_CERT_FILE = str(tmp_path / "gone.pem")

    assert client.get(pass_path(lucia)).status_code == 503
    assert client.get(card_path(lucia)).status_code == 200


# Google Wallet: the save link, and the pass kept up to date.


def test_the_card_offers_the_google_pass_with_the_current_balance(google_wallet, lucia, client):
    page = client.get(card_path(lucia))

    href = link_to(page, GOOGLE_BUTTON)
    assert APPLE_BUTTON not in page.text
    assert href.startswith("https://pay.google.com/gp/v/save/")
    claims = jwt.decode(href.removeprefix("https://pay.google.com/gp/v/save/"), verify=False)
    [loyalty_object] = claims["payload"]["loyaltyObjects"]
    assert loyalty_object["id"] == f"{ISSUER_ID}.{lucia.public_id}"
    assert loyalty_object["loyaltyPoints"]["balance"] == {"int": 120}
    assert loyalty_object["barcode"]["value"] == lucia.card_code
    assert google_wallet.requests == []  # nothing is sent to Google before a member saves


def test_an_unusable_google_key_leaves_the_button_out_and_the_card_up(
    google_wallet, lucia, client, settings, tmp_path
):
    settings.GOOGLE_WALLET_SERVICE_ACCOUNT_FILE = str(tmp_path / "gone.json")

    page = client.get(card_path(lucia))

    assert page.status_code == 200
    assert GOOGLE_BUTTON not in page.text


def test_a_balance_change_patches_the_saved_google_pass_after_the_commit(
    google_wallet, lucia, team, tasks_run, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        points_adjust(member=lucia, points=-45, reason="a correction", actor=team.manager)
        assert google_wallet.sent("PATCH") == []  # nothing before the commit
    for callback in callbacks:
        callback()

    assert tasks_run == ["apps.portal.tasks.wallet_pass_update_task"]
    [patch] = google_wallet.sent("PATCH")
    assert patch["path"] == f"/walletobjects/v1/loyaltyObject/{ISSUER_ID}.{lucia.public_id}"
    assert patch["headers"]["authorization"] == "Bearer ya29.fake-access-token"
    assert patch["json"]["loyaltyPoints"]["balance"] == {"int": 75}
    assert patch["json"]["accountName"] == "Lucía García"


def test_a_tier_move_patches_the_pass_too(google_wallet, team, django_capture_on_commit_callbacks):
    set_up_tiers(team)
    member = enroll(team, first_name="Ana", phone="+34 600 12 34 99")

    with django_capture_on_commit_callbacks(execute=True):
        buy(team, member, 12_000)  # points earned, and up to Bronze: two updates

    patches = google_wallet.sent("PATCH")
    assert len(patches) == 2
    for patch in patches:
        modules = {module["id"]: module["body"] for module in patch["json"]["textModulesData"]}
        assert modules["tier"] == "Bronze"


def test_a_member_who_never_saved_the_pass_is_nothing_to_do(
    google_wallet, lucia, team, django_capture_on_commit_callbacks
):
    google_wallet.missing.add(f"{ISSUER_ID}.{lucia.public_id}")

    with django_capture_on_commit_callbacks(execute=True):
        points_adjust(member=lucia, points=5, reason="a gift", actor=team.manager)

    assert len(google_wallet.sent("PATCH")) == 1  # asked once, and no retry
    assert wallet_pass_update(member_id=lucia.pk) is False


def test_a_rolled_back_change_sends_nothing(
    google_wallet, lucia, team, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                points_adjust(member=lucia, points=5, reason="a gift", actor=team.manager)
                raise RuntimeError("the work fails")
        except RuntimeError:
            pass

    assert google_wallet.sent("PATCH") == []


def test_erasing_the_member_retires_their_google_pass(
    google_wallet, lucia, team, tasks_run, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        member_erase(member=lucia, actor=team.manager)

    assert tasks_run == ["apps.portal.tasks.wallet_pass_retire_task"]
    [patch] = google_wallet.sent("PATCH")
    assert patch["path"] == f"/walletobjects/v1/loyaltyObject/{ISSUER_ID}.{lucia.public_id}"
    assert patch["json"]["state"] == "INACTIVE"
    assert patch["json"]["accountName"] == ""
    assert "Lucía" not in json.dumps(patch["json"])
    assert lucia.card_code not in json.dumps(patch["json"]["linksModuleData"])
