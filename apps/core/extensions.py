"""The extension points: values other apps add to a computation or a page, declared once.

An event (events.py) says that something happened; an extension point asks the apps above
for a value: the percent a member's tier adds, why a reward is refused, the sections of
the member page, the cards of the analytics and home pages. Each point is declared here
with the type of what it takes and its rule for combining the contributions (multiply,
first refusal, chained filters, an ordered list, a union), stated beside it; apps
contribute in their `AppConfig.ready()`.

As for events, the order is explicit: a contribution is registered with an `order`,
lowest first, unique on its point (the same convention: points 10, tiers 20, coupons 30,
referrals 40, campaigns 50-80). Points whose contributions are keyed (an API field, a card's
name) refuse, at start-up, a key two contributions claim (`ImproperlyConfigured`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils.functional import Promise

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet
    from django.http import HttpRequest
    from rest_framework import serializers

    from apps.core.models import Merchant
    from apps.members.models import Member
    from apps.messaging.content import EmailContent, SmsContent
    from apps.messaging.models import Delivery
    from apps.programs.rewards.models import Reward


@dataclass(eq=False)
class ExtensionPoint[T]:
    """Contributions of one kind. `kind`: the class each must be (None: a function).
    `keys`: what a contribution claims (two may not claim one key). `ordered`: False for
    a point whose rule ignores order (a union), registered without one."""

    name: str
    kind: type | None = None
    keys: Callable[[Any], Iterable[str]] | None = None
    ordered: bool = True
    entries: list[tuple[int, T]] = field(default_factory=list, repr=False)

    def register(self, contribution: T, *, order: int | None = None) -> None:
        if self.kind is not None and not isinstance(contribution, self.kind):
            raise ImproperlyConfigured(f"{self.name} takes a {self.kind.__name__}.")
        if self.kind is None and not callable(contribution):
            raise ImproperlyConfigured(f"{self.name} takes a function.")
        if self.ordered == (order is None):
            raise ImproperlyConfigured(
                f"{self.name}: " + ("give an order." if self.ordered else "takes no order.")
            )
        for taken_order, taken in self.entries:
            if self.ordered and taken_order == order:
                raise ImproperlyConfigured(f"{self.name}: two contributions at order {order}.")
            if self.keys is not None and (
                shared := set(self.keys(taken)) & set(self.keys(contribution))
            ):
                raise ImproperlyConfigured(
                    f"{self.name}: {', '.join(sorted(shared))} claimed twice."
                )
        self.entries.append((order or 0, contribution))
        self.entries.sort(key=lambda entry: entry[0])

    def unregister(self, contribution: T) -> None:
        self.entries[:] = [entry for entry in self.entries if entry[1] != contribution]

    def __iter__(self) -> Iterator[T]:
        return iter([contribution for _order, contribution in self.entries])


# Earning and redeeming (apps/programs) --------------------------------------------------

# A whole percent applied to the points a member's basket earns (100: no change; a Gold
# tier's 150 earns half again). Rule: multiplied together, in order.
EarnPercent = Callable[["Member", datetime], int]
EARN_PERCENT: ExtensionPoint[EarnPercent] = ExtensionPoint("earn_percent")


def earn_percent(member: Member, at: datetime) -> int:
    """Every contribution multiplied together (150 and 120 make 180), rounded down at each
    step so a member never earns a fraction more."""
    percent = 100
    for contribution in EARN_PERCENT:
        percent = percent * contribution(member, at) // 100
    return percent


# Why this member may not redeem this reward (a tier restriction), or None. Rule: the
# first refusal, in order, is the answer.
RewardRefusal = Callable[["Reward", "Member"], str | None]
REWARD_REFUSALS: ExtensionPoint[RewardRefusal] = ExtensionPoint("reward_refusals")


def reward_refusal(reward: Reward, member: Member) -> str | None:
    for refusal in REWARD_REFUSALS:
        if reason := refusal(reward, member):
            return reason
    return None


# What one member may redeem, as a queryset so a list stays one query (the tiers app hides
# the rewards of other tiers). Rule: each narrows the previous one's queryset, in order.
RewardFilter = Callable[["QuerySet[Reward]", "Member"], "QuerySet[Reward]"]
MEMBER_REWARD_FILTERS: ExtensionPoint[RewardFilter] = ExtensionPoint("member_reward_filters")


def rewards_narrowed(rewards: QuerySet[Reward], member: Member) -> QuerySet[Reward]:
    for narrow in MEMBER_REWARD_FILTERS:
        rewards = narrow(rewards, member)
    return rewards


# Members (apps/members) ----------------------------------------------------------------

# Locks other apps hold per member, taken before the member rows (members/lock_objects.py
# says why). Rule: each is called with the members in primary-key order, in order.
MemberLock = Callable[[list["Member"]], object]
MEMBER_LOCKS: ExtensionPoint[MemberLock] = ExtensionPoint("member_locks")


@dataclass(frozen=True)
class EnrollExtra:
    """Data an enrollment may carry for another app (referrals: `referral_code`).

    `check(member, value)` gets the checked, not yet inserted member and the value; it
    refuses with a `DomainError` naming the field (nobody is enrolled) or returns a
    function that `member_enroll` calls with the inserted member, in its transaction.
    """

    name: str
    check: Callable[[Member, Any], Callable[[Member], None]]


# Rule: checked in order; a name belongs to one contribution.
ENROLL_EXTRAS: ExtensionPoint[EnrollExtra] = ExtensionPoint(
    "enroll_extras", kind=EnrollExtra, keys=lambda extra: [extra.name]
)

# Models whose rows about a member a merge must not re-point at the survivor (an
# append-only ledger, one row per member): a `MEMBERS_MERGING` handler moves them, or the
# rows stay with the merged record. Rule: the union (no order).
MERGE_KEPT_MODELS: ExtensionPoint[type[Model]] = ExtensionPoint(
    "merge_kept_models", kind=type, ordered=False
)


def merge_kept_models() -> frozenset[type[Model]]:
    return frozenset(MERGE_KEPT_MODELS)


@dataclass(frozen=True)
class MemberPanel:
    """A section of the member page (tier, coupons, referrals): a view name taking the
    member's `public_id`, loaded by htmx after the page so one slow section never holds
    the others up, with a plain link (`label`) as the fallback. The view answers the
    section alone."""

    url_name: str
    label: str


# Rule: shown in order.
MEMBER_PANELS: ExtensionPoint[MemberPanel] = ExtensionPoint(
    "member_panels", kind=MemberPanel, keys=lambda panel: [panel.url_name]
)


@dataclass(frozen=True)
class PersonalDataPart:
    """What another app holds about a member, for their data export (GDPR art. 15/20):
    `data(member)` returns plain JSON-able values under `name`."""

    name: str
    data: Callable[[Member], object]


# Rule: the parts in order; a name belongs to one contribution.
PERSONAL_DATA_PARTS: ExtensionPoint[PersonalDataPart] = ExtensionPoint(
    "personal_data_parts", kind=PersonalDataPart, keys=lambda part: [part.name]
)


@dataclass(frozen=True)
class MemberCardSection:
    """A section of the member's card at the counter (members:card, where enrollment
    lands): `template` rendered with what `context(request, member)` returns, or left out
    when that is None (nothing to add for this member). Rendered with the page, so it
    works without JavaScript and prints with the card; the page has already checked the
    staff role and that the member is the business's."""

    name: str
    template: str
    context: Callable[[HttpRequest, Member], dict | None]


