"""An app that claims a response key the tiers app writes already: installing it must stop
the process at start-up (tests/core/test_events.py runs it in a child process)."""

from django.apps import AppConfig


def answer_tier(recorded) -> dict:
    return {"tier": "Platinum"}


class ClashConfig(AppConfig):
    name = "tests.core"
    label = "startup_clash"

    def ready(self):
        from apps.core.events import PURCHASE_RECORDED, subscribe

        subscribe(PURCHASE_RECORDED, answer_tier, order=60, writes=("tier",))
