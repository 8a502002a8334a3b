"""Members' signed links never reach a log: Django's "Not Found" / "Gone" warnings and the
development server's access lines go through the console handler's `TokenRedaction`."""

import io
import logging

import pytest
from django.urls import reverse

from apps.core.public_links import TokenRedaction
from apps.messaging.links import CARD, DATA, ERASE, UNSUBSCRIBE_EMAIL, member_token
from config.settings import base
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db


@pytest.fixture
def redacted_log():
    """What the project's console handler (its settings, not the tests' quiet ones) would
    write for django.request, read back."""
    config = base.LOGGING
    assert config["filters"]["redact_tokens"]["()"] == "apps.core.public_links.TokenRedaction"
    assert "redact_tokens" in config["handlers"]["console"]["filters"]
    assert config["loggers"]["django.server"]["handlers"] == ["console"]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(TokenRedaction())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def test_every_member_link_is_redacted_in_the_request_log(team, client, redacted_log):
    member = enroll(team, first_name="Ana", email="ana@example.com")
    paths = {
        reverse("portal:card", args=[member_token(member=member, purpose=CARD) + "x"]): "/c/…/",
        reverse("portal:erase_confirm", args=[member_token(member=member, purpose=ERASE) + "x"]): (
            "/c/erase/…/"
        ),
        reverse("portal:data_download", args=[member_token(member=member, purpose=DATA) + "x"]): (
            "/c/data/…/"
        ),
        reverse(
            "messaging:unsubscribe",
            args=[member_token(member=member, purpose=UNSUBSCRIBE_EMAIL)[:-1]],
        ): "/u/…/",
    }
    for path in paths:
        assert client.get(path).status_code == 404

    written = redacted_log.getvalue()
    for path, shown in paths.items():
        token = path.rstrip("/").rsplit("/", 1)[1]
        assert token not in written
        assert shown in written
    assert member.public_id not in written
