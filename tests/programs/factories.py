"""Purchases made the way the app makes them: `buy` through the service that the counter
and the API call (`sale_record`); `api_buy` through the API itself."""

import itertools
from contextlib import nullcontext
from datetime import datetime

from django.test import TestCase

from apps.members.models import Member
from apps.programs.sale import sale_record
from apps.programs.services import PurchaseResult

_tickets = itertools.count(1)


def buy(
    team,
    member: Member,
    amount: int = 1250,
    *,
    external_id: str | None = None,
    at: datetime | None = None,
    run_on_commit: bool = False,
    coupon: str = "",
    **fields,
) -> PurchaseResult:
    """Record a purchase of `amount` (minor units) for `member` of `team`'s merchant.

    With a `coupon` code, `amount` is the basket and the coupon pays part of it (or all):
    the purchase's `amount` is what was paid, its `discount` what the coupon took off.

    Rung up by the team's staff unless `actor` says otherwise (`actor=None`: a storefront),
    `at` now unless told, with a ticket number of its own unless `external_id` is given.
    Other keywords (`location`, `items`, `currency`) go to `sale_record` as they are.
    With `run_on_commit`, what the purchase leaves to run on commit (a referrer's reward,
    a webhook) runs as it would after the commit, which never comes in a plain
    `django_db` test (it runs in one transaction, rolled back at the end)."""
    fields.setdefault("actor", team.staff)
    with TestCase.captureOnCommitCallbacks(execute=True) if run_on_commit else nullcontext():
        return sale_record(
            merchant=team.merchant,
            member=member,
            external_id=f"auto-{next(_tickets)}" if external_id is None else external_id,
            amount=amount,
            coupon_code=coupon,
            occurred_at=at,
            **fields,
        ).result


def api_buy(
    client,
    member: Member,
    amount: int = 2500,
    *,
    external_id="order-1",
    headers: dict | None = None,
    **body,
):
    """POST a purchase to the API with `client` (an API key's client); the response. Other
    keywords are fields of the body (`coupon`, `items`, `location`, ...)."""
    fields = {"member": member.public_id, "external_id": external_id, "amount": amount}
    return client.post(
        "/api/v1/purchases/",
        fields | {"currency": "EUR"} | body,
        format="json",
        headers=headers or {},
    )
