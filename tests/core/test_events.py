"""The domain events (apps/core/events.py): handlers run in their declared order, two
handlers writing one response key are refused at start-up, a payload of another type is
refused, and after-commit handlers run only once the work commits."""

import dataclasses
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from apps.campaigns.automations.triggers import automations_on_purchase
from apps.core import events
from apps.core.events import Event, publish, subscribe, unsubscribe
from apps.programs.coupons.cashback import on_purchase_recorded
from apps.programs.referrals.services import referral_purchase_hook
from apps.programs.tiers.services import tiers_on_purchase
from tests.core.factories import MerchantFactory

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass(frozen=True)
class Happened:
    what: str


@dataclass(frozen=True)
class Other:
    what: str


def _event(answers: bool = True) -> Event:
    return Event("something_happened", Happened, answers=answers)


# Order -------------------------------------------------------------------------------


def test_handlers_run_by_their_order_not_by_when_they_subscribed():
    event, ran = _event(), []
    subscribe(event, lambda happened: ran.append("third"), order=30)
    subscribe(event, lambda happened: ran.append("first"), order=10)
    subscribe(event, lambda happened: ran.append("second"), order=20)

    publish(event, Happened("a sale"))

    assert ran == ["first", "second", "third"]


def test_two_handlers_at_one_order_are_refused():
    event = _event()
    subscribe(event, lambda happened: None, order=10)
    with pytest.raises(ImproperlyConfigured, match="both have order 10"):
        subscribe(event, lambda happened: None, order=10)


def test_the_purchase_handlers_run_in_the_documented_order():
    """Tiers, then cashback, then referrals, then (after the commit) the automations:
    whatever INSTALLED_APPS says."""
    handlers = [sub.handler for sub in events.PURCHASE_RECORDED.subscriptions]
    assert handlers == [
        tiers_on_purchase,
        on_purchase_recorded,
        referral_purchase_hook,
        automations_on_purchase,
    ]


# Response keys -----------------------------------------------------------------------


def test_answers_are_merged_from_every_handler():
    event = _event()
    subscribe(event, lambda happened: {"tier": "Gold"}, order=10, writes=["tier"])
    subscribe(event, lambda happened: None, order=20)
    subscribe(event, lambda happened: {"cashback": 5}, order=30, writes=["cashback"])

    assert publish(event, Happened("a sale")) == {"tier": "Gold", "cashback": 5}


def test_a_second_handler_writing_the_same_key_is_refused():
    event = _event()
    subscribe(event, lambda happened: {"tier": "Gold"}, order=10, writes=["tier"])
    with pytest.raises(ImproperlyConfigured, match="both write tier"):
        subscribe(event, lambda happened: {"tier": "Lead"}, order=20, writes=["points", "tier"])
    assert event.writes() == {"tier"}  # the refused handler is not half-subscribed


def test_a_key_the_tiers_app_writes_cannot_be_claimed_by_another_handler():
    def also_tier(recorded):
        return {"tier": "Platinum"}

    with pytest.raises(ImproperlyConfigured, match="both write tier"):
        subscribe(events.PURCHASE_RECORDED, also_tier, order=60, writes=["tier"])
    assert also_tier not in [sub.handler for sub in events.PURCHASE_RECORDED.subscriptions]


