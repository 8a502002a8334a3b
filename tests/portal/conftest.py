import pytest

from tests.smtp import smtp_server


@pytest.fixture
def inbox(settings):
    """A real SMTP server, and Django's mail sent to it."""
    with smtp_server() as server:
        settings.MAILERS = {"default": server.mailer()}
        yield server
