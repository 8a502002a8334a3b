"""Owners sign up with email and password, verify the address by code, and name the business."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from apps.core.models import Membership, Merchant, Role
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _code_from(message) -> str:
    """allauth's verification email carries the code alone on its line."""
    return re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", message.body, re.MULTILINE).group(1)


def test_signup_verify_name_the_business_and_land_on_the_dashboard(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "Ana@Example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["ana@example.com"]

    response = client.post(response["Location"], {"code": _code_from(message)})
    assert response.status_code == 302
    response = client.get(response["Location"], follow=True)
    assert response.redirect_chain[-1][0] == reverse("core:merchant_create")
    assert "Name your business" in response.text

    response = client.post(
        reverse("core:merchant_create"),
        {
            "name": "Panadería Ana",
            "country": "ES",
            "currency": "EUR",
            "timezone": "Europe/Madrid",
            "language": "es",
        },
        follow=True,
    )
    merchant = Merchant.objects.get()
    assert merchant.slug == "panaderia-ana"
    assert Membership.objects.get(merchant=merchant).role == Role.OWNER
    # A Spanish business: its owner, who chose no language, reads its pages in Spanish.
    with translation.override("es"):
        assert translation.gettext("Get started") in response.text
        assert translation.gettext("Add your shops") in response.text
    assert "Get started" not in response.text


def test_a_wrong_verification_code_is_refused(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "ben@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    response = client.post(response["Location"], {"code": "WRONG1"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not response.wsgi_request.user.is_authenticated


def test_signup_shows_field_errors_and_creates_nothing(client):
    from apps.accounts.models import User

    for data in [
        {"email": "not-an-email", "password1": PASSWORD, "password2": PASSWORD},
        {"email": "new@example.com", "password1": "short", "password2": "short"},
        {"email": "new@example.com", "password1": "12345678901", "password2": "12345678901"},
        {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD + "x"},
    ]:
        response = client.post(reverse("account_signup"), data)
        assert response.status_code == 200, data
        assert response.context["form"].errors, data
    assert not User.objects.exists()


def test_signing_up_with_a_taken_address_reveals_nothing_and_creates_nothing(client):
    from apps.accounts.models import User

    UserFactory(email="taken@example.com")
    response = client.post(
        reverse("account_signup"),
        {"email": "TAKEN@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    # The same answer as a fresh signup, so nobody can probe which addresses have accounts;
    # the owner of the address is told by email instead.
    assert response.status_code == 302
    assert User.objects.count() == 1
    assert mail.outbox[0].to == ["taken@example.com"]


def test_the_business_form_shows_field_errors_and_creates_nothing(client):
    client.force_login(UserFactory())
    response = client.post(
        reverse("core:merchant_create"),
        {
            "name": "  ",
            "country": "XX",
            "currency": "EURO",
            "timezone": "Mars/Olympus",
            "language": "tlh",
        },
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {
        "name",
        "country",
        "currency",
        "timezone",
        "language",
    }
    assert not Merchant.objects.exists()


def test_the_business_form_guesses_from_the_browser_language(client):
    client.force_login(UserFactory())
    response = client.get(reverse("core:merchant_create"), HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9")
    initial = response.context["form"].initial
    assert (initial["country"], initial["currency"], initial["language"]) == ("MX", "MXN", "es")


def test_login_with_email_and_password(client):
    user = UserFactory(email="cashier@example.com")
    response = client.post(
        reverse("account_login"), {"login": "Cashier@Example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("home:home")).wsgi_request.user == user


def test_repeated_failed_logins_are_rate_limited(client):
    UserFactory(email="target@example.com")
    url = reverse("account_login")
    for _ in range(5):
        wrong = client.post(url, {"login": "target@example.com", "password": "nope"})
        assert "Too many failed login attempts" not in wrong.text
    # The sixth try is refused even with the right password.
    blocked = client.post(url, {"login": "target@example.com", "password": PASSWORD})
    assert blocked.status_code == 200
    assert "Too many failed login attempts" in blocked.text
    assert not blocked.wsgi_request.user.is_authenticated


def test_password_reset_sends_a_link(client):
    UserFactory(email="forgetful@example.com")
    client.post(reverse("account_reset_password"), {"email": "forgetful@example.com"})
    [message] = mail.outbox
    assert message.to == ["forgetful@example.com"]
    assert "/accounts/password/reset/key/" in message.body


def test_two_factor_setup_page_is_offered(client):
    UserFactory(email="careful@example.com")
    client.post(reverse("account_login"), {"login": "careful@example.com", "password": PASSWORD})

    # Turning on 2FA asks for the password again first.
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    client.post(response["Location"], {"password": PASSWORD})

    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    assert "data:image/svg+xml" in response.text  # the QR code to scan with an authenticator app
    assert 'name="code"' in response.text
