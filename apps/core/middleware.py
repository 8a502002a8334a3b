from zoneinfo import ZoneInfo

from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject

from apps.core.languages import language_for_request
from apps.core.selectors import location_get, membership_for

MERCHANT_SESSION_KEY = "active_merchant_id"
LOCATION_SESSION_KEY = "active_location_id"


def _resolve_membership(request):
    if not request.user.is_authenticated:
        return None
    membership = membership_for(
        user=request.user, merchant_id=request.session.get(MERCHANT_SESSION_KEY)
    )
    if (
        membership is not None
        and request.session.get(MERCHANT_SESSION_KEY) != membership.merchant_id
    ):
        request.session[MERCHANT_SESSION_KEY] = membership.merchant_id
    return membership


class ActiveMerchantMiddleware:
    """Sets `request.membership`, `request.merchant` and `request.location` for each request,
    and shows times in the merchant's time zone.

    The seat is looked up afresh on every request, so someone removed from a team loses
    access at once, and a merchant id left in the session from another account is ignored.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership = _resolve_membership(request)
        request.membership = membership
        request.merchant = membership.merchant if membership else None
        request.location = SimpleLazyObject(lambda: _active_location(request))
        # Dates on the dashboard read in the business's own time zone.
        if request.merchant is not None:
            timezone.activate(ZoneInfo(request.merchant.timezone))
        else:
            timezone.deactivate()
        return self.get_response(request)


def _active_location(request):
    if request.merchant is None:
        return None
    return location_get(
        merchant=request.merchant, location_id=request.session.get(LOCATION_SESSION_KEY)
    )


class LanguageMiddleware:
    """Activates the reader's language (see `language_for_request`) for the whole request.

    It stands in for Django's LocaleMiddleware, which knows only the browser: ours also knows
    the user's profile and the merchant, so it runs after ActiveMerchantMiddleware. The API
    answers in the `Accept-Language` it is sent, else in the key's merchant's language
    (`apps.core.api.ApiView` switches once the key is known).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = language_for_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", translation.get_language())
        translation.deactivate()
        return response
