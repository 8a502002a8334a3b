"""How many points a basket earns: the base rate, product multipliers and promotions.

All in integers: each line's amount is multiplied by the rate and its percentages, and
the whole basket is divided once at the end, rounded down (a customer never earns for a
fraction), so splitting a basket into lines never earns more than paying it in one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext

from apps.core.merchant_config import merchant_config
from apps.core.models import Location, Merchant
from apps.core.money import Rounding, divide, minor_digits
from apps.programs.points.models import EarnMultiplier, MultiplierTarget, ProgramSettings, Promotion


@dataclass(frozen=True)
class Line:
    amount: int  # minor units, quantity × unit amount
    sku: str = ""
    category: str = ""


@dataclass(frozen=True)
class Earning:
    points: int
    promotion: Promotion | None
    lines: list[tuple[Line, int]]  # each line with the multiplier percent it earned at


def lines_from_items(items: list[dict]) -> list[Line]:
    """API/counter items (`sku`, `category`, `quantity`, `unit_amount`) as lines."""
    return [
        Line(
            amount=int(item.get("quantity", 1)) * int(item["unit_amount"]),
            sku=str(item.get("sku") or ""),
            category=str(item.get("category") or ""),
        )
        for item in items
    ]


class BasketLineError(ValueError):
    """A typed basket line that is not a name then an amount (the message names it)."""

    def __init__(self, number: int):
        super().__init__(
            # Translators: %(number)s is the number of the line in the box of what was bought.
            gettext("Line %(number)s: write a name then an amount, e.g. “bakery 4.50”.")
            % {"number": number}
        )


def parse_basket_lines(text: str, currency: str) -> list[dict]:
    """Typed lines, one per row, a category or SKU then the amount ("bakery 4.50"), as
    items; BasketLineError (a ValueError) names the first row that is not that."""
    from apps.core.money import to_minor

    items = []
    for number, row in enumerate((text or "").splitlines(), start=1):
        if not row.strip():
            continue
        name, _space, price = row.strip().rpartition(" ")
        try:
            amount = to_minor(price, currency)
        except ValueError as error:
            raise BasketLineError(number) from error
        if not name.strip() or amount < 0:
            raise BasketLineError(number)
        items.append(
            {"sku": name.strip(), "category": name.strip(), "quantity": 1, "unit_amount": amount}
        )
    return items


@dataclass(frozen=True)
class EarnTerms:
    """What a basket earns under: read once per version of the merchant's configuration
    (apps/core/merchant_config.py) and shared, so never changed."""

    points_per_unit: int
    expiry_months: int | None
    multipliers: dict[tuple[str, str], int]  # (target, lower-case value) -> percent
    # the promotions switched on, best first, each with the ids of the locations it is
    # limited to (empty: everywhere)
    promotions: tuple[tuple[Promotion, frozenset[int]], ...]


@merchant_config(ProgramSettings, EarnMultiplier, Promotion)
def earn_terms(*, merchant: Merchant) -> EarnTerms:
    # Reading writes nothing: a merchant without a settings row earns at the defaults.
    settings = ProgramSettings.objects.for_merchant(merchant).one_or_none() or ProgramSettings()
    promotions = Promotion.objects.for_merchant(merchant).filter(is_active=True)
    return EarnTerms(
        points_per_unit=settings.points_per_unit,
        expiry_months=settings.expiry_months,
        multipliers={
            (rule.target, rule.value.lower()): rule.percent
            for rule in EarnMultiplier.objects.for_merchant(merchant).filter(is_active=True)
        },
        promotions=tuple(
            (promotion, frozenset(location.pk for location in promotion.locations.all()))
            for promotion in promotions.prefetch_related("locations").order_by("-percent", "pk")
        ),
    )


def active_promotion(
    *, merchant: Merchant, at: datetime, location: Location | None
) -> Promotion | None:
    """The best promotion running at `at` for `location` (one applies, never several):
    one limited to some locations runs only there."""
    for promotion, places in earn_terms(merchant=merchant).promotions:
        running = promotion.starts_at <= at < promotion.ends_at
        if running and (not places or (location is not None and location.pk in places)):
            return promotion
    return None


def _line_percent(line: Line, multipliers: dict[tuple[str, str], int]) -> int:
    """The best multiplier matching the line's product or category; 100 when none."""
    candidates = [
        multipliers.get((MultiplierTarget.SKU, line.sku.lower())),
        multipliers.get((MultiplierTarget.CATEGORY, line.category.lower())),
    ]
    return max([percent for percent in candidates if percent] or [100])


def basket_points(
    *,
    merchant: Merchant,
    amount: int,
    lines: list[Line] = (),
    at: datetime,
    location: Location | None = None,
    member_percent: int = 100,
) -> Earning:
    """The points a purchase of `amount` earns. Lines name what was bought; whatever of
    the amount they do not cover earns at the base rate. `member_percent` is what the
    member's own standing adds (a tier's multiplier, `extensions.earn_percent`)."""
    terms = earn_terms(merchant=merchant)
    promotion = active_promotion(merchant=merchant, at=at, location=location)
    promo_percent = promotion.percent if promotion else 100
    priced = [(line, _line_percent(line, terms.multipliers)) for line in lines if line.amount > 0]
    covered = sum(line.amount for line, _percent in priced)
    weighted = sum(line.amount * percent for line, percent in priced)
    if covered > amount:
        # A discount made the basket cheaper than its lines: they earn on what was paid,
        # each in proportion.
        numerator, share = weighted * amount, covered
    else:
        numerator, share = weighted + (amount - covered) * 100, 1
    points = divide(
        numerator * terms.points_per_unit * promo_percent * member_percent,
        10 ** minor_digits(merchant.currency) * 100 * 100 * 100 * share,
        rounding=Rounding.DOWN,
    )
    return Earning(points=points, promotion=promotion, lines=priced)
