"""The dashboard's home page: what to set up next, and the shop this device works at."""

from django.shortcuts import render

from apps.core.forms import LocationChoiceForm
from apps.core.models import Role
from apps.core.permissions import merchant_view
from apps.core.selectors import location_list, onboarding_checklist


@merchant_view(Role.STAFF)
def home(request):
    steps = onboarding_checklist(membership=request.membership)
    locations = location_list(merchant=request.merchant)
    return render(
        request,
        "home/home.html",
        {
            "steps": steps,
            "steps_left": sum(not step.done for step in steps),
            "location_form": LocationChoiceForm(
                locations=locations, initial={"location": request.location}
            ),
            "has_locations": locations.exists(),
        },
    )
