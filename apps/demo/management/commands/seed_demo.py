from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.accounts.models import User
from apps.core import services
from apps.core.models import Location, Membership, Merchant, Role
from apps.demo.coupons import configure_demo_cashback
from apps.demo.program import configure_demo_program
from apps.demo.referrals import configure_demo_referrals
from apps.demo.tiers import configure_demo_tiers

DEMO_SLUG = "demo"
DEMO_PASSWORD = "fideliza-demo"  # noqa: S105 - a published demo login, local data only
# The demo café is in Madrid: its team works in Spanish (their own `language`), and its
# shops carry Spanish names. The sign-in addresses stay as published.
DEMO_LANGUAGE = "es"
DEMO_USERS = [
    ("owner@demo.fideliza.test", "Olivia", "Ortega", Role.OWNER),
    ("manager@demo.fideliza.test", "Marco", "Martín", Role.MANAGER),
    ("staff@demo.fideliza.test", "Sara", "Sánchez", Role.STAFF),
]
DEMO_LOCATIONS = [
    ("Centro", "Calle Mayor 12, Madrid", "Lun–Vie 7:30–20:00\nSáb–Dom 9:00–14:00"),
    ("Malasaña", "Calle del Pez 5, Madrid", "Mar–Dom 8:00–21:00\nLunes cerrado"),
]


def _demo_user(email: str, first_name: str, last_name: str) -> User:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"first_name": first_name, "last_name": last_name, "language": DEMO_LANGUAGE},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    elif not user.language:  # seeded before users had a language: complete it
        user.language = DEMO_LANGUAGE
        user.save(update_fields=["language"])
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


class Command(BaseCommand):
    help = (
        "Create (or complete) the demo merchant 'demo' with its team and shops. Safe to run twice."
        " With --members N, top it up to N demo members; with --purchases N, to N purchases."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--members",
            type=int,
            default=0,
            metavar="N",
            help="Top the demo merchant up to N members in total (fast enough for 1,000,000).",
        )
        parser.add_argument(
            "--purchases",
            type=int,
            default=0,
            metavar="N",
            help="Top the demo merchant up to N purchases over its members, with refunds and "
            "their points (fast enough for 10,000,000).",
        )
        parser.add_argument(
            "--campaigns",
            action="store_true",
            help="Also saved segments, a draft campaign and a campaign sent five weeks ago "
            "with its holdout and the purchases after it (after the members and purchases).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=None,
            help="Random seed for the demo members and purchases (same seed, same people).",
        )

    def handle(self, *args, **options):
        if options["members"] < 0:
            raise CommandError("--members is a number of members, 0 or more.")
        if options["purchases"] < 0:
            raise CommandError("--purchases is a number of purchases, 0 or more.")
        with transaction.atomic():
            merchant, users = self._merchant_and_team()

        self.stdout.write(
            self.style.SUCCESS(f"Demo merchant ready: {merchant.name} ({merchant.slug}).")
        )
        self.stdout.write(f"Sign in with any of these, password '{DEMO_PASSWORD}':")
        for user, role in users:
            self.stdout.write(f"  {user.email:<32} {Role(role).label}")
        if options["members"]:
            self._members(merchant, options["members"], options["seed"])
        if options["purchases"]:
            self._purchases(merchant, options["purchases"], options["seed"])
        if options["campaigns"]:
            self._campaigns(merchant, users[0][0], options["seed"])

    def _merchant_and_team(self):
        users = [(_demo_user(email, first, last), role) for email, first, last, role in DEMO_USERS]
        owner = users[0][0]
        merchant = Merchant.objects.filter(slug=DEMO_SLUG).first()
        if merchant is None:
            merchant = services.merchant_create(
                name="Café Fideliza",
                owner=owner,
                currency="EUR",
                country="ES",
                timezone_name="Europe/Madrid",
                language=DEMO_LANGUAGE,
                slug=DEMO_SLUG,
            )
        for user, role in users:
            Membership.objects.get_or_create(merchant=merchant, user=user, defaults={"role": role})
        for name, address, hours in DEMO_LOCATIONS:
            if not Location.objects.for_merchant(merchant).filter(name=name).exists():
                services.location_create(
                    merchant=merchant,
                    actor=owner,
                    name=name,
                    address=address,
                    opening_hours=hours,
                )
        configure_demo_program(merchant=merchant, actor=owner)
        configure_demo_tiers(merchant)
        configure_demo_cashback(merchant)
        configure_demo_referrals(merchant)
        return merchant, users

    def _members(self, merchant: Merchant, total: int, seed: int | None) -> None:
        from apps.demo import members as demo

        self.stdout.write(f"Demo members: topping up to {total:,}...")
        result = demo.seed_members(
            merchant=merchant,
            total=total,
            seed=demo.DEFAULT_SEED if seed is None else seed,
            progress=self.stdout.write,
        )
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created {result.created:,} demo members ({result.total:,} in all) "
                    f"in {result.seconds:.1f} s ({result.method})."
                )
            )
        else:
            self.stdout.write(f"The demo merchant has {result.total:,} members already.")

    def _purchases(self, merchant: Merchant, total: int, seed: int | None) -> None:
        from apps.demo import sales as demo

        self.stdout.write(f"Demo purchases: topping up to {total:,}...")
        result = demo.seed_purchases(
            merchant=merchant,
            total=total,
            seed=demo.DEFAULT_SEED if seed is None else seed,
            progress=self.stdout.write,
        )
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created {result.created:,} demo purchases ({result.total:,} in all) and "
                    f"{result.refunds:,} refunds for {result.members:,} members "
                    f"in {result.seconds:.1f} s ({result.method})."
                )
            )
            self._place_in_tiers(merchant)
        elif result.total < total:
            self.stdout.write("No member can take purchases: add members with --members N.")
        else:
            self.stdout.write(f"The demo merchant has {result.total:,} purchases already.")

    def _campaigns(self, merchant: Merchant, owner, seed: int | None) -> None:
        from apps.demo.campaigns import seed_demo_campaigns

        result = seed_demo_campaigns(merchant=merchant, actor=owner, seed=seed or 16)
        if result.sent is not None:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created {result.segments} demo segments and the campaign "
                    f"'{result.sent.name}' sent to {result.sent.targeted:,} members."
                )
            )
        from apps.demo.automations import seed_demo_automations

        automations = seed_demo_automations(merchant=merchant, actor=owner, seed=seed or 17)
        if automations.switched_on:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Switched on {automations.switched_on} automations a year ago, with "
                    f"{automations.messages:,} messages of their history."
                )
            )

    def _place_in_tiers(self, merchant: Merchant) -> None:
        from apps.demo.tiers import place_demo_members_in_tiers

        moved = place_demo_members_in_tiers(merchant=merchant)
        self.stdout.write(f"Placed {moved:,} demo members in their tiers.")
