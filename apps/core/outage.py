"""A database that cannot be reached (restarting, failing over, out of connections) is
answered 503 with `Retry-After`, never 500: the request did not happen, and sent again it
gets its real answer (a purchase's `external_id` and `Idempotency-Key` make a retry of
one that did commit answer the same). The API's exception handler and Django's 500
handler (`handler500` in config/urls.py, for failures outside a view, such as a session
read) both answer this way."""

from __future__ import annotations

import logging
import sys

from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext
from django.views import defaults

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


def is_database_outage(exc: BaseException | None) -> bool:
    """A connection lost or refused, or the server shutting down: not a refusal of the
    data (an `IntegrityError` is the request's own conflict)."""
    return isinstance(exc, (OperationalError, InterfaceError)) and not isinstance(
        exc, IntegrityError
    )


def database_unavailable_response(*, api: bool) -> HttpResponse:
    message = gettext("The service is restarting or busy. Send the request again in a moment.")
    if api:
        body = {"code": "service_unavailable", "message": message, "errors": {}}
        response = JsonResponse(body, status=503)
    else:
        html = render_to_string("503.html", {"message": message})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request):
    """`handler500`: a database outage is a 503 to retry, anything else Django's 500."""
    exc = sys.exc_info()[1]
    if is_database_outage(exc):
        logger.warning("Database unreachable: %s answered 503.", request.path, exc_info=exc)
        return database_unavailable_response(api=request.path.startswith("/api/"))
    return defaults.server_error(request)
