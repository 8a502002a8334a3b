"""The storefront API for segments: preview a segment's size, save one, read them. Thin:
the dashboard's builder calls the same selectors and services."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from apps.analytics.periods import merchant_zone
from apps.campaigns import services
from apps.campaigns.models import Campaign, CampaignChannel, CampaignKind, CampaignStatus, Segment
from apps.campaigns.report import campaign_report
from apps.campaigns.selectors import (
    campaign_counts,
    campaign_get,
    campaigns_of,
    segment_count,
    segment_get,
    segments_of,
)
from apps.campaigns.services import editing, sending
from apps.campaigns.services.editing import CampaignFields
from apps.core.api.base import ApiView, TextField
from apps.core.api.idempotency import idempotent
from apps.core.errors import DomainError, NotFound
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


# Campaigns -------------------------------------------------------------------------------


class TextsField(serializers.JSONField):
    """A text, or one per language: {"es": …, "ro": …, "en": …}."""


class CampaignIn(serializers.Serializer):
    name = TextField(max_length=120)
    segment = serializers.IntegerField(min_value=1, max_value=2**62)
    channel = serializers.ChoiceField(choices=CampaignChannel.values)
    kind = serializers.ChoiceField(choices=CampaignKind.values)
    subject = TextsField(required=False, default="", help_text="Email only.")
    body = TextsField(help_text="HTML for email (sanitised); the text for SMS.")
    sms_body = TextsField(
        required=False,
        default="",
        help_text="For email_or_sms: the text for members without email.",
    )
    offer = serializers.JSONField(required=False, allow_null=True, default=None)
    holdout_percent = serializers.IntegerField(
        required=False, default=10, min_value=0, max_value=50
    )
    send_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Without an offset: the merchant's time zone.",
    )


class CountsOut(serializers.Serializer):
    targeted = serializers.IntegerField()
    holdout = serializers.IntegerField()
    queued = serializers.IntegerField()
    sent = serializers.IntegerField()
    failed = serializers.IntegerField()
    skipped = serializers.IntegerField()
    suppressed = serializers.IntegerField()


class CampaignOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    segment = serializers.IntegerField()
    channel = serializers.CharField()
    kind = serializers.CharField()
    subject = serializers.JSONField()
    body = serializers.JSONField()
    sms_body = serializers.JSONField()
    offer = serializers.JSONField(allow_null=True)
    holdout_percent = serializers.IntegerField()
    send_at = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(choices=CampaignStatus.values)
    counts = CountsOut()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class CampaignList(serializers.Serializer):
    results = CampaignOut(many=True)


def campaign_data(campaign: Campaign) -> dict:
    counts = campaign_counts(campaign=campaign)
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "segment": campaign.segment_id,
        "channel": campaign.channel,
        "kind": campaign.kind,
        "subject": campaign.subject,
        "body": campaign.body if campaign.channel != CampaignChannel.SMS else campaign.sms_body,
        "sms_body": campaign.sms_body,
        "offer": campaign.offer,
        "holdout_percent": campaign.holdout_percent,
        "send_at": campaign.send_at,
        "status": campaign.status,
        "counts": {name: counts[name] for name in CountsOut().fields},
        "started_at": campaign.started_at,
        "finished_at": campaign.finished_at,
    }


def _fields(request, values: dict) -> CampaignFields:
    merchant = request.auth.merchant
    segment = segment_get(merchant=merchant, segment_id=values["segment"])
    if segment is None:
        raise DomainError(gettext("No segment with this id."), field="segment")
    send_at = values["send_at"]
    if send_at is not None and timezone.is_naive(send_at):
        send_at = send_at.replace(tzinfo=merchant_zone(merchant.timezone))
    return CampaignFields(
        name=values["name"],
        segment=segment,
        channel=values["channel"],
        kind=values["kind"],
        subject=values["subject"],
        body=values["body"],
        sms_body=values["sms_body"],
        offer=values["offer"],
        holdout_percent=values["holdout_percent"],
        send_at=send_at,
    )


def _campaign(request, campaign_id: int) -> Campaign:
    campaign = campaign_get(merchant=request.auth.merchant, campaign_id=campaign_id)
    if campaign is None:
        raise NotFound(gettext("No campaign with this id."), field="campaign")
    return campaign


class CampaignsView(ApiView):
    @extend_schema(summary="The campaigns, the latest first", responses={200: CampaignList})
    def get(self, request):
        campaigns = campaigns_of(merchant=request.auth.merchant)[:100]
        return Response({"results": [campaign_data(campaign) for campaign in campaigns]})

    @extend_schema(
        summary="Write a campaign (a draft)",
        request=CampaignIn,
        responses={201: CampaignOut, 400: ErrorOut},
    )
    @idempotent
    def post(self, request):
        incoming = CampaignIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        campaign = editing.campaign_create(
            merchant=request.auth.merchant,
            actor=None,
            fields=_fields(request, incoming.validated_data),
        )
        return Response(campaign_data(campaign), status=201)


class CampaignView(ApiView):
    @extend_schema(
        summary="A campaign, with its counts", responses={200: CampaignOut, 404: ErrorOut}
    )
    def get(self, request, campaign_id: int):
        return Response(campaign_data(_campaign(request, campaign_id)))


def _action(summary: str, service):
    class CampaignActionView(ApiView):
        @extend_schema(
            summary=summary,
            request=None,
            responses={202: CampaignOut, 404: ErrorOut, 409: ErrorOut},
        )
        @idempotent
        def post(self, request, campaign_id: int):
            campaign = service(campaign=_campaign(request, campaign_id), actor=None)
            return Response(campaign_data(campaign), status=202)

    CampaignActionView.__name__ = f"Campaign{service.__name__.title().replace('_', '')}View"
    return CampaignActionView


CampaignSendView = _action(
    "Send a campaign now, or at its send_at (409 once sent)", sending.campaign_send
)
CampaignPauseView = _action("Pause a campaign that is sending", sending.campaign_pause)
CampaignResumeView = _action("Resume a paused campaign", sending.campaign_resume)
CampaignCancelView = _action("Cancel a campaign: what was not sent is not", sending.campaign_cancel)


class ReportOut(serializers.Serializer):
    treatment = serializers.DictField()
    holdout = serializers.DictField()
    lift = serializers.DictField(allow_null=True)


class CampaignReportView(ApiView):
    @extend_schema(
        summary="Did it work: treatment against holdout over the attribution window",
        responses={200: ReportOut, 404: ErrorOut},
    )
    def get(self, request, campaign_id: int):
        report = campaign_report(campaign=_campaign(request, campaign_id))
        return Response(report.to_dict())
