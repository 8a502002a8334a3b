"""Production settings refuse to start unsafely; every environment sends safe headers;
EMAIL_URL chooses how mail leaves, SMTP or a provider's API."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from anymail.exceptions import AnymailNotSupportedWarning
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import InvalidMailer

from config.settings.base import mailer_from_url

ROOT = Path(__file__).resolve().parent.parent


# What production needs besides a secret key (nothing is contacted at the start).
SERVICES = {
    "DATABASE_URL": "postgres://fideliza@127.0.0.1:5432/fideliza",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "rediscache://127.0.0.1:6379/1",
}


def _import_production(**env) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", *SERVICES}
    }
    environment.update(SERVICES, DJANGO_SETTINGS_MODULE="config.settings.production")
    environment.update(env)
    for name in [name for name, value in environment.items() if value is None]:
        del environment[name]
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _import_production()
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_with_debug_on():
    result = _import_production(DEBUG="true", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_production_starts_with_a_secret_key_and_is_secure():
    probe = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.DEBUG); "
        "from django.test import Client; "
        "print(Client(HTTP_HOST='localhost').get('/livez/').status_code, "
        "Client(HTTP_HOST='localhost').get('/accounts/login/').status_code)"
    )
    environment = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    environment.update(
        SERVICES, SECRET_KEY="x" * 50, DJANGO_SETTINGS_MODULE="config.settings.production"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "False", "200", "301"]


@pytest.mark.parametrize(
    ("name", "toy"),
    [
        ("DATABASE_URL", None),
        ("DATABASE_URL", "sqlite:///db.sqlite3"),
        ("CELERY_BROKER_URL", None),
        ("CELERY_BROKER_URL", "memory://"),
        ("CACHE_URL", None),
        ("CACHE_URL", "locmemcache://"),
        ("CACHE_URL", "dummycache://"),
    ],
)
def test_production_refuses_to_start_on_a_toy_database_broker_or_cache(name, toy):
    result = _import_production(SECRET_KEY="x" * 50, **{name: toy})

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {name} must be set in production" in result.stderr


def test_production_refuses_a_provider_whose_reports_anyone_could_post():
    result = _import_production(SECRET_KEY="x" * 50, EMAIL_URL="anymail+postmark://token@")
    assert result.returncode != 0
    assert "ANYMAIL_WEBHOOK_SECRET must be set" in result.stderr

    secured = _import_production(
        SECRET_KEY="x" * 50,
        EMAIL_URL="anymail+postmark://token@",
        ANYMAIL_WEBHOOK_SECRET="postmark:a-long-random-password",
    )
    assert secured.returncode == 0, secured.stderr


def test_anymail_settings_come_from_anymail_variables():
    probe = (
        "import django; django.setup(); from django.conf import settings; print(settings.ANYMAIL)"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ANYMAIL_")}
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        ANYMAIL_WEBHOOK_SECRET="fideliza:s3cret",
        ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY="whsec-1",
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert ast.literal_eval(result.stdout) == {
        "WEBHOOK_SECRET": "fideliza:s3cret",
        "MAILGUN_WEBHOOK_SIGNING_KEY": "whsec-1",
    }


def test_a_webhook_secret_is_a_user_and_a_password():
    result = _import_production(SECRET_KEY="x" * 50, ANYMAIL_WEBHOOK_SECRET="no-colon")
    assert result.returncode != 0
    assert "ANYMAIL_WEBHOOK_SECRET takes the form user:password" in result.stderr


def test_email_url_smtp_with_starttls():
    assert mailer_from_url("smtp+tls://mailer:p%40ss@mail.example.com:587") == {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": "mail.example.com",
            "port": 587,
            "username": "mailer",
            "password": "p@ss",
            "use_ssl": False,
            "use_tls": True,
            "timeout": 30,
        },
    }


@pytest.mark.parametrize(
    ("url", "esp", "options"),
    [
        (
            "anymail+mailgun://key-3ax6@?sender_domain=mg.example.com"
            "&api_url=https://api.eu.mailgun.net/v3",
            "mailgun",
            {
                "api_key": "key-3ax6",
                "sender_domain": "mg.example.com",
                "api_url": "https://api.eu.mailgun.net/v3",
            },
        ),
        ("anymail+amazon_ses://", "amazon_ses", {}),
        (
            "anymail+amazon_ses://?configuration_set_name=fideliza-events",
            "amazon_ses",
            {"configuration_set_name": "fideliza-events"},
        ),
        (
            "anymail+postmark://0f5e-token@?message_stream=outbound",
            "postmark",
            {"server_token": "0f5e-token", "message_stream": "outbound"},
        ),
        ("anymail+brevo://xkeysib-abc@", "brevo", {"api_key": "xkeysib-abc"}),
        (
            "anymail+mailjet://public:se%2Fcret@",
            "mailjet",
            {"api_key": "public", "secret_key": "se/cret"},
        ),
    ],
)
def test_email_url_selects_a_provider_through_anymail(url, esp, options, settings):
    mailer = mailer_from_url(url)

    assert mailer == {"BACKEND": f"anymail.backends.{esp}.EmailBackend", "OPTIONS": options}
    settings.MAILERS = {"default": mailer}
    backend = mail.mailers["default"]  # Django refuses an option the backend does not take
    assert backend.esp_name.lower().replace(" ", "_") == esp
    for name, value in options.items():
        assert str(getattr(backend, name)).rstrip("/") == value


def test_email_url_sendgrid_works_though_anymail_no_longer_tests_it(settings):
    settings.MAILERS = {"default": mailer_from_url("anymail+sendgrid://SG.key.secret@")}

    with pytest.warns(AnymailNotSupportedWarning, match="dropped official support for SendGrid"):
        backend = mail.mailers["default"]

    assert backend.api_key == "SG.key.secret"


def test_a_misspelt_provider_option_is_refused_when_the_mailer_is_made(settings):
    settings.MAILERS = {"default": mailer_from_url("anymail+postmark://token@?mesage_stream=x")}

    with pytest.raises(InvalidMailer, match="mesage_stream"):
        mail.mailers["default"]


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("anymail+mailchump://key@", "unknown provider 'mailchump'"),
        ("sendmail://localhost", "unknown scheme 'sendmail'"),
        ("anymail+postmark://", "anymail+postmark://SERVER_TOKEN@"),
        ("anymail+postmark://token", "anymail+postmark://SERVER_TOKEN@"),  # no @: a host
        ("anymail+mailjet://public@", "anymail+mailjet://API_KEY:SECRET_KEY@"),
        ("anymail+amazon_ses://AKIA:secret@", "anymail+amazon_ses://?"),
    ],
)
def test_an_email_url_that_says_nothing_sensible_stops_the_start(url, says):
    with pytest.raises(ImproperlyConfigured, match=re.escape(says)):
        mailer_from_url(url)


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_without_third_party_sources(client):
    response = client.get("/accounts/login/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "http" not in policy  # no CDN is allowed anywhere
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_pages_load_nothing_from_another_host(client):
    html = client.get("/accounts/login/").text
    assert 'src="http' not in html
    assert 'href="http' not in html


@pytest.mark.django_db
def test_the_health_check_answers_without_signing_in(client):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_models_and_migrations_agree():
    from io import StringIO

    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())


@pytest.mark.parametrize(
    ("variables", "options", "named_cursors"),
    [
        ({}, {"server_side_binding": True, "prepare_threshold": 5}, True),
        ({"DATABASE_PREPARED_STATEMENTS": "false"}, {"prepare_threshold": None}, True),
        ({"DATABASE_TRANSACTION_POOLER": "true"}, {"prepare_threshold": None}, False),
    ],
)
def test_a_transaction_pooler_turns_off_what_would_outlive_a_transaction(
    variables, options, named_cursors
):
    probe = (
        "import django; django.setup(); from django.conf import settings; "
        "print(repr((settings.DATABASES['default']['OPTIONS'], "
        "settings.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS'])))"
    )
    switches = {"DATABASE_PREPARED_STATEMENTS", "DATABASE_TRANSACTION_POOLER"}
    environment = {k: v for k, v in os.environ.items() if k not in switches}
    environment.update(
        variables,
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL="postgres://fideliza@127.0.0.1:6432/fideliza",
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    found = ast.literal_eval(result.stdout.strip().splitlines()[-1])
    assert found == (options, not named_cursors)


def test_a_replica_connects_as_the_primary_does_and_receives_no_migrations():
    probe = (
        "import django; django.setup(); from django.conf import settings; "
        "from django.db import router; "
        "replica = settings.DATABASES['replica']; "
        "print(repr((settings.READ_REPLICA, replica['HOST'], replica['OPTIONS'], "
        "replica['DISABLE_SERVER_SIDE_CURSORS'], "
        "router.allow_migrate('replica', 'members'), router.allow_migrate('default', 'members'))))"
    )
    switches = {"DATABASE_PREPARED_STATEMENTS", "DATABASE_TRANSACTION_POOLER"}
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", *SERVICES, *switches}
    }
    environment.update(
        SERVICES,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="x" * 60,
        DATABASE_REPLICA_URL="postgres://fideliza@replica.internal:5432/fideliza",
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    alias, host, options, named_cursors_off, to_replica, to_primary = ast.literal_eval(
        result.stdout.strip().splitlines()[-1]
    )
    assert (alias, host, to_replica, to_primary) == ("replica", "replica.internal", False, True)
    assert options["pool"] == {"timeout": 5.0}
    assert options["server_side_binding"] is True
    assert named_cursors_off is False  # as the primary's: off only behind a transaction pooler
