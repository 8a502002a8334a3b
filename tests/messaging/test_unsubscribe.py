"""One-click unsubscribe (RFC 8058): a GET asks and changes nothing; a bare POST (no
session, no CSRF token) withdraws the consent, once, with its source."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.members.models import EventKind, MemberEvent
from apps.messaging.links import UNSUBSCRIBE_EMAIL, UNSUBSCRIBE_SMS, member_token, unsubscribe_url
from apps.messaging.services import delivery_queue
from apps.messaging.sms import outbox as sms_outbox
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(team):
    return enroll(team, first_name="Ana", email="ana@example.com", consent_email=True)


def path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_a_get_only_asks(ana):
    response = Client().get(path(unsubscribe_url(member=ana, channel="email")))

    assert response.status_code == 200
    assert "<form" in response.text
    assert response["Referrer-Policy"] == "no-referrer"
    ana.refresh_from_db()
    assert ana.consent_email


def test_a_bare_post_unsubscribes_once_with_its_source(ana):
    client = Client(enforce_csrf_checks=True)  # as a mail provider posts: no session, no token
    url = path(unsubscribe_url(member=ana, channel="email"))

    first = client.post(url, {"List-Unsubscribe": "One-Click"})
    second = client.post(url, {"List-Unsubscribe": "One-Click"})

    assert first.status_code == second.status_code == 200
    ana.refresh_from_db()
    assert not ana.consent_email
    [event] = MemberEvent.objects.filter(member=ana, kind=EventKind.CONSENT, source="unsubscribe")
    assert event.data["granted"] is False


def test_the_sms_link_withdraws_only_sms(team):
    member = enroll(team, phone="+34 611 000 222", consent_email=True, consent_sms=True)

    Client().post(path(unsubscribe_url(member=member, channel="sms")))

    member.refresh_from_db()
    assert (member.consent_email, member.consent_sms) == (True, False)


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_bad_token_shows_and_changes_nothing(ana, method):
    token = member_token(member=ana, purpose=UNSUBSCRIBE_EMAIL)[:-3] + "xyz"

    response = getattr(Client(), method)(reverse("messaging:unsubscribe", args=[token]))

    assert response.status_code == 404
    assert "Ana" not in response.text
    ana.refresh_from_db()
    assert ana.consent_email


def test_the_sms_link_is_short_and_a_tampered_one_shows_nothing(team):
    member = enroll(team, phone="+34 611 000 223", consent_sms=True)
    token = member_token(member=member, purpose=UNSUBSCRIBE_SMS)
    tampered = token[:-1] + ("a" if token[-1] != "a" else "b")
    foreign = token.replace(token[:20], enroll(team, phone="+34 611 000 224").public_id[4:])

    assert len(token) == 36  # the id's 20 characters and 16 of the signature
    for bad in (tampered, foreign, token[:16], "ñ" * 36):
        assert Client().post(reverse("messaging:unsubscribe", args=[bad])).status_code == 404
    member.refresh_from_db()
    assert member.consent_sms


def test_a_marketing_text_ends_with_its_short_stop_link(team, django_capture_on_commit_callbacks):
    member = enroll(team, phone="+34 611 000 225", consent_sms=True, language="es")
    with django_capture_on_commit_callbacks(execute=True):
        delivery_queue(
            member=member, source="welcome", occurrence="m", channel="sms", purpose="marketing"
        )

    [sms] = sms_outbox
    url = unsubscribe_url(member=member, channel="sms")
    assert sms.body.endswith(f"\nBaja: {url}")  # in the member's language
    Client().post(path(url))
    member.refresh_from_db()
    assert not member.consent_sms


def test_a_service_text_carries_no_stop_link(team, django_capture_on_commit_callbacks):
    member = enroll(team, phone="+34 611 000 226", consent_sms=True)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_queue(
            member=member, source="welcome", occurrence="s", channel="sms", purpose="service"
        )
    [sms] = sms_outbox
    assert "/u/" not in sms.body


def test_a_stop_link_outlives_a_secret_key_rotation(team, settings):
    member = enroll(team, phone="+34 611 000 227", consent_sms=True)
    url = unsubscribe_url(member=member, channel="sms")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "rotated-" + "k" * 50

    assert Client().post(path(url)).status_code == 200
    member.refresh_from_db()
    assert not member.consent_sms
