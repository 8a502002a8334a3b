"""Forms of the dashboard's campaign pages: writing a campaign (texts per language, the
offer, the holdout, when it goes) and the owner's limits. The forms read what was typed;
the services (services/editing.py, services/settings.py) decide whether it may be saved,
and their refusals land on the field they name (`CampaignForm.add_service_error`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.analytics.periods import merchant_zone
from apps.campaigns.merge_tags import (
    KIND_TAG_DESCRIPTIONS,
    MERGE_TAG_DESCRIPTIONS,
    MergeTagInvalid,
    html_sanitise,
)
from apps.campaigns.models import Campaign, CampaignChannel, CampaignKind, Segment
from apps.campaigns.offer_forms import OfferForm, offer_initial
from apps.campaigns.services.editing import CampaignFields
from apps.core.errors import DomainError
from apps.core.models import Merchant

KIND_HELP = {
    CampaignKind.PROMOTIONAL: _(
        "Offers and news meant to sell: only to members who agreed to marketing, and within "
        "your weekly limits."
    ),
    CampaignKind.INFORMATIONAL: _(
        "News members need (opening hours, a change to the program): to every member with an "
        "address, whether or not they agreed to marketing."
    ),
}
SEND_CHOICES = [("now", _("When I press Send")), ("later", _("At a day and time"))]


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


@dataclass(frozen=True)
class LanguageTexts:
    """One language's fields, as the template shows them."""

    code: str
    name: str
    fallback: bool  # the merchant's language: used when a member's has no text
    subject: forms.BoundField
    body: forms.BoundField
    sms: forms.BoundField


def languages_for(merchant: Merchant) -> list[tuple[str, str]]:
    """Our languages, the merchant's first."""
    return sorted(settings.LANGUAGES, key=lambda language: language[0] != merchant.language)


def language_texts_of(form: forms.Form) -> list[LanguageTexts]:
    """A form's text fields per language (`subject_<code>`, `body_<code>`, `sms_<code>`),
    the merchant's language first, as the template shows them."""
    return [
        LanguageTexts(
            code=code,
            name=name,
            fallback=code == form.merchant.language,
            subject=form[f"subject_{code}"],
            body=form[f"body_{code}"],
            sms=form[f"sms_{code}"],
        )
        for code, name in languages_for(form.merchant)
    ]


def texts_of(form: forms.Form, prefix: str) -> dict[str, str]:
    """What a cleaned form holds in its `<prefix>_<code>` fields, by language code."""
    return {
        code: form.cleaned_data.get(f"{prefix}_{code}") or ""
        for code, _name in languages_for(form.merchant)
    }


def merge_tag_list(*, kind_tags=frozenset()) -> list[tuple[str, str, str]]:
    """(name, the tag as written, what it says) for the editor's list; an automation's
    adds its kind's own tags."""
    descriptions = MERGE_TAG_DESCRIPTIONS | {
        name: text for name, text in KIND_TAG_DESCRIPTIONS.items() if name in kind_tags
    }
    return [(name, "{{ " + name + " }}", description) for name, description in descriptions.items()]


def text_field_for(*, form: forms.Form, prefix: str, code: str, error: DomainError) -> str:
    """The field (`<prefix>_<language>`) a refusal of a text per language belongs on. A
    merge tag's refusal names the text, not the language: the language holding the tag
    (as the service checked it: an email's body once sanitised), else the merchant's."""
    codes = [language for language, _name in languages_for(form.merchant)]
    if code not in codes:
        code = form.merchant.language
        tag = getattr(error, "tag", "") if isinstance(error, MergeTagInvalid) else ""
        for candidate in codes:
            text = form.data.get(f"{prefix}_{candidate}") or ""
            checked = html_sanitise(html=text) if prefix == "body" and text else text
            if tag and tag in checked:
                code = candidate
                break
    return f"{prefix}_{code}"


