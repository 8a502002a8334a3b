"""Who sees which language: the user's choice, else the browser's, else the business's;
the API's messages likewise; dates and money as each language writes them."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from apps.core.formatting import format_day, format_merchant_money, format_moment
from apps.core.models import Merchant
from tests.accounts.factories import UserFactory
from tests.api.conftest import key_client
from tests.conftest import make_team

pytestmark = pytest.mark.django_db


def _page_language(response) -> str:
    return response.headers["Content-Language"]


@pytest.fixture
def spanish_team():
    team = make_team()
    Merchant.objects.filter(pk=team.merchant.pk).update(language="es")
    team.merchant.refresh_from_db()
    return team


def test_a_visitor_reads_the_sign_in_page_in_the_browsers_language(client):
    response = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="ro-RO,ro;q=0.9,en;q=0.5")

    assert _page_language(response) == "ro"
    assert '<html lang="ro"' in response.content.decode()
    assert "Accept-Language" in response["Vary"]


def test_a_browser_asking_for_a_language_we_do_not_speak_gets_english(client):
    response = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="fr-FR,de;q=0.8")

    assert _page_language(response) == "en"


def test_the_sign_in_page_offers_a_language_switcher_that_works_without_javascript(client):
    page = client.get(reverse("account_login")).content.decode()
    assert f'action="{reverse("set_language")}"' in page
    assert 'name="language"' in page

    response = client.post(
        reverse("set_language"), {"language": "es", "next": reverse("account_login")}
    )
    assert response.status_code == 302

    assert _page_language(client.get(reverse("account_login"))) == "es"


def test_an_unknown_language_from_the_switcher_changes_nothing(client):
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})

    response = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en")

    assert _page_language(response) == "en"


def test_staff_read_their_own_language_else_the_browsers_else_the_business(spanish_team, client):
    client.force_login(spanish_team.staff)
    home = reverse("home:home")

    assert _page_language(client.get(home)) == "es"  # the business's
    assert _page_language(client.get(home, HTTP_ACCEPT_LANGUAGE="ro")) == "ro"  # the browser's

    spanish_team.staff.language = "en"
    spanish_team.staff.save()
    assert _page_language(client.get(home, HTTP_ACCEPT_LANGUAGE="ro")) == "en"  # their own


def test_a_user_sets_their_language_in_their_profile(team, client):
    client.force_login(team.staff)

    response = client.post(
        reverse("core:profile"), {"first_name": "Ana", "last_name": "Pop", "language": "ro"}
    )

    assert response.status_code == 302
    team.staff.refresh_from_db()
    assert (team.staff.first_name, team.staff.language) == ("Ana", "ro")
    assert _page_language(client.get(reverse("core:profile"))) == "ro"


def test_an_unknown_language_in_the_profile_is_a_form_error_and_changes_nothing(team, client):
    client.force_login(team.staff)
    before = (team.staff.first_name, team.staff.language)

    response = client.post(
        reverse("core:profile"), {"first_name": "Changed", "last_name": "", "language": "fr"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["language"]
    team.staff.refresh_from_db()
    assert (team.staff.first_name, team.staff.language) == before


def test_an_unknown_language_for_the_business_is_a_form_error(team, client):
    client.force_login(team.owner)
    response = client.post(
        reverse("core:merchant_settings"),
        {
            "name": "Renamed",
            "currency": "EUR",
            "country": "ES",
            "timezone": "Europe/Madrid",
            "language": "pt",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["language"]
    team.merchant.refresh_from_db()
    assert team.merchant.language == "en"
    assert team.merchant.name != "Renamed"


@pytest.mark.parametrize(
    ("accept_language", "language"), [("es", "es"), ("ro-RO", "ro"), ("en-GB,en", "en")]
)
def test_the_api_answers_in_the_language_asked_with_the_same_code(team, accept_language, language):
    from tests.members.factories import enroll

    member = enroll(team, first_name="Lucía", phone="611 222 333")
    storefront = key_client(team)
    body = {"member": member.public_id, "external_id": "o-1", "amount": 100, "currency": "USD"}

    response = storefront.post(
        "/api/v1/purchases/", body, format="json", HTTP_ACCEPT_LANGUAGE=accept_language
    )

    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "invalid"
    with translation.override(language):
        expected = translation.gettext("This program counts in %(currency)s.") % {"currency": "EUR"}
    assert answer["message"] == expected
    assert answer["errors"]["currency"] == [expected]
    if language != "en":
        assert expected != "This program counts in EUR."


def test_the_api_answers_in_the_businesss_language_when_none_is_asked(spanish_team):
    storefront = key_client(spanish_team)

    response = storefront.get("/api/v1/members/", {"colour": "red"})

    assert response.status_code == 400
    with translation.override("es"):
        expected = translation.gettext("This endpoint takes no such parameter.")
    assert response.json()["errors"]["colour"] == [expected]
    assert expected != "This endpoint takes no such parameter."


def test_a_drf_message_missing_from_drfs_romanian_catalog_reads_in_romanian(team):
    storefront = key_client(team)

    response = storefront.post(
        "/api/v1/members/",
        {"first_name": 0, "phone": "611 222 444"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="ro",
    )

    assert response.status_code == 400
    assert response.json()["errors"]["first_name"] == ["Nu este un șir de caractere valid."]


@pytest.mark.parametrize(
    ("language", "day", "moment", "money_eur", "money_ron"),
    [
        ("es", "2 dic 2026", "2 dic 2026, 14:05", "1.234,50 €", "1.234,50 RON"),
        ("ro", "2 dec. 2026", "2 dec. 2026, 14:05", "1.234,50 EUR", "1.234,50 RON"),
        # English in Spain and Romania: those countries' way with numbers.
        ("en", "Dec 2, 2026", "Dec 2, 2026, 2:05 PM", "1.234,50 €", "1.234,50 RON"),
    ],
)
def test_dates_and_money_follow_the_language(language, day, moment, money_eur, money_ron):
    spain = Merchant(currency="EUR", country="ES")
    romania = Merchant(currency="RON", country="RO")
    when = datetime.datetime(2026, 12, 2, 13, 5, tzinfo=datetime.UTC)

    with translation.override(language):
        from django.utils import timezone

        with timezone.override("Europe/Madrid"):
            assert format_day(when) == day
            assert format_moment(when).replace("\u202f", " ") == moment
        # CLDR puts a no-break space between the amount and the currency.
        assert format_merchant_money(123450, spain).replace("\xa0", " ") == money_eur
        assert format_merchant_money(123450, romania).replace("\xa0", " ") == money_ron


def test_an_english_reader_of_a_spanish_shop_sees_its_money_as_spain_writes_it():
    with translation.override("en"):
        money = format_merchant_money(123450, Merchant(currency="EUR", country="ES"))
    assert money.replace("\xa0", " ") == "1.234,50 €"


def test_the_migration_moves_dropped_languages_to_english(team):
    from importlib import import_module

    from django.apps import apps

    from apps.members.models import Member
    from tests.members.factories import enroll

    member = enroll(team, first_name="Jean", phone="611 000 111")
    Merchant.objects.filter(pk=team.merchant.pk).update(language="fr")
    Member.objects.filter(pk=member.pk).update(language="de")
    kept = enroll(team, first_name="Ana", phone="611 000 222")
    Member.objects.filter(pk=kept.pk).update(language="ro")

    import_module("apps.core.migrations.0006_languages_es_ro_en").to_spoken_languages(apps, None)
    import_module("apps.members.migrations.0006_languages_es_ro_en").to_spoken_languages(apps, None)

    team.merchant.refresh_from_db()
    assert team.merchant.language == "en"
    assert Member.objects.get(pk=member.pk).language == "en"
    assert Member.objects.get(pk=kept.pk).language == "ro"


def test_a_new_user_follows_the_browser_until_they_choose():
    assert UserFactory().language == ""


def test_an_invitation_is_written_in_the_businesss_language(
    spanish_team, django_capture_on_commit_callbacks
):
    from django.core import mail

    from apps.core import services
    from apps.core.models import Role

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(
            merchant=spanish_team.merchant,
            actor=spanish_team.owner,
            email="nueva@example.com",
            role=Role.STAFF,
        )

    [message] = mail.outbox
    with translation.override("es"):
        subject = translation.gettext("Join %(name)s on Fideliza") % {
            "name": spanish_team.merchant.name
        }
    assert message.subject == subject
    assert subject.startswith("Únete")
