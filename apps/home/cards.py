"""The home page's own cards (registered in apps.py into `extensions.HOME_CARDS`, where
other apps add theirs): what to set up next, the shop this device works at, this week's
figures (loaded by htmx from `views.week`) and what to act on now."""

from django.http import HttpRequest
from django.utils import timezone

from apps.core.forms import LocationChoiceForm
from apps.core.selectors import location_list, onboarding_checklist
from apps.home.act_now import act_now


def setup_context(request: HttpRequest) -> dict | None:
    """None once every step this person can take is done: the checklist goes away."""
    steps = onboarding_checklist(membership=request.membership)
    steps_left = sum(not step.done for step in steps)
    if not steps_left:
        return None
    return {"steps": steps, "steps_left": steps_left}


def location_context(request: HttpRequest) -> dict:
    locations = location_list(merchant=request.merchant)
    return {
        "location_form": LocationChoiceForm(
            locations=locations, initial={"location": request.location}
        ),
        "has_locations": locations.exists(),
    }


def week_context(request: HttpRequest) -> dict:
    # The figures come with their own request (`home:week`): the page never waits for them.
    return {}


def act_now_context(request: HttpRequest) -> dict | None:
    found = act_now(merchant=request.merchant, now=timezone.now())
    return {"act_now": found} if found else None
