"""The storefront API, version 1 (`/api/v1/`): each app adds its routes here."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from apps.core import api as core_api

app_name = "api"

# The schema and its docs are public (the contract is no secret); the docs page and its
# script come from this server (drf-spectacular-sidecar), never a CDN.
_public = {"authentication_classes": [], "permission_classes": [AllowAny]}

urlpatterns = [
    path("", core_api.whoami, name="whoami"),
    path("schema/", SpectacularAPIView.as_view(**_public), name="schema"),
    path(
        "docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema", **_public), name="docs"
    ),
]
