"""What each kind of automation is: promotional (marketing consent, the frequency cap, a
holdout) or a service message, its defaults, and its default texts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.campaigns.models import AutomationKind


@dataclass(frozen=True)
class MomentNumber:
    """A number of a kind's moment the merchant may change: its field, default and range."""

    label: Promise
    help_text: Promise
    default: int
    low: int
    high: int


@dataclass(frozen=True)
class KindSpec:
    kind: str
    description: Promise  # what it does, in a line (the automations page)
    promotional: bool
    cooldown_days: int  # at most one message of this kind per member in so many days
    subject: Promise
    body: Promise  # HTML, with the whitelisted merge tags
    sms_body: Promise
    # The texts when the automation gives a coupon (they show it); None: the same texts.
    coupon_body: Promise | None = None
    coupon_sms_body: Promise | None = None
    # The merge tags of its moment it may use besides the whitelist (merge_tags.py).
    tags: frozenset[str] = frozenset()
    # A tag the message cannot do without (the survey's answers): a text that does not
    # place it gets it at its end.
    carries: str = ""
    # How long after its moment the message goes (the survey: the day after the purchase).
    delay: timedelta = timedelta(0)
    # Whether it may give an offer. A service message gives none (it goes without
    # marketing consent), nor does the birthday: its gift is the program's bonus.
    offers: bool = False
    number: MomentNumber | None = None


