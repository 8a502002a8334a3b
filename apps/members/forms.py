from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class LookupForm(forms.Form):
    q = forms.CharField(
        label=_("Find a member"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "placeholder": _("Phone, email, name or card code"),
                "autofocus": True,
            }
        ),
    )


def language_choices() -> list[tuple[str, str]]:
    """The languages a member can have; empty is the merchant's. The names stay in their
    own language (Español, Română), as language pickers show them."""
    return [("", _("Shop's language")), *settings.LANGUAGES]


class EnrollForm(forms.Form):
    """The fewest fields that work: a phone or an email, and a first name."""

    first_name = forms.CharField(label=_("First name"), max_length=80)
    last_name = forms.CharField(label=_("Last name"), max_length=80, required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "inputmode": "tel"}),
    )
    email = forms.CharField(
        label=_("Email"),
        max_length=254,
        required=False,
        widget=forms.TextInput(attrs={"type": "email", "autocomplete": "off"}),
    )
    birthday = forms.DateField(
        label=_("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    language = forms.ChoiceField(label=_("Language"), choices=language_choices, required=False)
    consent_email = forms.BooleanField(
        label=_("Agrees to receive offers by email"), required=False, initial=False
    )
    consent_sms = forms.BooleanField(
        label=_("Agrees to receive offers by SMS"), required=False, initial=False
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("phone") and not cleaned.get("email"):
            self.add_error("phone", gettext("Give a phone number or an email."))
        return cleaned


class CounterEnrollForm(EnrollForm):
    """Enrollment at the counter, with the code of the friend who sent the customer."""

    referral_code = forms.CharField(
        label=_("Referral code (optional)"),
        max_length=20,
        required=False,
        help_text=_("If a member sent them: the code on the member's phone, e.g. K7M-2QX."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class MemberForm(EnrollForm):
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=400,
        help_text=_("Separated by commas, e.g. vip, vegan."),
    )

    def clean_tags(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data["tags"].split(",") if name.strip()]


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Add a note"), max_length=255)


class MergeForm(forms.Form):
    duplicate = forms.CharField(
        label=_("Card code of the duplicate record"),
        max_length=20,
        help_text=_("The record to fold into this one; its history moves here."),
    )


class EraseForm(forms.Form):
    confirm = forms.CharField(
        # Translators: ERASE is the word to type: keep it in English, it is checked as is.
        label=_("Type ERASE to confirm"),
        max_length=10,
        help_text=_("This cannot be undone."),
    )

    def clean_confirm(self):
        if self.cleaned_data["confirm"].strip().upper() != "ERASE":
            # Translators: ERASE is the word to type: keep it in English, it is checked as is.
            raise forms.ValidationError(gettext("Type ERASE to confirm."))
        return "ERASE"
