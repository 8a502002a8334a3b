from django import forms
from django.conf import settings


class LookupForm(forms.Form):
    q = forms.CharField(
        label="Find a member",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "placeholder": "Phone, email, name or card code",
                "autofocus": True,
            }
        ),
    )


class EnrollForm(forms.Form):
    """The fewest fields that work: a phone or an email, and a first name."""

    first_name = forms.CharField(label="First name", max_length=80)
    last_name = forms.CharField(label="Last name", max_length=80, required=False)
    phone = forms.CharField(
        label="Phone",
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "inputmode": "tel"}),
    )
    email = forms.CharField(
        label="Email",
        max_length=254,
        required=False,
        widget=forms.TextInput(attrs={"type": "email", "autocomplete": "off"}),
    )
    birthday = forms.DateField(
        label="Birthday", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    consent_email = forms.BooleanField(
        label="Agrees to receive offers by email", required=False, initial=False
    )
    consent_sms = forms.BooleanField(
        label="Agrees to receive offers by SMS", required=False, initial=False
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("phone") and not cleaned.get("email"):
            self.add_error("phone", "Give a phone number or an email.")
        return cleaned


class CounterEnrollForm(EnrollForm):
    """Enrollment at the counter, with the code of the friend who sent the customer."""

    referral_code = forms.CharField(
        label="Referral code (optional)",
        max_length=20,
        required=False,
        help_text="If a member sent them: the code on the member's phone, e.g. K7M-2QX.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class MemberForm(EnrollForm):
    language = forms.ChoiceField(
        label="Language", choices=[("", "—"), *settings.LANGUAGES], required=False
    )
    tags = forms.CharField(
        label="Tags",
        required=False,
        max_length=400,
        help_text="Separated by commas, e.g. vip, vegan.",
    )

    def clean_tags(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data["tags"].split(",") if name.strip()]


class NoteForm(forms.Form):
    text = forms.CharField(label="Add a note", max_length=255)


class MergeForm(forms.Form):
    duplicate = forms.CharField(
        label="Card code of the duplicate record",
        max_length=20,
        help_text="The record to fold into this one; its history moves here.",
    )


class EraseForm(forms.Form):
    confirm = forms.CharField(
        label="Type ERASE to confirm", max_length=10, help_text="This cannot be undone."
    )

    def clean_confirm(self):
        if self.cleaned_data["confirm"].strip().upper() != "ERASE":
            raise forms.ValidationError("Type ERASE to confirm.")
        return "ERASE"
