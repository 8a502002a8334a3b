"""The welcome: a new member with an email gets it once, in their language, through a real
SMTP server, with a link that opens their card."""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from apps.members.models import Member
from apps.messaging.models import Delivery, State
from apps.portal.welcome import welcome_queue
from tests.api.conftest import key_client
from tests.members.factories import enroll
from tests.smtp import body

pytestmark = pytest.mark.django_db


def card_link(message) -> str:
    return re.search(r"https?://\S+/c/[^/\s]+/", body(message)).group(0)


def test_enrolling_through_the_api_mails_a_welcome_that_opens_the_card(
    team, inbox, client, django_capture_on_commit_callbacks
):
    storefront = key_client(team)
    with django_capture_on_commit_callbacks(execute=True):
        response = storefront.post(
            reverse("api:members"),
            {"first_name": "Lucía", "email": "lucia@example.com", "language": "es"},
            format="json",
        )
    assert response.status_code == 201

    [message] = inbox.to("lucia@example.com")
    assert team.merchant.name in message["From"]
    assert message["Subject"].startswith("Bienvenido a")  # the member's language
    assert message.get_body(preferencelist=("html",)) is not None  # multipart
    assert 'style="' in body(message, "html")  # the CSS is inlined
    member = Member.objects.get(email="lucia@example.com")
    delivery = Delivery.objects.get(member=member)
    assert (delivery.state, delivery.source, delivery.purpose) == (State.SENT, "welcome", "service")
    assert message["Message-ID"] == delivery.message_id
    assert "List-Unsubscribe" not in message  # a service message

    link = card_link(message)
    page = client.get(urlsplit(link).path)
    assert page.status_code == 200
    assert "Lucía" in page.text
    assert member.card_code_display in page.text
    assert "<svg" in page.text


def test_the_counter_welcome_goes_once_and_in_the_members_language(
    team, inbox, client_as, django_capture_on_commit_callbacks
):
    client = client_as(team.staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("members:enroll"),
            {"first_name": "Ioana", "email": "ioana@example.com", "language": "ro"},
        )
    member = Member.objects.get(email="ioana@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        again = welcome_queue(member=member)  # a retry of the same occurrence

    [message] = inbox.to("ioana@example.com")
    assert again.state == State.SENT
    assert "Bine ați venit" in message["Subject"]
    assert Delivery.objects.filter(member=member).count() == 1


def test_a_member_with_only_a_phone_gets_no_email_and_no_sms_unless_the_shop_says(
    team, inbox, django_capture_on_commit_callbacks
):
    from apps.messaging.sms import outbox

    with django_capture_on_commit_callbacks(execute=True):
        enroll(team, phone="+34 611 999 000")
    assert inbox.messages == []
    assert outbox == []
    assert not Delivery.objects.exists()


def test_the_sms_welcome_carries_the_card_link_when_turned_on(
    team, django_capture_on_commit_callbacks
):
    from apps.messaging.models import MessagingSettings
    from apps.messaging.sms import outbox

    MessagingSettings.objects.create(merchant=team.merchant, welcome_sms=True)
    with django_capture_on_commit_callbacks(execute=True):
        member = enroll(team, phone="+34 611 999 001")

    [sms] = outbox
    assert sms.to == "+34611999001"
    assert "/c/" in sms.body
    assert Delivery.objects.get(member=member).state == State.SENT
