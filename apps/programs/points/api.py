"""The storefront API for points: a member's ledger, newest first, with the balance after
each entry."""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from apps.core.api.base import ApiView
from apps.core.errors import DomainError
from apps.members.api import ErrorOut, member_for_api
from apps.programs.points.models import EntryKind, LedgerEntry
from apps.programs.points.selectors import ledger_list

LEDGER_PAGE = 100


class LedgerEntryOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="Ascending; pass as `before` for older ones.")
    kind = serializers.ChoiceField(choices=EntryKind.choices)
    points = serializers.IntegerField()
    balance_after = serializers.IntegerField()
    purchase = serializers.CharField(allow_null=True)
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class LedgerOut(serializers.Serializer):
    results = LedgerEntryOut(many=True)
    next_before = serializers.IntegerField(allow_null=True)


class LedgerView(ApiView):
    query_parameters = frozenset({"before"})

    @extend_schema(
        summary="A member's ledger, newest first, with the balance after each entry",
        parameters=[OpenApiParameter("before", int, description="Entries older than this id.")],
        responses={200: LedgerOut, 400: ErrorOut, 404: ErrorOut},
    )
    def get(self, request, member_id: str):
        member = member_for_api(request, member_id)
        entries = ledger_list(member=member).order_by("-id")
        before = request.query_params.get("before")
        if before is not None:
            if not before.isdigit() or len(before) > 18:
                raise DomainError(gettext("Give `before` as an entry id."), field="before")
            entries = entries.filter(id__lt=int(before))
        page = list(entries[: LEDGER_PAGE + 1])
        more = len(page) > LEDGER_PAGE
        page = page[:LEDGER_PAGE]
        return Response(
            {
                "results": [_entry_data(entry) for entry in page],
                "next_before": page[-1].pk if more else None,
            }
        )


def _entry_data(entry: LedgerEntry) -> dict:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "points": entry.points,
        "balance_after": entry.balance_after,
        "purchase": entry.purchase.external_id if entry.purchase_id else None,
        "reason": entry.reason,
        "created_at": entry.created_at.isoformat(),
    }
