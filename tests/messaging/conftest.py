import pytest

from apps.messaging.sms import outbox


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    """The locmem backend's outbox is module-level, like django.core.mail.outbox."""
    outbox.clear()
    yield
    outbox.clear()
