from functools import cache
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django_countries import countries

from . import money
from .errors import DomainError
from .models import Role


@cache
def _timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(available_timezones())]


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal on the field it names, or on the form as a whole."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


class MerchantForm(forms.Form):
    name = forms.CharField(label="Business name", max_length=120)
    currency = forms.ChoiceField(
        label="Currency", choices=money.currency_choices, help_text="Used for every amount."
    )
    country = forms.ChoiceField(
        label="Country",
        choices=lambda: list(countries),
        help_text="Phone numbers written without a country prefix are read as this country's.",
    )
    timezone = forms.ChoiceField(
        label="Time zone",
        choices=_timezone_choices,
        help_text="Days, birthdays and expiry dates follow this time zone.",
    )
    language = forms.ChoiceField(
        label="Language", choices=settings.LANGUAGES, help_text="For emails and formatting."
    )


class LocationForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120)
    address = forms.CharField(label="Address", max_length=255, required=False)


class LocationEditForm(LocationForm):
    is_active = forms.BooleanField(
        label="Open", required=False, help_text="Closed locations are hidden from the counter."
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email")
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.STAFF)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


class LocationChoiceForm(forms.Form):
    location = forms.ModelChoiceField(label="Your location", queryset=None, empty_label=None)

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations


class SwitchMerchantForm(forms.Form):
    merchant = forms.IntegerField(widget=forms.HiddenInput)


class InvitationSignupForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    password1 = forms.CharField(
        label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="Password (again)", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            from apps.accounts.models import User

            probe = User(email=self.email, first_name=cleaned.get("first_name", ""))
            try:
                validate_password(first, user=probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned
