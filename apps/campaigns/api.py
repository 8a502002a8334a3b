"""The storefront API for segments: preview a segment's size, save one, read them. Thin:
the dashboard's builder calls the same selectors and services."""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from apps.campaigns import services
from apps.campaigns.models import Segment
from apps.campaigns.selectors import segment_count, segment_get, segments_of
from apps.core.api.base import ApiView, TextField
from apps.core.api.idempotency import idempotent
from apps.core.errors import NotFound
from apps.members.api import ErrorOut

RULES_HELP = (
    'Rules: {"all": [...]}, {"any": [...]}, {"not": {...}} around conditions '
    '{"field": F, "op": OP, "value": V} (and "within_days" for purchase_count and '
    "total_spent). See the guide for the fields and operators."
)


class PreviewIn(serializers.Serializer):
    rules = serializers.JSONField(help_text=RULES_HELP)


class PreviewOut(serializers.Serializer):
    member_count = serializers.IntegerField()


class SegmentIn(serializers.Serializer):
    name = TextField(max_length=120)
    rules = serializers.JSONField(help_text=RULES_HELP)


class SegmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    rules = serializers.JSONField()
    member_count = serializers.IntegerField(required=False, help_text="Not in lists.")


class SegmentList(serializers.Serializer):
    results = SegmentOut(many=True)


def segment_data(segment: Segment, *, member_count: int | None = None) -> dict:
    data = {"id": segment.pk, "name": segment.name, "rules": segment.rules}
    if member_count is not None:
        data["member_count"] = member_count
    return data


def _counted(segment: Segment) -> dict:
    count = segment_count(merchant=segment.merchant, rules=segment.rules)
    return segment_data(segment, member_count=count)


class SegmentPreviewView(ApiView):
    @extend_schema(
        summary="How many members some rules select, today",
        request=PreviewIn,
        responses={200: PreviewOut, 400: ErrorOut},
    )
    def post(self, request):
        incoming = PreviewIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        count = segment_count(
            merchant=request.auth.merchant, rules=incoming.validated_data["rules"]
        )
        return Response({"member_count": count})


class SegmentsView(ApiView):
    @extend_schema(summary="The segments", responses={200: SegmentList})
    def get(self, request):
        segments = segments_of(merchant=request.auth.merchant)
        return Response({"results": [segment_data(segment) for segment in segments]})

    @extend_schema(
        summary="Save a segment",
        request=SegmentIn,
        responses={201: SegmentOut, 400: ErrorOut, 409: ErrorOut},
    )
    @idempotent
    def post(self, request):
        incoming = SegmentIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        segment = services.segment_create(
            merchant=request.auth.merchant, actor=None, **incoming.validated_data
        )
        return Response(_counted(segment), status=201)


class SegmentView(ApiView):
    @extend_schema(
        summary="A segment, with its member count today", responses={200: SegmentOut, 404: ErrorOut}
    )
    def get(self, request, segment_id: int):
        segment = segment_get(merchant=request.auth.merchant, segment_id=segment_id)
        if segment is None:
            raise NotFound(gettext("No segment with this id."), field="segment")
        return Response(_counted(segment))