# Rule: shown in order, below the card; a name belongs to one section.
MEMBER_CARD_SECTIONS: ExtensionPoint[MemberCardSection] = ExtensionPoint(
    "member_card_sections", kind=MemberCardSection, keys=lambda section: [section.name]
)


@dataclass(frozen=True)
class MemberApiExtension:
    """What another app adds to a member in the API (points, tier, coupons, code)."""

    fields: dict[str, serializers.Field]  # for the schema
    data: Callable[[Member], dict]  # the values, for one member: exactly `fields`' keys
    # The member's one-to-one rows `data` reads, joined to the member's own query (as
    # `select_related` names them); `data` finds them with `read_once.joined_row`.
    joins: tuple[str, ...] = ()


# Rule: the fields in order; a field belongs to one contribution.
MEMBER_API_FIELDS: ExtensionPoint[MemberApiExtension] = ExtensionPoint(
    "member_api_fields", kind=MemberApiExtension, keys=lambda extension: extension.fields
)


@dataclass(frozen=True)
class ProgramApiExtension:
    """What another app adds to `GET program/` (tiers, cashback, referral terms)."""

    name: str
    field: serializers.Field  # for the schema
    data: Callable[[Merchant], object]


# Rule: one key each, in order.
PROGRAM_API_FIELDS: ExtensionPoint[ProgramApiExtension] = ExtensionPoint(
    "program_api_fields", kind=ProgramApiExtension, keys=lambda extension: [extension.name]
)


