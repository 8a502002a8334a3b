"""The storefront API for members: enroll, look up, read, update. Thin: the same
services as the counter (a member's representation is in api_fields.py)."""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from apps.core.api.base import ApiView, TextField
from apps.core.api.idempotency import idempotent
from apps.core.errors import DomainError, NotFound
from apps.core.languages import language_codes
from apps.core.transactions import edge_transaction
from apps.members import services
from apps.members.api_fields import member_api_joins, member_data, member_out
from apps.members.models import Channel, Member
from apps.members.selectors import members_find


def language_field(**kwargs) -> serializers.ChoiceField:
    """A member's language: one Fideliza speaks, or "" for the merchant's."""
    codes = language_codes()
    return serializers.ChoiceField(
        choices=codes,
        allow_blank=True,
        help_text=f"One of {', '.join(codes)}, or empty for the merchant's language.",
        **kwargs,
    )


MAX_TAGS = 20


def tags_field(*, replaces: bool = False, **kwargs) -> serializers.ListField:
    """Tag names: made on first use, one per name whatever its case (per merchant)."""
    help_text = (
        f"Tag names (at most {MAX_TAGS}, 40 characters each); a new name makes a tag, "
        "an existing one in any case is that tag."
    )
    if replaces:
        help_text += " The member's tags become these; leave it out to keep them."
    return serializers.ListField(
        child=TextField(max_length=40), max_length=MAX_TAGS, help_text=help_text, **kwargs
    )


class EnrollIn(serializers.Serializer):
    email = TextField(required=False, allow_blank=True, max_length=254)
    phone = TextField(required=False, allow_blank=True, max_length=40)
    first_name = TextField(max_length=80)
    last_name = TextField(required=False, allow_blank=True, max_length=80)
    birthday = serializers.DateField(required=False, allow_null=True)
    language = language_field(required=False, default="")
    marketing_consent = serializers.BooleanField(
        required=False, default=False, help_text="Email and SMS marketing, both."
    )
    external_id = TextField(required=False, allow_blank=True, max_length=100)
    referral_code = TextField(
        required=False, allow_blank=True, max_length=20, help_text="A member's referral code."
    )
    tags = tags_field(required=False, default=list)


class MemberPatchIn(serializers.Serializer):
    email = TextField(required=False, allow_blank=True, max_length=254)
    phone = TextField(required=False, allow_blank=True, max_length=40)
    first_name = TextField(required=False, max_length=80)
    last_name = TextField(required=False, allow_blank=True, max_length=80)
    birthday = serializers.DateField(required=False, allow_null=True)
    language = language_field(required=False)
    consent_email = serializers.BooleanField(required=False)
    consent_sms = serializers.BooleanField(required=False)
    tags = tags_field(required=False, replaces=True)


class MemberList(serializers.Serializer):
    results = serializers.ListField(child=serializers.DictField())


class ErrorOut(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


def member_for_api(request, member_id: str, *, joins: tuple[str, ...] = ()) -> Member:
    """The key's merchant's active member with this id; 404 for anyone else's. `joins`:
    the one-to-one rows to read with it (`member_api_joins()` for an answer about them)."""
    member = (
        Member.objects.for_merchant(request.auth.merchant)
        .select_related("location", *joins)
        .filter(public_id=member_id)
        .one_or_none()
    )
    if member is None or not member.is_active:
        raise NotFound(gettext("No member with this id."), field="member")
    member.merchant = request.auth.merchant  # the row it was filtered by: no second fetch
    return member


def input_member(request, member_id: str) -> Member:
    """The member a request's body names (by id), or a 400 on the `member` field."""
    try:
        return member_for_api(request, member_id)
    except NotFound as error:
        raise DomainError(gettext("No member with this id."), field="member") from error


class MembersView(ApiView):
    query_parameters = frozenset({"email", "phone", "card_code", "external_id"})

    @extend_schema(
        summary="Look a member up",
        operation_id="members_lookup",
        parameters=[
            OpenApiParameter("email", str),
            OpenApiParameter("phone", str, description="Any spelling of the number."),
            OpenApiParameter("card_code", str),
            OpenApiParameter("external_id", str),
        ],
        responses={200: MemberList, 400: ErrorOut},
    )
    def get(self, request):
        query = {
            name: request.query_params.get(name, "")[:254]
            for name in ("email", "phone", "card_code", "external_id")
        }
        found = members_find(merchant=request.auth.merchant, joins=member_api_joins(), **query)
        return Response({"results": [member_data(member) for member in found]})

    @extend_schema(
        summary="Enroll a member",
        request=EnrollIn,
        responses={201: member_out(), 200: member_out(), 400: ErrorOut, 409: ErrorOut},
    )
    @idempotent
    def post(self, request):
        incoming = EnrollIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = dict(incoming.validated_data)
        consent = values.pop("marketing_consent", False)
        referral_code = values.pop("referral_code", "").strip()
        result = services.member_enroll(
            merchant=request.auth.merchant,
            actor=None,
            channel=Channel.API,
            consent_email=consent,
            consent_sms=consent,
            extras={"referral_code": referral_code} if referral_code else {},
            **values,
        )
        return Response(member_data(result.member), status=201 if result.created else 200)


class MemberView(ApiView):
    @extend_schema(summary="A member", responses={200: member_out(), 404: ErrorOut})
    def get(self, request, member_id: str):
        member = member_for_api(request, member_id, joins=member_api_joins())
        return Response(member_data(member))

    @extend_schema(
        summary="Update a member",
        request=MemberPatchIn,
        responses={200: member_out(), 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    )
    def patch(self, request, member_id: str):
        member = member_for_api(request, member_id)
        incoming = MemberPatchIn(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        current = {
            "first_name": member.first_name,
            "last_name": member.last_name,
            "email": member.email or "",
            "phone": member.phone or "",
            "birthday": member.birthday,
            "language": member.language,
            "consent_email": member.consent_email,
            "consent_sms": member.consent_sms,
        }
        with edge_transaction():
            updated = services.member_update(
                member=member,
                actor=None,
                source=Channel.API,
                **(current | dict(incoming.validated_data)),
            )
        return Response(member_data(updated))
