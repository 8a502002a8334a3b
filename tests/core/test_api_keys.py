"""API keys: shown once, stored as a hash, scoped, revocable, rate limited, one error shape."""

import hashlib
import io
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from apps.core.api import keys
from apps.core.api.keys import api_key_authenticate, api_key_create, api_key_revoke
from apps.core.api.models import ApiKey
from apps.core.merchant_config import merchant_config_changed
from apps.core.models import AuditLog

pytestmark = pytest.mark.django_db


def api(key: str | None = None) -> APIClient:
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_a_key_is_shown_once_and_only_its_prefix_and_hash_are_kept(team, client_as):
    client = client_as(team.owner)

    response = client.post(reverse("core:api_keys"), {"name": "Web shop", "scope": "write"})

    assert response.status_code == 200
    key = response.context["issued"].key
    assert key.startswith("fdz_")
    assert key in response.content.decode()
    stored = ApiKey.objects.get(merchant=team.merchant)
    assert stored.secret_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.split("_")[2] not in str(ApiKey.objects.filter(pk=stored.pk).values().get())
    page = client.get(reverse("core:api_keys")).content.decode()
    assert f"fdz_{stored.prefix}" in page
    assert key not in page
    assert AuditLog.objects.filter(merchant=team.merchant, action="api_key.created").exists()


def test_a_nameless_key_is_a_form_error_and_nothing_is_created(team, client_as):
    response = client_as(team.owner).post(reverse("core:api_keys"), {"name": " ", "scope": "write"})

    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert not ApiKey.objects.exists()


def test_the_key_opens_its_own_merchant_only(team, other_team):
    mine = api_key_create(merchant=team.merchant, actor=team.owner, name="Shop", scope="read")
    api_key_create(merchant=other_team.merchant, actor=other_team.owner, name="Shop", scope="read")

    body = api(mine.key).get(reverse("api:whoami")).json()

    assert body["merchant"]["slug"] == team.merchant.slug
    assert body["key"] == {"name": "Shop", "prefix": mine.api_key.prefix, "scope": "read"}


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer fdz_nope", "Basic dXNlcjpwYXNz", "Bearer fdz_abcdefghij_wrong"],
)
def test_without_a_valid_key_the_answer_is_401_in_the_error_shape(header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(reverse("api:whoami"))

    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "errors"}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_secret_with_a_real_prefix_is_refused(team):
    issued = api_key_create(merchant=team.merchant, actor=team.owner, name="Shop", scope="read")
    forged = issued.key[:-4] + ("aaaa" if not issued.key.endswith("aaaa") else "bbbb")

    assert api_key_authenticate(forged) is None
    assert api(forged).get(reverse("api:whoami")).status_code == 401


def test_a_revoked_key_stops_working_at_once(team, client_as):
    issued = api_key_create(merchant=team.merchant, actor=team.owner, name="Shop", scope="read")
    assert api(issued.key).get(reverse("api:whoami")).status_code == 200

    response = client_as(team.owner).post(reverse("core:api_key_revoke", args=[issued.api_key.pk]))

    assert response.status_code == 302
    assert api(issued.key).get(reverse("api:whoami")).status_code == 401
    assert api_key_revoke(api_key=issued.api_key, actor=team.owner) is False  # once only
    assert AuditLog.objects.filter(action="api_key.revoked").count() == 1


def test_a_recognised_key_is_not_read_again_for_a_few_seconds(team, settings):
    settings.API_KEY_CACHE_SECONDS = 5
    issued = api_key_create(merchant=team.merchant, actor=team.owner, name="Shop", scope="read")
    assert api_key_authenticate(issued.key) is not None

    with CaptureQueriesContext(connection) as queries:
        again = api_key_authenticate(issued.key)

    assert again.pk == issued.api_key.pk
    assert len(queries) == 0
    # The secret is still checked (a last character changed: the key may end in "x").
    wrong = issued.key[:-1] + ("y" if issued.key.endswith("x") else "x")
    assert api_key_authenticate(wrong) is None


def test_a_key_revoked_by_another_process_stops_working_within_the_cache_time(
    team, settings, monkeypatch
):
    settings.API_KEY_CACHE_SECONDS = 5
    issued = api_key_create(merchant=team.merchant, actor=team.owner, name="Shop", scope="read")
    assert api(issued.key).get(reverse("api:whoami")).status_code == 200
    # Another process revokes: this one is not told, and trusts its copy for 5 s at most.
    ApiKey.objects.filter(pk=issued.api_key.pk).update(revoked_at=timezone.now())
    assert api(issued.key).get(reverse("api:whoami")).status_code == 200

    later = time.monotonic() + 5.1
    monkeypatch.setattr(keys.time, "monotonic", lambda: later)

    assert api(issued.key).get(reverse("api:whoami")).status_code == 401


