"""A campaign's message as each member gets it: their language (else the merchant's),
merge tags filled in and escaped, links through the signed click redirect; the redirect
itself; the multiplier offer."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from apps.campaigns.models import Click, OfferGrant
from apps.campaigns.rendering import campaign_message, click_url, text_for
from apps.campaigns.services.offers import offer_grant
from apps.core.extensions import earn_percent
from apps.messaging.models import Channel, Delivery
from tests.campaigns.factories import campaign
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db


def test_the_text_in_the_members_language_else_the_merchants_else_any():
    texts = {"ro": "Bună", "en": "Hello"}

    assert text_for(texts, language="en", fallback="ro") == "Hello"
    assert text_for(texts, language="es", fallback="ro") == "Bună"
    assert text_for({"en": "Hello"}, language="es", fallback="ro") == "Hello"


def test_merge_tags_are_escaped_in_html_and_links_are_tracked(team):
    member = enroll(team, first_name="<b>Ana</b>", email="ana@example.com", consent_email=True)
    target = campaign(
        team,
        body={
            "en": '<p>Hi {{ first_name }}</p><p><a href="https://shop.example/menu?x=1&y=2">Menu</a></p>'
        },
    )

    with translation.override("en"):
        message = campaign_message(
            campaign=target, member=member, channel=Channel.EMAIL, delivery_id=123
        )

    assert "Hi &lt;b&gt;Ana&lt;/b&gt;" in message.html
    assert "https://shop.example/menu" not in message.html  # only through the redirect
    assert "/r/" in message.html
    assert "Hi <b>Ana</b>" in message.text  # the text part is not HTML


def test_a_click_is_noted_and_redirected_and_a_forged_one_goes_nowhere(team, client):
    member = enroll(team, first_name="Ana", email="ana@example.com", consent_email=True)
    target = campaign(team)
    delivery = Delivery.objects.create(
        merchant=team.merchant,
        member=member,
        source=target.source,
        channel="email",
        purpose="marketing",
        state="sent",
    )
    url = click_url(delivery_id=delivery.pk, url="https://shop.example/menu?x=1")
    path = url[url.index("/r/") :]

    response = client.get(path)
    forged = client.get(path.replace("/r/", "/r/x"))

    assert response.status_code == 302
    assert response["Location"] == "https://shop.example/menu?x=1"
    assert response["Referrer-Policy"] == "no-referrer"
    assert Click.objects.filter(campaign=target, delivery=delivery).count() == 1
    assert forged.status_code == 404
    assert forged["Referrer-Policy"] == "no-referrer"
    assert Click.objects.count() == 1


def test_clicks_are_rate_limited(team, client, settings):
    settings.LINK_PAGE_RATE_LIMITS = settings.LINK_PAGE_RATE_LIMITS | {
        "click": {"per_ip": 100, "per_token": 2, "window": 60}
    }
    url = click_url(delivery_id=1, url="https://shop.example/")
    path = url[url.index("/r/") :]

    codes = [client.get(path).status_code for _ in range(3)]

    assert codes == [302, 302, 429]


def test_a_multiplier_offer_doubles_the_points_while_it_runs(team):
    member = enroll(team, first_name="Ana", email="ana@example.com", consent_email=True)
    target = campaign(team, offer={"type": "multiplier", "factor": 2, "days": 7})
    now = timezone.now()

    grant = offer_grant(campaign=target, member=member, now=now)
    again = offer_grant(campaign=target, member=member, now=now)

    assert grant.pk == again.pk
    assert OfferGrant.objects.filter(campaign=target).count() == 1
    assert earn_percent(member, now + timedelta(days=1)) == 200
    assert earn_percent(member, now + timedelta(days=8)) == 100
    earned = buy(team, member, 1000).points_earned
    assert earned > 0
    assert earned == 2 * buy(team, enroll(team, first_name="Bea"), 1000).points_earned
