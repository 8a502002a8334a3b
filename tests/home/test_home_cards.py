"""The home page and the analytics dashboard show the cards registered at their extension
points (`extensions.HOME_CARDS`, `extensions.ANALYTICS_CARDS`), in order, to the roles
they name: how the campaigns app will add its own."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from apps.core.extensions import ANALYTICS_CARDS, HOME_CARDS, AnalyticsCard, HomeCard

pytestmark = pytest.mark.django_db

CARD_TEMPLATE = '<section id="card-{{ name }}">{{ text }} at {{ active_merchant.name }}</section>'


@pytest.fixture
def card_templates(settings, tmp_path):
    (tmp_path / "campaigns_card.html").write_text(CARD_TEMPLATE)
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}
    ]


@pytest.fixture
def registered():
    added = []

    def register(point, card, order):
        point.register(card, order=order)
        added.append((point, card))

    yield register
    for point, card in added:
        point.unregister(card)


def test_the_home_page_shows_its_cards_in_order_to_the_roles_they_name(
    team, client_as, card_templates, registered
):
    # Between the set-up checklist (10) and the location chooser (20), for managers.
    registered(
        HOME_CARDS,
        HomeCard(
            "campaign",
            "campaigns_card.html",
            lambda request: {"name": "campaign", "text": "Spring campaign"},
            role="manager",
        ),
        order=15,
    )
    # A card with nothing to show this business is left out.
    registered(HOME_CARDS, HomeCard("empty", "campaigns_card.html", lambda request: None), 90)

    page = client_as(team.manager).get(reverse("home:home")).text

    card = f'<section id="card-campaign">Spring campaign at {team.merchant.name}</section>'
    assert card in page
    assert page.index('id="setup-heading"') < page.index(card) < page.index('id="location-heading"')
    assert 'id="card-empty"' not in page
    staff_page = client_as(team.staff).get(reverse("home:home")).text
    assert 'id="card-campaign"' not in staff_page
    assert 'id="location-heading"' in staff_page


def test_the_home_page_without_other_cards_keeps_its_own(team, client_as):
    page = client_as(team.owner).get(reverse("home:home")).text
    assert page.index('id="setup-heading"') < page.index('id="location-heading"')


def test_the_analytics_dashboard_loads_a_registered_card_from_its_own_view(
    team, client_as, registered
):
    registered(ANALYTICS_CARDS, AnalyticsCard("campaigns", "Campaigns", "home:home"), order=150)

    page = client_as(team.manager).get(reverse("analytics:dashboard")).text

    assert 'id="card-campaigns"' in page
    assert 'hx-get="/?preset=custom&amp;start=' in page  # the picker's choice, as for every card
    assert page.index('id="card-retention"') < page.index('id="card-campaigns"')
    assert page.index('id="card-campaigns"') < page.index('id="card-repeat"')


def test_a_card_name_is_taken_once():
    with pytest.raises(ImproperlyConfigured, match="analytics_cards: retention claimed twice"):
        ANALYTICS_CARDS.register(AnalyticsCard("retention", "Mine", "home:home"), order=9999)
    with pytest.raises(ImproperlyConfigured, match="home_cards: setup claimed twice"):
        HOME_CARDS.register(HomeCard("setup", "x.html", lambda request: {}), order=9999)


def test_the_setup_checklist_goes_once_every_step_is_done(team, client_as):
    from allauth.mfa.models import Authenticator

    client = client_as(team.staff)  # staff have one step: their own two-factor login
    assert 'id="setup-heading"' in client.get(reverse("home:home")).text

    Authenticator.objects.create(user=team.staff, type=Authenticator.Type.TOTP, data={})

    page = client.get(reverse("home:home")).text
    assert 'id="setup-heading"' not in page
    assert 'id="location-heading"' in page  # the other cards stay