class CampaignForm(OfferForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    segment = forms.TypedChoiceField(label=_("Segment"), coerce=int)
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=CampaignChannel.choices,
        widget=forms.RadioSelect,
        initial=CampaignChannel.EMAIL,
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=CampaignKind.choices,
        widget=forms.RadioSelect,
        initial=CampaignKind.PROMOTIONAL,
    )
    holdout_percent = forms.IntegerField(
        label=_("Hold out (%)"),
        initial=10,
        widget=forms.NumberInput(attrs={"min": 0, "max": 50, "step": 1}),
        help_text=_(
            "This share of the segment, picked at random, gets nothing. Comparing what they "
            "buy with what the others buy tells whether the campaign brought anyone in. "
            "0 to 50; with 0 no lift can be measured."
        ),
    )
    send_when = forms.ChoiceField(
        label=_("Send"), choices=SEND_CHOICES, widget=forms.RadioSelect, initial="now"
    )
    send_date = forms.DateField(label=_("Day"), required=False, widget=DateInput)
    send_time = forms.TimeField(label=_("Time"), required=False, widget=TimeInput)
    quiet_start = forms.TimeField(label=_("No texts from"), initial=time(21, 0), widget=TimeInput)
    quiet_end = forms.TimeField(
        label=_("No texts until"),
        initial=time(9, 0),
        widget=TimeInput,
        help_text=_("Text messages wait for the end of these quiet hours; emails do not."),
    )

    def __init__(self, *args, merchant: Merchant, segments, **kwargs):
        super().__init__(*args, **kwargs)
        self.merchant = merchant
        self.segments = {segment.pk: segment for segment in segments}
        self.fields["segment"].choices = [("", "—")] + [
            (segment.pk, segment.name) for segment in self.segments.values()
        ]
        # What the SMS estimate depends on: htmx asks for it again when these change.
        for name in ("segment", "channel", "kind"):
            self.fields[name].widget.attrs["class"] = "estimate-input"
        self.offer_fields_in(merchant.currency)
        zone = merchant_zone(merchant.timezone)
        self.fields["send_date"].help_text = gettext("In your time zone (%(zone)s).") % {
            "zone": str(zone)
        }
        for code, name in languages_for(merchant):
            named = {"language": name}
            self.fields[f"subject_{code}"] = forms.CharField(
                label=gettext("Email subject (%(language)s)") % named,
                required=False,
                max_length=200,
            )
            self.fields[f"body_{code}"] = forms.CharField(
                label=gettext("Email text (%(language)s)") % named,
                required=False,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 8}),
                help_text=_("HTML is allowed: paragraphs, lists, links, images, tables."),
            )
            self.fields[f"sms_{code}"] = forms.CharField(
                label=gettext("Text message (%(language)s)") % named,
                required=False,
                widget=forms.Textarea(attrs={"rows": 3, "class": "sms-text"}),
            )

    # Shown by the template --------------------------------------------------------------

    @property
    def language_texts(self) -> list[LanguageTexts]:
        return language_texts_of(self)

    @property
    def kind_choices(self) -> list[tuple[forms.BoundField, str]]:
        return [(radio, KIND_HELP[radio.data["value"]]) for radio in self["kind"]]

    def value_of(self, name: str):
        """What the field holds now: what was typed, else its initial value."""
        return self[name].value()

    @property
    def segment_chosen(self) -> Segment | None:
        try:
            return self.segments.get(int(self.value_of("segment")))
        except (TypeError, ValueError):
            return None

    # Reading the form -------------------------------------------------------------------

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("send_when") == "later":
            day, hour = cleaned.get("send_date"), cleaned.get("send_time")
            if day is None or hour is None:
                self.add_error("send_date", gettext("Choose the day and the time."))
            else:
                zone = merchant_zone(self.merchant.timezone)
                cleaned["send_at"] = datetime.combine(day, hour, tzinfo=zone)
        return cleaned

    def _texts(self, prefix: str) -> dict[str, str]:
        return texts_of(self, prefix)

    def campaign_fields(self) -> CampaignFields:
        data, channel = self.cleaned_data, self.cleaned_data["channel"]
        emails = channel != CampaignChannel.SMS
        texts = {
            "subject": self._texts("subject") if emails else "",
            "body": self._texts("body") if emails else self._texts("sms"),
            "sms_body": self._texts("sms") if channel == CampaignChannel.EMAIL_OR_SMS else "",
        }
        return CampaignFields(
            name=data["name"],
            segment=self.segments.get(data["segment"]),
            channel=channel,
            kind=data["kind"],
            offer=self.offer(),
            holdout_percent=data["holdout_percent"],
            send_at=data.get("send_at"),
            quiet_start=data["quiet_start"],
            quiet_end=data["quiet_end"],
            **texts,
        )

    # A service's refusal, on its field ---------------------------------------------------

    def _text_field(self, head: str, code: str, error: DomainError) -> str:
        prefix = {"subject": "subject", "sms_body": "sms"}.get(head)
        if prefix is None:  # "body": an SMS campaign's text is its body
            sms = self.cleaned_data.get("channel") == CampaignChannel.SMS
            prefix = "sms" if sms else "body"
        return text_field_for(form=self, prefix=prefix, code=code, error=error)

    def field_for(self, error: DomainError) -> str | None:
        head, _dot, tail = (error.field or "").partition(".")
        if head == "offer":
            name = self.offer_field_for(error)
        elif head in ("subject", "body", "sms_body"):
            name = self._text_field(head, tail, error)
        elif head == "send_at":
            name = "send_date"
        else:
            name = head
        return name if name in self.fields else None

    def add_service_error(self, error: DomainError) -> None:
        self.add_error(self.field_for(error), error.message)

    # Filled from a campaign -------------------------------------------------------------

    @classmethod
    def initial_for(cls, campaign: Campaign) -> dict:
        merchant = campaign.merchant
        initial = {
            "name": campaign.name,
            "segment": campaign.segment_id,
            "channel": campaign.channel,
            "kind": campaign.kind,
            "holdout_percent": campaign.holdout_percent,
            "quiet_start": campaign.quiet_start,
            "quiet_end": campaign.quiet_end,
        }
        for code, _name in languages_for(merchant):
            initial[f"subject_{code}"] = campaign.subject.get(code, "")
            initial[f"body_{code}"] = campaign.body.get(code, "")
            initial[f"sms_{code}"] = campaign.sms_body.get(code, "")
        if campaign.send_at:
            local = timezone.localtime(campaign.send_at, merchant_zone(merchant.timezone))
            initial |= {"send_when": "later", "send_date": local.date(), "send_time": local.time()}
        return initial | offer_initial(campaign.offer, merchant.currency)


class PreviewForm(forms.Form):
    """Whose message to show: a search among all members, or one of the segment's."""

    q = forms.CharField(label=_("Find a member"), required=False, max_length=100)
    member = forms.CharField(label=_("Show the message for"), required=False, max_length=40)


class CampaignSettingsForm(forms.Form):
    cap_per_week = forms.IntegerField(
        label=_("Promotional messages a member gets a week, at most"),
        widget=forms.NumberInput(attrs={"min": 0, "max": 50, "step": 1}),
        help_text=_("Members who reached it are skipped by the next campaign (not held out)."),
    )
    cap_per_day = forms.IntegerField(
        label=_("Promotional messages a member gets a day, at most"),
        widget=forms.NumberInput(attrs={"min": 0, "max": 10, "step": 1}),
    )
    send_rate_per_minute = forms.IntegerField(
        label=_("Messages sent a minute, at most"),
        widget=forms.NumberInput(attrs={"min": 1, "step": 1}),
        help_text=_(
            "A slower pace spreads the visits a campaign brings, and keeps within what your "
            "email and SMS providers accept."
        ),
    )
