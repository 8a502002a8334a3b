"""No unmarked string on any page or email: rendered under a pseudo-locale in which every
translation is its msgid between ⟦ and ⟧, nothing outside the markers may be a word that
is not data (tests/i18n/pseudo.py). Catches what makemessages cannot see: text nobody marked.
"""

import pytest
from babel import Locale
from babel.numbers import list_currencies
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import models
from django.urls import reverse

from apps.accounts.models import User
from apps.analytics.cards import KPI_CARDS
from apps.core import services
from apps.core.models import Merchant, Role
from apps.core.stored_text import SUMMARY_KEY, is_stored_text
from apps.demo.management.commands.seed_demo import DEMO_USERS
from tests import tenancy
from tests.conftest import Team
from tests.i18n.pseudo import (
    OPEN,
    PSEUDO_LANGUAGE,
    WORD,
    build_pseudo_catalog,
    foreign_document,
    unmarked_words,
    visible_texts,
)

# Words that are never ours to translate: the brand, the languages' own names (a switcher
# names each language in itself), and codes people know as they are.
NOT_OURS = {"fideliza", "español", "română", "english", "csv", "json", "api", "url", "iso"}


@pytest.fixture
def pseudo(tmp_path, settings):
    from django_countries import countries

    build_pseudo_catalog(tmp_path)
    settings.LOCALE_PATHS = [tmp_path]
    # django-countries keeps each language's translated names; forget the real Spanish ones.
    del countries.countries
    yield
    del countries.countries


@pytest.fixture
def demo(db) -> Team:
    call_command("seed_demo", members=25, purchases=120, seed=7, verbosity=0)
    merchant = Merchant.objects.get(slug="demo")
    users = {role: User.objects.get(email=email) for email, _f, _l, role in DEMO_USERS}
    User.objects.update(language=PSEUDO_LANGUAGE)
    return Team(
        merchant=merchant,
        owner=users[Role.OWNER],
        manager=users[Role.MANAGER],
        staff=users[Role.STAFF],
    )


def _data_words() -> set[str]:
    """Every word stored in the database (names, notes, codes...) and what Babel writes
    (months, days, currency and time zone names): data, not interface text."""
    words = set(NOT_OURS)
    for model in apps.get_models():
        text_fields = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(
                field, models.CharField | models.TextField | models.JSONField | models.FileField
            )
        ]
        for row in model._default_manager.values(*text_fields):
            for name, value in row.items():
                if not _stored_elsewhere(name, row):
                    words.update(word.lower() for word in WORD.findall(_data_of(value)))
    locale = Locale.parse(PSEUDO_LANGUAGE)
    for names in (locale.months, locale.days):
        for context in names.values():
            for width in context.values():
                words.update(word.lower() for name in width.values() for word in WORD.findall(name))
    for text in [*locale.currencies.values(), *locale.currency_symbols.values()]:
        words.update(word.lower() for word in WORD.findall(text))
    words.update(code.lower() for code in list_currencies())
    words.update(word.lower() for word in WORD.findall(" ".join(locale.time_zones)))
    from zoneinfo import available_timezones

    words.update(word.lower() for word in WORD.findall(" ".join(available_timezones())))
    return words


def _stored_elsewhere(name: str, row: dict) -> bool:
    """An English sentence kept beside its stored text (`reason` beside `reason_text`, a
    summary beside `data["summary_text"]`): pages must show the stored text in the reader's
    language, so its English words are not data."""
    if is_stored_text(row.get(f"{name}_text")):
        return True
    return name == "summary" and is_stored_text((row.get("data") or {}).get(SUMMARY_KEY))


def _data_of(value) -> str:
    """The words of a value; of stored text only its parameters (its msgid is ours)."""
    if isinstance(value, dict):
        return " ".join(
            _data_of(inner)
            for key, inner in value.items()
            if key not in {"msgid", "plural", "context"}
        )
    if isinstance(value, list):
        return " ".join(_data_of(inner) for inner in value)
    return str(value)


def _problems(html: str, data_words: set[str]) -> list[str]:
    found = []
    for text in visible_texts(html):
        words = unmarked_words(text, data_words)
        if words:
            found.append(f"{' '.join(text.split())[:120]!r} -> {words}")
    return found


def _dashboard_urls(team: Team) -> list[str]:
    urls = []
    for view in tenancy.merchant_views():
        urls.append(tenancy.url_for(view, team))
    urls += [reverse("analytics:card", kwargs={"name": name}) for name in KPI_CARDS]
    urls += [
        reverse("analytics:members", kwargs={"status": status})
        for status in ("active", "new", "at_risk", "lapsed")
    ]
    urls.append(reverse("core:profile"))
    return sorted(set(urls))


@pytest.mark.django_db
def test_every_dashboard_page_shows_only_marked_text(pseudo, demo, client):
    client.force_login(demo.owner)
    urls = _dashboard_urls(demo)  # makes the objects the URLs name: data words come after
    data_words = _data_words()
    problems, checked = {}, 0
    for url in urls:
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        if foreign_document(html):  # an email previewed as a member of another language gets it
            continue
        checked += 1
        assert OPEN in html, url
        if found := _problems(html, data_words):
            problems[url] = found
    assert checked > 40
    assert not problems, "\n".join(f"{url}: {found}" for url, found in problems.items())


@pytest.mark.django_db
def test_the_counter_for_staff_shows_only_marked_text(pseudo, demo, client):
    client.force_login(demo.staff)
    data_words = _data_words()
    member = tenancy._member(demo)
    problems = {}
    for url in [
        reverse("members:counter"),
        reverse("members:counter") + "?q=6",
        reverse("members:detail", kwargs=member),
        reverse("home:home"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        if found := _problems(response.content.decode(), data_words):
            problems[url] = found
    assert not problems, problems


@pytest.mark.django_db
def test_pages_for_visitors_show_only_marked_text(pseudo, demo, client):
    data_words = _data_words()
    problems = {}
    for name in ["account_login", "account_signup", "account_reset_password"]:
        response = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE=PSEUDO_LANGUAGE)
        assert response.status_code == 200
        if found := _problems(response.content.decode(), data_words):
            problems[name] = found
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE=PSEUDO_LANGUAGE)
    assert response.status_code == 404
    if found := _problems(response.content.decode(), data_words):
        problems["404"] = found
    assert not problems, problems


@pytest.mark.django_db
def test_emails_show_only_marked_text(pseudo, demo, client, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(
            merchant=demo.merchant, actor=demo.owner, email="nueva@example.com", role=Role.STAFF
        )
    client.post(
        reverse("account_reset_password"),
        {"email": demo.staff.email},
        HTTP_ACCEPT_LANGUAGE=PSEUDO_LANGUAGE,
    )
    assert len(mail.outbox) >= 2
    data_words = _data_words() | {"nueva", "testserver"}
    problems = []
    for message in mail.outbox:
        for text in [message.subject, message.body]:
            if words := unmarked_words(" ".join(text.split()), data_words):
                problems.append(f"{message.subject!r}: {words}")
    assert not problems, "\n".join(problems)
    assert settings.LANGUAGE_CODE == "en"
