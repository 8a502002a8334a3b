"""The tenant-scoping pattern every merchant-owned model follows.

A tenant-owned model subclasses `TenantModel`: it gets a non-null `merchant` and a
manager whose `for_merchant()` is the one way views, selectors and the API reach its
rows. A row of another merchant is then simply not found, which the views turn into 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from apps.core.models import Merchant


class TenantQuerySet(models.QuerySet):
    def for_merchant(self, merchant: Merchant) -> Self:
        return self.filter(merchant=merchant)

    def one_or_none(self):
        """The row a lookup by a unique key finds, or None. `first()` would add an ORDER
        BY the primary key, whose compiling is a tenth of a purchase's Python time."""
        return next(iter(self.order_by()[:1]), None)


class TenantModel(models.Model):
    merchant = models.ForeignKey(
        "core.Merchant", verbose_name=_("business"), on_delete=models.PROTECT, related_name="+"
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True