def test_the_process_does_not_start_when_two_apps_write_one_key():
    """A real start-up: an extra app's `ready()` claims `tier` on purchase_recorded."""
    code = (
        "import django\n"
        "from django.conf import settings\n"
        "settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "
        "'tests.core.startup_clash.ClashConfig']\n"
        "django.setup()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "purchase_recorded" in result.stderr
    assert "both write tier" in result.stderr


def test_a_handler_answering_a_key_it_did_not_declare_is_refused():
    event = _event()
    subscribe(event, lambda happened: {"tier": "Gold", "secret": 1}, order=10, writes=["tier"])
    with pytest.raises(ImproperlyConfigured, match="answered secret without declaring it"):
        publish(event, Happened("a sale"))


def test_keys_are_refused_where_nobody_reads_them():
    quiet = _event(answers=False)
    with pytest.raises(ImproperlyConfigured, match="takes no answer"):
        subscribe(quiet, lambda happened: {"x": 1}, order=10, writes=["x"])
    with pytest.raises(ImproperlyConfigured, match="after commit cannot answer"):
        subscribe(_event(), lambda happened: {"x": 1}, order=10, writes=["x"], after_commit=True)


# Payloads ----------------------------------------------------------------------------


def test_a_payload_of_another_type_is_refused():
    event, ran = _event(), []
    subscribe(event, ran.append, order=10)

    with pytest.raises(TypeError, match="takes a Happened, not Other"):
        publish(event, Other("a sale"))
    with pytest.raises(TypeError, match="purchase_recorded takes a PurchaseRecorded, not dict"):
        publish(events.PURCHASE_RECORDED, {"purchase": None})
    assert ran == []


def test_every_declared_event_has_a_frozen_dataclass_payload():
    assert len({event.name for event in events.EVENTS}) == len(events.EVENTS)
    for event in events.EVENTS:
        assert dataclasses.is_dataclass(event.payload), event
        assert event.payload.__dataclass_params__.frozen, event


def test_unsubscribing_takes_a_handler_off():
    event, ran = _event(), []
    subscribe(event, ran.append, order=10)
    unsubscribe(event, ran.append)
    publish(event, Happened("a sale"))
    assert ran == []


# In the transaction, or after commit -------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_after_commit_handlers_run_once_the_work_commits_and_never_on_rollback():
    event, ran = _event(), []
    subscribe(event, lambda happened: ran.append(("in", happened.what)), order=10)
    subscribe(
        event, lambda happened: ran.append(("after", happened.what)), order=20, after_commit=True
    )

    with transaction.atomic():
        MerchantFactory()
        publish(event, Happened("kept"))
        assert ran == [("in", "kept")]  # in the transaction: at once; after commit: not yet
    assert ran == [("in", "kept"), ("after", "kept")]

    ran.clear()

    def failing_work():
        with transaction.atomic():
            publish(event, Happened("rolled back"))
            raise RuntimeError("the work fails")

    with pytest.raises(RuntimeError):
        failing_work()
    assert ran == [("in", "rolled back")]


@pytest.mark.django_db(transaction=True)
def test_a_failing_after_commit_handler_leaves_the_committed_work_alone(caplog):
    event, ran = _event(), []

    def broken(happened):
        raise ConnectionError("the broker is down")

    subscribe(event, broken, order=10, after_commit=True)
    subscribe(event, lambda happened: ran.append(happened.what), order=20, after_commit=True)

    with transaction.atomic():
        merchant = MerchantFactory()
        publish(event, Happened("a sale"))

    assert ran == ["a sale"]  # the next handler still ran
    assert type(merchant)._base_manager.filter(pk=merchant.pk).exists()
    assert "the broker is down" in caplog.text
    assert "something_happened handler tests.core.test_events" in caplog.text
    assert "a sale" not in caplog.text  # the payload stays out of the log


def test_the_architecture_document_lists_every_handler_in_its_order():
    """docs/ARCHITECTURE.md, "The events and who listens": one row per event naming each
    handler with its order, lowest first, the keys they write and when they run."""
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    rows = {line.split("`")[1]: line for line in text.splitlines() if line.startswith("| `")}
    for event in events.EVENTS:
        row = rows[event.name]
        named = [f"{sub.order} `{sub.handler.__name__}`" for sub in event.subscriptions]
        assert named, event
        assert all(name in row for name in named), (event, named)
        assert [row.index(name) for name in named] == sorted(row.index(name) for name in named)
        assert all(f"`{key}`" in row for key in event.writes()), event
        after = any(sub.after_commit for sub in event.subscriptions)
        assert row.rstrip(" |").endswith("after commit") == after, event
