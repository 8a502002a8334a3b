"""The form of an automation's page: what it says per language (empty: the kind's default
text, which each box shows greyed), the channel, when a day's messages go, how often a
member may get one, and (promotional kinds) the share held out. The form reads what was
typed; `automation_update` decides whether it may be saved, and its refusals land on the
field they name, as a campaign's do."""

from __future__ import annotations

from django import forms
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.campaigns.automations.editing import (
    MAX_COOLDOWN_DAYS,
    MAX_HOLDOUT_PERCENT,
    AutomationFields,
)
from apps.campaigns.automations.kinds import DATE_KINDS, KINDS
from apps.campaigns.campaign_forms import (
    LanguageTexts,
    language_texts_of,
    languages_for,
    text_field_for,
    texts_of,
)
from apps.campaigns.models import Automation, CampaignChannel
from apps.campaigns.offer_forms import OfferForm, offer_initial
from apps.core.errors import DomainError
from apps.messaging.services.settings import WELCOME_INTRO_LENGTH, WELCOME_SUBJECT_LENGTH
from apps.portal.welcome import welcome_default_subject

TEXT_FIELDS = (("subject", "subject"), ("body", "body"), ("sms", "sms_body"))


def _hour_choices() -> list[tuple[str, str]]:
    return [("", _("From the start of the day"))] + [
        (str(hour), f"{hour:02d}:00") for hour in range(24)
    ]


class AutomationForm(OfferForm):
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=CampaignChannel.choices,
        widget=forms.RadioSelect,
        initial=CampaignChannel.EMAIL,
    )
    send_hour = forms.TypedChoiceField(
        label=_("Send from"),
        choices=_hour_choices,
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("The hour of the day, in your time zone, from which the day's messages go."),
    )
    cooldown_days = forms.IntegerField(
        label=_("At most one message of this automation per member every (days)"),
        widget=forms.NumberInput(attrs={"min": 0, "max": MAX_COOLDOWN_DAYS, "step": 1}),
    )
    holdout_percent = forms.IntegerField(
        label=_("Hold out (%)"),
        widget=forms.NumberInput(attrs={"min": 0, "max": MAX_HOLDOUT_PERCENT, "step": 1}),
        help_text=_(
            "This share of the members, picked at random once for all of the automation's "
            "messages, gets nothing: comparing what they buy with what the others buy tells "
            "whether the automation brings anyone in. 0 to 50; with 0 no lift can be measured."
        ),
    )

    def __init__(self, *args, automation: Automation, **kwargs):
        super().__init__(*args, **kwargs)
        self.automation, self.merchant = automation, automation.merchant
        spec = KINDS[automation.kind]
        if not spec.promotional:  # a service message is never held out
            del self.fields["holdout_percent"]
        if automation.kind not in DATE_KINDS:  # sent when its event happens
            del self.fields["send_hour"]
        if spec.number is not None:
            self.fields["moment_number"] = forms.IntegerField(
                label=spec.number.label,
                required=False,
                help_text=spec.number.help_text,
                widget=forms.NumberInput(
                    attrs={
                        "min": spec.number.low,
                        "max": spec.number.high,
                        "step": 1,
                        "placeholder": spec.number.default,
                    }
                ),
            )
        if spec.offers:
            self.offer_fields_in(self.merchant.currency)
        else:
            self.offer_fields_remove()
        hint = _("Empty: the default text, shown greyed in the box.")
        # Each box holds a text for readers of its language (`lang`: spelling, speech).
        for code, name in languages_for(self.merchant):
            named = {"language": name}
            with translation.override(code):
                defaults = {
                    "subject": str(spec.subject),
                    "body": str(spec.body),
                    "sms": str(spec.sms_body),
                }
            self.fields[f"subject_{code}"] = forms.CharField(
                label=gettext("Email subject (%(language)s)") % named,
                required=False,
                max_length=200,
                help_text=hint,
                widget=forms.TextInput(attrs={"placeholder": defaults["subject"], "lang": code}),
            )
            self.fields[f"body_{code}"] = forms.CharField(
                label=gettext("Email text (%(language)s)") % named,
                required=False,
                strip=False,
                help_text=_(
                    "HTML is allowed: paragraphs, lists, links, images, tables. Empty: the "
                    "default text, shown greyed in the box."
                ),
                widget=forms.Textarea(
                    attrs={"rows": 6, "placeholder": defaults["body"], "lang": code}
                ),
            )
            self.fields[f"sms_{code}"] = forms.CharField(
                label=gettext("Text message (%(language)s)") % named,
                required=False,
                help_text=hint,
                widget=forms.Textarea(
                    attrs={"rows": 3, "placeholder": defaults["sms"], "lang": code}
                ),
            )

    @classmethod
    def initial_for(cls, automation: Automation) -> dict:
        initial = {
            "channel": automation.channel,
            "send_hour": "" if automation.send_hour is None else str(automation.send_hour),
            "cooldown_days": automation.cooldown_days,
            "holdout_percent": automation.holdout_percent,
            "moment_number": automation.moment_number,
        }
        for code, _name in languages_for(automation.merchant):
            for prefix, attribute in TEXT_FIELDS:
                initial[f"{prefix}_{code}"] = getattr(automation, attribute).get(code, "")
        return initial | offer_initial(automation.offer, automation.merchant.currency)

    @property
    def language_texts(self) -> list[LanguageTexts]:
        return language_texts_of(self)

    def automation_fields(self) -> AutomationFields:
        data = self.cleaned_data
        return AutomationFields(
            channel=data["channel"],
            cooldown_days=data["cooldown_days"],
            send_hour=data.get("send_hour"),
            holdout_percent=data.get("holdout_percent"),
            offer=self.offer() if "offer_type" in self.fields else None,
            moment_number=data.get("moment_number"),
            subject=texts_of(self, "subject"),
            body=texts_of(self, "body"),
            sms_body=texts_of(self, "sms"),
        )

    def add_service_error(self, error: DomainError) -> None:
        head, _dot, code = (error.field or "").partition(".")
        if head == "offer" and "offer_type" in self.fields:
            self.add_error(self.offer_field_for(error), error.message)
            return
        prefix = {"subject": "subject", "body": "body", "sms_body": "sms"}.get(head)
        name = (
            head
            if prefix is None
            else text_field_for(form=self, prefix=prefix, code=code, error=error)
        )
        self.add_error(name if name in self.fields else None, error.message)


