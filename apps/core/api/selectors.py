"""Reads for the API's pages: a merchant's keys."""

from django.db.models import F, QuerySet

from apps.core.api.models import ApiKey
from apps.core.models import Merchant


def api_key_list(*, merchant: Merchant) -> QuerySet[ApiKey]:
    """The merchant's API keys, live ones first, newest first."""
    return (
        ApiKey.objects.for_merchant(merchant)
        .select_related("created_by", "revoked_by")
        .order_by(F("revoked_at").desc(nulls_first=True), "-created_at", "-id")
    )
