"""A URLconf for the idempotency tests: one POST that writes (adds a location)."""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import services
from apps.core.api.idempotency import idempotent


class LocationAdd(APIView):
    @idempotent
    def post(self, request):
        location = services.location_create(
            merchant=request.auth.merchant, actor=None, name=str(request.data.get("name", ""))
        )
        return Response({"id": location.pk, "name": location.name}, status=201)


urlpatterns = [
    path("api/v1/test/locations/", LocationAdd.as_view(), name="idempotent_location_add"),
    path("", include("config.urls")),
]
