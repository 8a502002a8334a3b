import pytest
from rest_framework.test import APIClient

from apps.core.api.keys import api_key_create


def key_client(team, scope: str = "write") -> APIClient:
    issued = api_key_create(merchant=team.merchant, actor=team.owner, name="Shop", scope=scope)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.key}")
    return client


@pytest.fixture
def storefront(team) -> APIClient:
    return key_client(team)


@pytest.fixture
def reader(team) -> APIClient:
    return key_client(team, scope="read")


@pytest.fixture
def other_storefront(other_team) -> APIClient:
    return key_client(other_team)
