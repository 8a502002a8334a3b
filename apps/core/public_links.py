"""Pages reached by a signed link in a message (the member's card, unsubscribe): no login,
the token in the URL is the only authority, so the page must not leak it or be guessed at.

`link_page` wraps such a view: the token never leaves in a `Referer` header
(`Referrer-Policy: no-referrer`) nor sits in a shared cache (`Cache-Control: private,
no-store`), search engines are told to stay away, and requests are rate-limited per client
address and per token with atomic counters (apps/core/rate_limits.py). `TokenRedaction`
keeps the tokens out of the logs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from apps.core.rate_limits import over_limit, secret_key

# The URL prefixes whose next segment is a secret token (`c/erase`, `c/data` before `c`).
TOKEN_PATHS = re.compile(r"/(c/erase|c/data|c|u|r|s|privacy)/[^/\s?\"']+")


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def link_limited(request, *, scope: str, token: str) -> bool:
    """One more request for this page; whether its address or its token is over the limit."""
    limits = settings.LINK_PAGE_RATE_LIMITS[scope]
    window = limits["window"]
    by_address = over_limit(
        key=f"{scope}:ip:{client_address(request)}", limit=limits["per_ip"], window_seconds=window
    )
    by_token = over_limit(
        key=f"{scope}:token:{secret_key(token)}", limit=limits["per_token"], window_seconds=window
    )
    return by_address or by_token


def private_headers(response):
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    patch_cache_control(response, private=True, no_store=True)
    return response


def link_page(*, scope: str) -> Callable:
    """Decorate a view taking `token`: rate limits first, private headers always."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, token: str, *args, **kwargs):
            if link_limited(request, scope=scope, token=token):
                response = render(request, "core/too_many_requests.html", status=429)
                response["Retry-After"] = str(settings.LINK_PAGE_RATE_LIMITS[scope]["window"])
            else:
                response = view(request, token, *args, **kwargs)
            return private_headers(response)

        return wrapped

    return decorate


class TokenRedaction(logging.Filter):
    """Rewrites `/c/<token>/` as `/c/…/` in a log record (the development server's access
    lines, Django's "Not Found" warnings) before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = TOKEN_PATHS.sub(lambda match: f"/{match.group(1)}/…", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