class WelcomeForm(forms.Form):
    """The welcome's page: its subject and words of the merchant's own per language (empty:
    the default subject, shown greyed; no words of their own), and whether members with only
    a phone get the card link by text. Its switch is the list's."""

    welcome_sms = forms.BooleanField(
        label=_("Text the card link to new members without an email"),
        required=False,
        help_text=_("Each text is charged by your SMS provider."),
    )

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.merchant = merchant
        for code, name in languages_for(merchant):
            named = {"language": name}
            with translation.override(code):
                default = welcome_default_subject(merchant)
            self.fields[f"subject_{code}"] = forms.CharField(
                label=gettext("Email subject (%(language)s)") % named,
                required=False,
                max_length=WELCOME_SUBJECT_LENGTH,
                help_text=_("Empty: the default subject, shown greyed in the box."),
                widget=forms.TextInput(attrs={"placeholder": default, "lang": code}),
            )
            self.fields[f"intro_{code}"] = forms.CharField(
                label=gettext("Your own words (%(language)s)") % named,
                required=False,
                max_length=WELCOME_INTRO_LENGTH,
                help_text=_(
                    "Plain text, under the greeting and above the card's details (balance, how "
                    "to earn, the card's link, your shops). Empty: none."
                ),
                widget=forms.Textarea(attrs={"rows": 4, "lang": code}),
            )

    @classmethod
    def initial_for(cls, settings) -> dict:
        initial = {"welcome_sms": settings.welcome_sms}
        for code, _name in languages_for(settings.merchant):
            initial[f"subject_{code}"] = settings.welcome_subject.get(code, "")
            initial[f"intro_{code}"] = settings.welcome_intro.get(code, "")
        return initial

    @property
    def languages(self) -> list[tuple[str, str, bool, forms.BoundField, forms.BoundField]]:
        """(code, name, the fallback, subject, words) per language, as the page shows them."""
        return [
            (
                code,
                name,
                code == self.merchant.language,
                self[f"subject_{code}"],
                self[f"intro_{code}"],
            )
            for code, name in languages_for(self.merchant)
        ]

    def texts(self, prefix: str) -> dict[str, str]:
        return texts_of(self, prefix)

    def add_service_error(self, error: DomainError) -> None:
        head, _dot, code = (error.field or "").partition(".")
        name = f"{head}_{code}"
        self.add_error(name if name in self.fields else None, error.message)