KINDS: dict[str, KindSpec] = {
    AutomationKind.FIRST_PURCHASE: KindSpec(
        kind=AutomationKind.FIRST_PURCHASE,
        description=_(
            "After a member's first purchase, a thank-you with how far their first reward is."
        ),
        promotional=False,
        cooldown_days=3650,  # a member's first purchase comes once
        subject=_("Thank you for your first visit, {{ first_name }}"),
        body=_(
            "<p>Thank you for your first purchase at {{ shop_name }}, {{ first_name }}! "
            "You already have {{ points_balance }} points. {{ reward_progress }}</p>"
            '<p><a href="{{ card_url }}">See your card</a></p>'
        ),
        sms_body=_(
            "Thank you for your first purchase at {{ shop_name }}, {{ first_name }}! "
            "{{ reward_progress }}"
        ),
        tags=frozenset({"reward_progress"}),
    ),
    AutomationKind.BIRTHDAY: KindSpec(
        kind=AutomationKind.BIRTHDAY,
        description=_(
            "On each member's birthday, in your time zone, a message wishing them a happy day."
        ),
        promotional=True,
        cooldown_days=300,
        subject=_("Happy birthday, {{ first_name }}!"),
        body=_(
            "<p>Happy birthday, {{ first_name }}! Everyone at {{ shop_name }} wishes you a "
            "wonderful day. {{ birthday_gift }}</p><p>Come and celebrate with us: "
            '<a href="{{ card_url }}">your card</a> is ready.</p>'
        ),
        sms_body=_(
            "Happy birthday, {{ first_name }}! From all of us at {{ shop_name }}. "
            "{{ birthday_gift }}"
        ),
        tags=frozenset({"birthday_gift"}),
    ),
    AutomationKind.POINTS_EXPIRING: KindSpec(
        kind=AutomationKind.POINTS_EXPIRING,
        description=_(
            "Before a member's points expire (at each reminder of the program), how many "
            "and on which day."
        ),
        promotional=False,
        cooldown_days=0,  # each reminder stage is its own occurrence
        subject=_("{{ expiring_points }} of your points expire on {{ expiry_date }}"),
        body=_(
            "<p>{{ first_name }}, {{ expiring_points }} of your points at {{ shop_name }} "
            "expire on {{ expiry_date }}. Use them before then: you have "
            "{{ points_balance }} in all.</p>"
            '<p><a href="{{ card_url }}">See what they are worth</a></p>'
        ),
        sms_body=_(
            "{{ first_name }}, {{ expiring_points }} of your points at {{ shop_name }} "
            "expire on {{ expiry_date }}."
        ),
        tags=frozenset({"expiring_points", "expiry_date"}),
    ),
    AutomationKind.WIN_BACK: KindSpec(
        kind=AutomationKind.WIN_BACK,
        offers=True,
        description=_(
            "When a member stops coming (at risk, then lapsed), a message inviting them back."
        ),
        promotional=True,
        cooldown_days=30,
        subject=_("We miss you, {{ first_name }}"),
        body=_(
            "<p>It has been a while since your last visit to {{ shop_name }}, "
            "{{ first_name }}. Your {{ points_balance }} points are waiting for you.</p>"
            '<p><a href="{{ card_url }}">See your card</a></p>'
        ),
        sms_body=_(
            "{{ first_name }}, we miss you at {{ shop_name }}. "
            "Your {{ points_balance }} points are waiting."
        ),
        coupon_body=_(
            "<p>It has been a while since your last visit to {{ shop_name }}, "
            "{{ first_name }}. Come back with {{ coupon_value }} off: show the code "
            "<strong>{{ coupon_code }}</strong> at the counter (until {{ coupon_expires }}).</p>"
            '<p><a href="{{ card_url }}">See your card</a></p>'
        ),
        coupon_sms_body=_(
            "{{ first_name }}, we miss you at {{ shop_name }}: {{ coupon_value }} off with the "
            "code {{ coupon_code }} until {{ coupon_expires }}."
        ),
    ),
    AutomationKind.REWARD_REACH: KindSpec(
        kind=AutomationKind.REWARD_REACH,
        number=MomentNumber(
            label=_("How close to the reward (percent of its cost)"),
            help_text=_(
                "A balance this close to a reward's cost is within reach: 10 tells a member "
                "with 180 points of a 200-point reward. They are told again when they afford it."
            ),
            default=10,
            low=1,
            high=50,
        ),
        offers=True,
        description=_(
            "When a member's points come close to a reward, or first afford one, a nudge to use "
            "them."
        ),
        promotional=True,
        cooldown_days=14,
        subject=_("{{ first_name }}, a reward is within reach"),
        body=_(
            "<p>{{ first_name }}, you have {{ points_balance }} points at {{ shop_name }}. "
            "{{ reward_progress }}</p>"
            '<p><a href="{{ card_url }}">See your card</a></p>'
        ),
        sms_body=_("{{ first_name }}, {{ reward_progress }} ({{ shop_name }})"),
        tags=frozenset({"reward_progress"}),
    ),
    AutomationKind.TIER_UP: KindSpec(
        kind=AutomationKind.TIER_UP,
        description=_(
            "When a member moves up a VIP tier through their purchases, a welcome to it."
        ),
        promotional=False,
        cooldown_days=0,  # each move up is its own occurrence
        subject=_("Welcome to {{ tier }}, {{ first_name }}!"),
        body=_(
            "<p>Congratulations, {{ first_name }}: you are now {{ tier }} at {{ shop_name }}. "
            "Your new advantages are on your card.</p>"
            '<p><a href="{{ card_url }}">See your card</a></p>'
        ),
        sms_body=_("Congratulations, {{ first_name }}: you are now {{ tier }} at {{ shop_name }}."),
    ),
    AutomationKind.TIER_AT_RISK: KindSpec(
        kind=AutomationKind.TIER_AT_RISK,
        number=MomentNumber(
            label=_("Days before the tier's review"),
            help_text=_(
                "How long before the review a member whose purchases so far would not keep "
                "their tier is told."
            ),
            default=14,
            low=1,
            high=90,
        ),
        description=_(
            "Some days before a member's VIP tier is reviewed (14 unless you change it), if they "
            "would drop, what they still need."
        ),
        promotional=False,
        cooldown_days=30,
        subject=_("{{ first_name }}, keep your {{ tier }} level"),
        body=_(
            "<p>{{ first_name }}, your {{ tier }} level at {{ shop_name }} is reviewed soon. "
            "{{ tier_progress }}</p>"
            '<p><a href="{{ card_url }}">See your card</a></p>'
        ),
        sms_body=_("{{ first_name }}, {{ tier_progress }} ({{ shop_name }})"),
        tags=frozenset({"tier_progress"}),
    ),
    AutomationKind.REFERRAL_NUDGE: KindSpec(
        kind=AutomationKind.REFERRAL_NUDGE,
        number=MomentNumber(
            label=_("At the member's purchase number"),
            help_text=_("Sent after this purchase of a member who has referred nobody."),
            default=3,
            low=1,
            high=50,
        ),
        offers=True,
        description=_(
            "At a member's third purchase (or the one you choose), if they have referred nobody, "
            "an invitation to bring a friend."
        ),
        promotional=True,
        cooldown_days=3650,  # once
        subject=_("{{ first_name }}, invite a friend to {{ shop_name }}"),
        body=_(
            "<p>{{ first_name }}, thank you for coming back to {{ shop_name }}! Bring a "
            "friend: your own invitation link is on your card.</p>"
            '<p><a href="{{ card_url }}">Your card and your link</a></p>'
        ),
        sms_body=_(
            "{{ first_name }}, invite a friend to {{ shop_name }}: your link is on your card."
        ),
    ),
    AutomationKind.SURVEY: KindSpec(
        kind=AutomationKind.SURVEY,
        description=_(
            "A day after a purchase, at most once in 90 days, one question: how likely the "
            "member is to recommend you (0 to 10), answered with one click."
        ),
        promotional=False,
        cooldown_days=90,
        subject=_("How was your visit to {{ shop_name }}?"),
        body=_(
            "<p>Thank you for your visit to {{ shop_name }}, {{ first_name }}. "
            "One question, one click:</p>"
            "<p><strong>How likely are you to recommend {{ shop_name }} to a friend or "
            "colleague?</strong></p>"
            "<p>{{ survey_links }}</p>"
            "<p>0: not at all likely, 10: extremely likely.</p>"
        ),
        sms_body=_(
            "{{ first_name }}, how likely are you to recommend {{ shop_name }} to a friend, "
            "from 0 to 10? {{ survey_links }}"
        ),
        tags=frozenset({"survey_links"}),
        carries="survey_links",
        delay=timedelta(days=1),
    ),
}


def moment_number(*, kind: str, number: int | None) -> int:
    """The number of the kind's moment: the automation's (`Automation.moment_number`),
    else the kind's default."""
    return number or KINDS[kind].number.default


# The kinds whose moments come from a daily look at the members (a date), not an event.
DATE_KINDS = frozenset(
    {AutomationKind.BIRTHDAY, AutomationKind.WIN_BACK, AutomationKind.TIER_AT_RISK}
)


def within_reach(*, cost: int, percent: int) -> int:
    """The balance from which a reward of `cost` is within reach (the reward-within-reach
    kind's number: `percent`)."""
    return cost - cost * percent // 100
