"""A merchant's configuration, read once per version and kept in each process.

Every purchase reads the terms it earns under (the program's rate, multipliers and
promotions, the tiers, the cashback rates) and the webhook endpoints to tell: nine reads
that change a few times a month. A function decorated with `@merchant_config(Model, ...)`
loads such a view of a merchant once, and each process keeps it, keyed by the merchant
row's `config_version`. Any save or delete of a named model (or `merchant_config_changed`
after a bulk `update()`) replaces that version in the change's own transaction, so:

* a request that loaded its merchant row uses the version that row had: a change that
  commits later applies from the next request, in every process;
* the process that makes a change forgets its copy at once, so a merchant object held
  since before the change (a test's, a task's) does not read the old terms there;
* a change that rolls back restores the old version, and the copies loaded under the
  new one are never asked for again (versions are random, never reused).

What a loader returns is shared by every request of the process: read it, never change
it. Loaders return frozen dataclasses or tuples, not model forms' instances.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save

from apps.core.models import Merchant

T = TypeVar("T")

# merchant id -> (the version the values were loaded under, {loader name: value})
_loaded: dict[int, tuple[uuid.UUID, dict[str, Any]]] = {}
_watched: set[type[models.Model]] = set()
# What else a process keeps of a merchant's row, forgotten with its configuration.
_also_forget: list[Callable[[int], None]] = []


def merchant_config(*watched: type[models.Model]) -> Callable:
    """Cache `load(merchant=...)` per merchant and config version. `watched` are the models
    it reads: a change to any of them makes every process load it again."""
    for model in watched:
        _watch(model)

    def decorate(load: Callable[..., T]) -> Callable[..., T]:
        name = f"{load.__module__}.{load.__qualname__}"

        @wraps(load)
        def cached(*, merchant: Merchant) -> T:
            values = _values_for(merchant)
            try:
                return values[name]
            except KeyError:
                value = values[name] = load(merchant=merchant)
                return value

        cached.uncached = load
        return cached

    return decorate


def merchant_config_changed(merchant_id: int) -> None:
    """Call in the transaction of a change the signals do not see (`QuerySet.update`)."""
    Merchant.objects.filter(pk=merchant_id).update(config_version=uuid.uuid4())
    _loaded.pop(merchant_id, None)
    for forget in _also_forget:
        forget(merchant_id)


def merchant_config_also_forget(forget: Callable[[int], None]) -> None:
    """Call `forget(merchant_id)` on every configuration change this process makes: for a
    copy of the merchant's row kept elsewhere (the API keys'), whose version would
    otherwise keep asking for the configuration it had."""
    _also_forget.append(forget)


def _values_for(merchant: Merchant) -> dict[str, Any]:
    version = merchant.config_version
    loaded = _loaded.get(merchant.pk)
    if loaded is None or loaded[0] != version:
        loaded = _loaded[merchant.pk] = (version, {})
    return loaded[1]


def _watch(model: type[models.Model]) -> None:
    if model in _watched:
        return
    _watched.add(model)
    post_save.connect(_saved_or_deleted, sender=model, weak=False)
    post_delete.connect(_saved_or_deleted, sender=model, weak=False)
    for field in model._meta.many_to_many:
        m2m_changed.connect(_relation_changed, sender=field.remote_field.through, weak=False)


def _saved_or_deleted(sender, instance, **kwargs) -> None:
    merchant_config_changed(instance.merchant_id)


def _relation_changed(sender, instance, action, **kwargs) -> None:
    if action.startswith("post_") and isinstance(getattr(instance, "merchant_id", None), int):
        merchant_config_changed(instance.merchant_id)
