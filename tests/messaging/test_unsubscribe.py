"""One-click unsubscribe (RFC 8058): a GET asks and changes nothing; a bare POST (no
session, no CSRF token) withdraws the consent, once, with its source."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.members.models import EventKind, MemberEvent
from apps.messaging.links import UNSUBSCRIBE_EMAIL, member_token, unsubscribe_url
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