def test_a_change_to_the_merchant_is_seen_at_once_by_the_process_that_made_it(team, settings):
    settings.API_KEY_CACHE_SECONDS = 5
    issued = api_key_create(merchant=team.merchant, actor=team.owner, name="Shop", scope="read")
    assert api_key_authenticate(issued.key).merchant.name == team.merchant.name

    team.merchant.name = "Café Renamed"
    team.merchant.save()
    config_version = api_key_authenticate(issued.key).merchant.config_version
    merchant_config_changed(team.merchant.pk)

    assert api_key_authenticate(issued.key).merchant.name == "Café Renamed"
    assert api_key_authenticate(issued.key).merchant.config_version != config_version


def test_last_use_is_recorded_at_most_once_a_minute(team):
    issued = api_key_create(merchant=team.merchant, actor=team.owner, name="Shop", scope="read")
    client = api(issued.key)

    client.get(reverse("api:whoami"))
    first = ApiKey.objects.get(pk=issued.api_key.pk).last_used_at
    ApiKey.objects.filter(pk=issued.api_key.pk).update(last_used_at=None)
    client.get(reverse("api:whoami"))

    assert first is not None
    assert ApiKey.objects.get(pk=issued.api_key.pk).last_used_at is None


def test_a_read_only_key_cannot_write(team):
    issued = api_key_create(merchant=team.merchant, actor=team.owner, name="Shop", scope="read")

    response = api(issued.key).post(reverse("api:whoami"), {}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_write_key_gets_past_the_scope_check(team):
    issued = api_key_create(merchant=team.merchant, actor=team.owner, name="Shop", scope="write")

    response = api(issued.key).post(reverse("api:whoami"), {}, format="json")

    assert response.status_code == 405  # whoami only reads; the scope let it through


@pytest.fixture
def mid_minute(monkeypatch):
    """The limit counts per clock minute: tests run in the middle of one."""
    from apps.core import rate_limits

    monkeypatch.setattr(rate_limits, "_now", lambda: 1_800_000_030.0)


def test_the_rate_limit_answers_429_with_retry_after(team, settings, mid_minute):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    issued = api_key_create(merchant=team.merchant, actor=team.owner, name="Shop", scope="read")
    other = api_key_create(merchant=team.merchant, actor=team.owner, name="Till", scope="read")
    client = api(issued.key)

    statuses = [client.get(reverse("api:whoami")).status_code for _ in range(4)]
    limited = client.get(reverse("api:whoami"))

    assert statuses[:3] == [200, 200, 200]
    assert limited.status_code == 429
    assert limited.json()["code"] == "throttled"
    assert limited["Retry-After"] == "30"
    assert api(other.key).get(reverse("api:whoami")).status_code == 200  # per key


def test_the_schema_and_docs_are_served_without_a_key_or_a_cdn(client):
    schema = client.get(reverse("api:schema"))
    docs = client.get(reverse("api:docs"))

    assert schema.status_code == 200
    assert b"/api/v1/" in schema.content
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
    assert b"<script>" not in docs.content  # the script is a file: the CSP holds
    policy = dict(part.strip().split(" ", 1) for part in docs["Content-Security-Policy"].split(";"))
    assert "'unsafe-inline'" in policy["style-src"]  # Swagger UI's one inline <style>
    assert "'unsafe-inline'" not in policy["script-src"]


def test_createapikey_prints_the_key_once(team):
    out, err = io.StringIO(), io.StringIO()

    call_command("createapikey", team.merchant.slug, "--name", "POS", stdout=out, stderr=err)

    key = out.getvalue().strip()
    assert api_key_authenticate(key).merchant == team.merchant
    assert "shown only once" in err.getvalue()
    with pytest.raises(CommandError, match="No merchant"):
        call_command("createapikey", "nobody", "--name", "POS", stdout=out, stderr=err)


@pytest.mark.redis
def test_the_rate_limit_counts_in_redis(team, settings, mid_minute):
    """The production cache: Redis's atomic increment, shared by every process."""
    from django.core.cache import cache

    from tests.conftest import REDIS_URL

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    issued = api_key_create(merchant=team.merchant, actor=team.owner, name="Shop", scope="read")
    client = api(issued.key)
    try:
        statuses = [client.get(reverse("api:whoami")).status_code for _ in range(5)]
    finally:
        redis = cache._cache.get_client(write=True)
        leftovers = redis.keys(f"*api-*{issued.api_key.pk}*")
        if leftovers:
            redis.delete(*leftovers)

    assert statuses == [200, 200, 200, 429, 429]