# Pages (apps/analytics, apps/home) -------------------------------------------------------


@dataclass(frozen=True)
class AnalyticsCard:
    """A card of the analytics dashboard (managers). The page holds one `<article>` per
    card, filled by htmx from `url_name` (with `url_args`), asked with the picker's choice
    as its query string: `start` and `end` (ISO days, the merchant's), `location` (a
    location's id, or absent: every location) and `compare=on` (show the previous period
    of as many days). The view answers the card alone, and checks the role itself."""

    name: str  # unique on the page: the element's id is card-<name>
    title: str
    url_name: str
    url_args: tuple = ()

    def url(self) -> str:
        return reverse(self.url_name, args=self.url_args)


# Rule: shown in order; a name belongs to one card.
ANALYTICS_CARDS: ExtensionPoint[AnalyticsCard] = ExtensionPoint(
    "analytics_cards", kind=AnalyticsCard, keys=lambda card: [card.name]
)


@dataclass(frozen=True)
class MemberListAction:
    """A link beside a list of members behind an analytics number (`/analytics/members/
    <status>/`): `url(merchant, status, period, location)` answers where it goes for that
    list, or None to leave it out. `status` is active, at_risk, lapsed or new (joined in
    the period, a `periods.Period`); `location` a Location or None."""

    name: str
    label: str | Promise
    url: Callable[..., str | None]


# Rule: shown in order; a name belongs to one link.
MEMBER_LIST_ACTIONS: ExtensionPoint[MemberListAction] = ExtensionPoint(
    "member_list_actions", kind=MemberListAction, keys=lambda action: [action.name]
)


@dataclass(frozen=True)
class HomeCard:
    """A card of the dashboard's home page, for people of at least `role`: `template`
    rendered with what `context(request)` returns (`request.merchant` is the business),
    or left out when that is None (nothing to show this business)."""

    name: str
    template: str
    context: Callable[[HttpRequest], dict | None]
    role: str = "staff"


# Rule: shown in order; a name belongs to one card.
HOME_CARDS: ExtensionPoint[HomeCard] = ExtensionPoint(
    "home_cards", kind=HomeCard, keys=lambda card: [card.name]
)


EXTENSION_POINTS: tuple[ExtensionPoint, ...] = (
    EARN_PERCENT,
    REWARD_REFUSALS,
    MEMBER_REWARD_FILTERS,
    MEMBER_LOCKS,
    ENROLL_EXTRAS,
    MERGE_KEPT_MODELS,
    MEMBER_PANELS,
    PERSONAL_DATA_PARTS,
    MEMBER_CARD_SECTIONS,
    MEMBER_API_FIELDS,
    PROGRAM_API_FIELDS,
    ANALYTICS_CARDS,
    MEMBER_LIST_ACTIONS,
    HOME_CARDS,
)


# Messages to members (apps/messaging) --------------------------------------------------


@dataclass(frozen=True)
class MessageSource:
    """What writes one kind of message: the welcome (apps/portal), a campaign, an
    automation. `kind` is a delivery's `source` up to any colon ("campaign" for
    "campaign:12"); `render(delivery)` returns its `EmailContent` or `SmsContent` (by the
    delivery's channel), called in the member's language and the merchant's time zone."""

    kind: str
    render: Callable[[Delivery], EmailContent | SmsContent]
    label: str | Promise = ""  # what the member page calls it ("Welcome")
    # Its queued rows are sent by batches of its own (a campaign's: at the merchant's rate,
    # not while paused, each with the member's offer), never by the deliveries' sweeper.
    batched: bool = False
    # Called once a row may go, just before it is rendered (an automation's offer, given
    # only to a member whose message is about to leave); a reason it returns skips the row
    # instead (an automation switched off since the row was queued).
    before_send: Callable[[Delivery], str | None] | None = None
    # Whether a queued row must wait at this moment (an automation's SMS in its quiet
    # hours): it stays queued, and the sweeper sends it once it may go.
    held: Callable[[Delivery, datetime], bool] | None = None


# Rule: one source per kind (no order).
MESSAGE_SOURCES: ExtensionPoint[MessageSource] = ExtensionPoint(
    "message_sources", kind=MessageSource, keys=lambda source: [source.kind], ordered=False
)


def message_source(kind: str) -> MessageSource | None:
    return next((source for source in MESSAGE_SOURCES if source.kind == kind), None)
