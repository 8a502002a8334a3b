"""Fixtures shared by every test, and the rules for tests that need real services.

Tests marked `postgres`, `redis` or `browser` need a real PostgreSQL, Redis or Chromium.
Where one is missing they are skipped with the reason, except when
FIDELIZA_REQUIRE_SERVICES=1 (CI), where they run and a missing service fails them.
"""

import functools
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.db import connection, transaction

from apps.core.api.keys import api_keys_forget_all
from apps.core.catalogs import compile_catalogs
from apps.core.errors import DomainError
from apps.core.models import Membership, Merchant, Role
from tests.accounts.factories import UserFactory
from tests.core.factories import LocationFactory, MerchantFactory
from tests.smtp import smtp_server

# `make test` compiles the catalogs first; a bare `pytest` gets them compiled here (Babel).
compile_catalogs()

REQUIRE_SERVICES = os.environ.get("FIDELIZA_REQUIRE_SERVICES") == "1"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pgbouncer_path() -> str | None:
    return shutil.which("pgbouncer") or shutil.which("/usr/sbin/pgbouncer")


@functools.cache
def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _missing_service(item) -> str | None:
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        return "needs PostgreSQL (set DATABASE_URL or start one on 127.0.0.1:5432)"
    if item.get_closest_marker("redis") and not _redis_answers():
        return f"needs Redis at {REDIS_URL}"
    if item.get_closest_marker("browser") and not shutil.which(CHROMIUM_PATH):
        return f"needs Chromium at {CHROMIUM_PATH} (Debian package 'chromium')"
    if item.get_closest_marker("pgbouncer") and not pgbouncer_path():
        return "needs PgBouncer (Debian package 'pgbouncer')"
    return None


def pytest_collection_modifyitems(config, items):
    """A test whose service is missing is skipped with the reason, except in CI, where it
    runs and fails: there a missing service is a broken machine, not a gap to hide."""
    for item in items:
        reason = _missing_service(item)
        if reason is not None and not REQUIRE_SERVICES:
            item.add_marker(pytest.mark.skipif(True, reason=reason))


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache, recognised API keys in each process: start
    each test with none."""
    cache.clear()
    api_keys_forget_all()
    yield
    cache.clear()
    api_keys_forget_all()


@dataclass
class Team:
    """A merchant with one person per role and a location, built through the services."""

    merchant: Merchant
    owner: object
    manager: object
    staff: object

    @property
    def merchant_location(self):
        from apps.core.models import Location

        return Location.objects.for_merchant(self.merchant).first()

    def user(self, role: str):
        return {Role.OWNER: self.owner, Role.MANAGER: self.manager, Role.STAFF: self.staff}[role]


def make_team() -> Team:
    owner = UserFactory()
    merchant = MerchantFactory(owner=owner)
    manager, staff = UserFactory(), UserFactory()
    Membership.objects.create(merchant=merchant, user=manager, role=Role.MANAGER)
    Membership.objects.create(merchant=merchant, user=staff, role=Role.STAFF)
    LocationFactory(merchant=merchant, name="Main street")
    return Team(merchant=merchant, owner=owner, manager=manager, staff=staff)


@pytest.fixture
def team(db) -> Team:
    return make_team()


@pytest.fixture
def other_team(db) -> Team:
    """A second, unrelated merchant: its rows must stay out of `team`'s reach."""
    return make_team()


@pytest.fixture
def client_as(client):
    """`client_as(user)` signs the test client in as `user`."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def pytest_report_header(config):
    from django.conf import settings

    database = settings.DATABASES["default"]
    where = database["ENGINE"].rsplit(".", 1)[-1]
    services = "required (CI)" if REQUIRE_SERVICES else "optional: missing ones skip their tests"
    return [f"database: {where} {database.get('HOST') or ''}", f"services: {services}"]


@pytest.fixture
def marked_spanish(monkeypatch):
    """Stored texts (apps/core/stored_text.py) read in Spanish come out «marked», whatever the
    catalog holds: a page that shows a row's English column instead of its stored text, in
    the reader's language, is caught."""
    from django.utils import translation

    from apps.core import stored_text

    def mark(function):
        def marked(*args):
            text = function(*args)
            return f"«{text}»" if translation.get_language() == "es" else text

        return marked

    for name in ("gettext", "ngettext", "pgettext"):
        monkeypatch.setattr(stored_text, name, mark(getattr(stored_text, name)))


@contextmanager
def refusal(error: type[BaseException] = DomainError, **match):
    """`pytest.raises` for a service call a test expects to be refused, run in a
    transaction of its own, as a request runs it (`core.transactions.edge_transaction`).
    Services open no savepoint (`savepoint=False`): a refusal dooms the transaction it
    runs in, which must then end before anything else is read. Here that is this one, not
    the test's, so the test reads on."""
    with pytest.raises(error, **match) as raised, transaction.atomic():
        yield raised


@pytest.fixture
def inbox(settings):
    """A real SMTP server, and Django's mail sent to it."""
    with smtp_server() as server:
        settings.MAILERS = {"default": server.mailer()}
        yield server
