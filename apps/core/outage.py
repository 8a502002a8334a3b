"""A database that cannot be reached (restarting, failing over, out of connections) is
answered 503 with `Retry-After`, never 500: the request did not happen, and sent again it
gets its real answer (a purchase's `external_id` and `Idempotency-Key` make a retry of
one that did commit answer the same). The API's exception handler and Django's 500
handler (`handler500` in config/urls.py, for failures outside a view, such as a session
read) both answer this way."""

from __future__ import annotations

import logging
import sqlite3
import sys

import psycopg
from django.db import InterfaceError, InternalError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext
from django.views import defaults

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


# SQLSTATEs a retry in a moment can succeed after: the connection lost or refused (class
# 08), the server shutting down or starting (57P01-57P03), too many connections, a
# read-only server during a failover, a serialization failure or a deadlock (the
# transaction was rolled back whole).
RETRYABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300", "25006", "40001", "40P01"})


def is_database_outage(exc: BaseException | None) -> bool:
    """A database that cannot answer now, not a fault of the request or of the code (a
    missing table, a value out of range: those stay a 500, to be seen and fixed)."""
    if not isinstance(exc, (OperationalError, InterfaceError, InternalError)):
        return False
    cause = exc.__cause__
    if isinstance(cause, psycopg.Error):
        state = cause.sqlstate
        # No SQLSTATE: the connection itself failed (refused, dropped, a pool timeout).
        return state is None or state.startswith("08") or state in RETRYABLE_STATES
    if isinstance(cause, sqlite3.OperationalError):  # the embedded default
        return "database is locked" in str(cause)
    return isinstance(exc, InterfaceError)  # a connection already closed


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
