"""What every API endpoint shares: one error shape, and the connection check.

A request carries `Authorization: Bearer <key>` (api_auth.py). The key decides the
merchant: every endpoint reads `request.auth.merchant` and reaches rows only through
`for_merchant()`, so another merchant's ids answer 404 exactly as in the dashboard.

Errors always read `{"code": ..., "message": ..., "errors": {field: [messages]}}`.
"""

from __future__ import annotations

from django.db import IntegrityError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.api.models import ApiKey
from apps.core.errors import DomainError
from apps.core.languages import activate_merchant_language
from apps.core.models import Location
from apps.core.outage import database_unavailable_response, is_database_outage
from apps.core.selectors import location_by_name


def _field_errors(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        errors = {}
        for field, messages in detail.items():
            if isinstance(messages, dict):  # a nested serializer: "items.0.sku"
                for inner, inner_messages in _field_errors(messages).items():
                    errors[f"{field}.{inner}"] = inner_messages
            elif isinstance(messages, list) and messages and isinstance(messages[0], dict):
                for index, item in enumerate(messages):
                    for inner, inner_messages in _field_errors(item).items():
                        errors[f"{field}.{index}.{inner}"] = inner_messages
            else:
                errors[str(field)] = [str(message) for message in _as_list(messages)]
        return errors
    return {"non_field_errors": [str(message) for message in _as_list(detail)]}


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def error_body(code: str, message: str, errors: dict | None = None) -> dict:
    return {"code": code, "message": message, "errors": errors or {}}


def api_exception_handler(exc, context):
    """Every refusal in one shape: services' DomainErrors keep their code and field."""
    if isinstance(exc, DomainError):
        errors = {exc.field: [exc.message]} if exc.field else {}
        body = error_body(exc.code, exc.message, errors) | exc.details
        return Response(body, status=exc.status)
    if is_database_outage(exc):
        return database_unavailable_response(api=True)
    if isinstance(exc, IntegrityError):
        # Two requests raced to one unique row (say the same order id for two members): the
        # loser's transaction is rolled back whole, and sent again it gets its real answer.
        message = gettext(
            "Another request changed the same thing at the same moment. Send it again."
        )
        return Response(error_body("conflict_retry", message), status=409)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(gettext("Not found."))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        first = next(iter(errors.values()))[0] if errors else gettext("The request is not valid.")
        response.data = error_body("invalid", first, errors)
    elif isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        response.data = error_body(str(code), str(exc.detail))
    return response


@extend_schema(
    summary="Which merchant and key this is",
    responses=inline_serializer(
        "Whoami",
        {
            "merchant": inline_serializer(
                "WhoamiMerchant",
                {
                    "name": serializers.CharField(),
                    "slug": serializers.CharField(),
                    "currency": serializers.CharField(),
                },
            ),
            "key": inline_serializer(
                "WhoamiKey",
                {
                    "name": serializers.CharField(),
                    "prefix": serializers.CharField(),
                    "scope": serializers.ChoiceField(choices=["read", "write"]),
                },
            ),
        },
    ),
)
@api_view(["GET"])
def whoami(request):
    """A storefront's connection check: the merchant the key belongs to, and its scope."""
    api_key: ApiKey = request.auth
    merchant = api_key.merchant
    return Response(
        {
            "merchant": {
                "name": merchant.name,
                "slug": merchant.slug,
                "currency": merchant.currency,
            },
            "key": {"name": api_key.name, "prefix": api_key.prefix, "scope": api_key.scope},
        }
    )


class ApiView(APIView):
    """The base of every API view. A query parameter the view does not take is refused
    (a typo would otherwise be silently ignored), and so is an id or a parameter holding
    a NUL character, which PostgreSQL text cannot store: both as a 400, before any lookup.
    """

    query_parameters: frozenset[str] = frozenset()

    def perform_authentication(self, request):
        super().perform_authentication(request)
        # The key is known now: answer in its merchant's language unless the request's
        # Accept-Language names one of ours (apps/core/middleware.py).
        if isinstance(request.auth, ApiKey):
            activate_merchant_language(request, request.auth.merchant)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        unknown = sorted(set(request.query_params) - self.query_parameters)
        if unknown:
            message = gettext("This endpoint takes no such parameter.")
            raise exceptions.ValidationError({name[:50]: [message] for name in unknown[:5]})
        if len(request.headers.get("Idempotency-Key", "")) > 255:
            raise exceptions.ValidationError(
                {
                    "Idempotency-Key": [
                        gettext("Keep the %(header)s within 255 characters.")
                        % {"header": "Idempotency-Key"}
                    ]
                }
            )
        for name, value in [*kwargs.items(), *request.query_params.lists()]:
            values = value if isinstance(value, list) else [value]
            if any("\x00" in str(item) for item in values):
                raise exceptions.ValidationError(
                    {name: [gettext("This value holds a NUL character.")]}
                )


class TextField(serializers.CharField):
    """A string, strictly: DRF's CharField turns 0 or true into "0" or "True", which
    would let a client's type mistake through unnoticed."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


@csrf_exempt  # no session, no form: API clients send no CSRF token, and it changes nothing
def api_not_found(request, *args, **kwargs):
    """Any path under the API that names no route (an id with a newline, a typo): a 404 in
    the API's error shape, not the site's HTML page."""
    return JsonResponse(error_body("not_found", gettext("No such endpoint.")), status=404)


def input_location(merchant, name: str) -> Location | None:
    """The location a request names (by name), or a 400 on the `location` field."""
    if not name:
        return None
    location = location_by_name(merchant=merchant, name=name)
    if location is None:
        raise DomainError(gettext("No location with this name."), field="location")
    return location
