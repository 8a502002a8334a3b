from functools import cache
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from apps.core import money
from apps.core.errors import DomainError
from apps.core.models import Role


@cache
def _timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(available_timezones())]


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal on the field it names, or on the form as a whole."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


class MerchantForm(forms.Form):
    name = forms.CharField(label=_("Business name"), max_length=120)
    currency = forms.ChoiceField(
        label=_("Currency"), choices=money.currency_choices, help_text=_("Used for every amount.")
    )
    country = forms.ChoiceField(
        label=_("Country"),
        choices=lambda: list(countries),
        help_text=_("Phone numbers written without a country prefix are read as this country's."),
    )
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        choices=_timezone_choices,
        help_text=_("Days, birthdays and expiry dates follow this time zone."),
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=settings.LANGUAGES, help_text=_("For emails and formatting.")
    )


class LocationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    opening_hours = forms.CharField(
        label=_("Opening hours"),
        required=False,  # its length is the service's to check, once line ends are clean
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "As on the door, one line per day or group of days. Members see it on their card."
        ),
    )


class LocationEditForm(LocationForm):
    is_active = forms.BooleanField(
        # Translators: a checkbox: the location is open (in use at the counter).
        label=pgettext_lazy("location", "Open"),
        required=False,
        help_text=_("Closed locations are hidden from the counter."),
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.STAFF)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class LocationChoiceForm(forms.Form):
    location = forms.ModelChoiceField(label=_("Your location"), queryset=None, empty_label=None)

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations


class SwitchMerchantForm(forms.Form):
    merchant = forms.IntegerField(widget=forms.HiddenInput)


class InvitationSignupForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    password1 = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", gettext("The two passwords differ."))
        elif first:
            from apps.accounts.models import User

            probe = User(email=self.email, first_name=cleaned.get("first_name", ""))
            try:
                validate_password(first, user=probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


def _profile_language_choices() -> list[tuple[str, str]]:
    return [("", _("The language my browser asks for")), *settings.LANGUAGES]


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=_profile_language_choices,
        required=False,
        help_text=_("The language of your pages and of the emails sent to you."),
    )
