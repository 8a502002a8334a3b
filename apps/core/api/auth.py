"""How an API request is let in: its key (Bearer), the key's scope, the rate limit.

Kept apart from api.py because DRF imports these classes while `rest_framework.views`
itself is loading.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.throttling import BaseThrottle

from apps.core.api.keys import api_key_authenticate
from apps.core.api.models import ApiKey
from apps.core.rate_limits import window_count


@dataclass(frozen=True)
class ApiClient:
    """`request.user` for a request made with a key: not a person."""

    api_key: ApiKey
    is_authenticated: bool = True
    is_anonymous: bool = False

    @property
    def pk(self):  # DRF's throttles and logging ask for one
        return f"key:{self.api_key.pk}"


class ApiKeyAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                # Translators: %(header)s is an HTTP header, kept as is.
                gettext("Send the key as “%(header)s”.") % {"header": "Authorization: Bearer <key>"}
            )
        api_key = api_key_authenticate(parts[1].decode("latin-1"))
        if api_key is None:
            raise exceptions.AuthenticationFailed(
                gettext("This API key is not valid or was revoked.")
            )
        return ApiClient(api_key), api_key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API key (fdz_…)."}


class KeyScope(BasePermission):
    """Any key reads; only a read-and-write key changes anything."""

    message = gettext_lazy("This API key is read only.")

    def has_permission(self, request, view):
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return False
        return request.method in SAFE_METHODS or api_key.can_write


class KeyRateLimit(BaseThrottle):
    """At most `API_RATE_LIMIT_PER_MINUTE` requests per key per clock minute, counted with
    an atomic increment in the shared cache (Redis in production), so it holds however many
    processes serve the API (DRF's own throttles read, then write: not atomic)."""

    def allow_request(self, request, view) -> bool:
        if not isinstance(request.auth, ApiKey):
            return True
        used, self.retry_after = window_count(key=f"api:{request.auth.pk}", window_seconds=60)
        return used <= settings.API_RATE_LIMIT_PER_MINUTE

    def wait(self) -> float:
        return self.retry_after
