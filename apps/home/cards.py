"""The home page's own cards (registered in apps.py into `extensions.HOME_CARDS`, where
other apps add theirs): what to set up next, and the shop this device works at."""

from django.http import HttpRequest

from apps.core.forms import LocationChoiceForm
from apps.core.selectors import location_list, onboarding_checklist


def setup_context(request: HttpRequest) -> dict:
    steps = onboarding_checklist(membership=request.membership)
    return {"steps": steps, "steps_left": sum(not step.done for step in steps)}


def location_context(request: HttpRequest) -> dict:
    locations = location_list(merchant=request.merchant)
    return {
        "location_form": LocationChoiceForm(
            locations=locations, initial={"location": request.location}
        ),
        "has_locations": locations.exists(),
    }
