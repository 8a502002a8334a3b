"""Demo members: realistic Spanish customers for the demo merchant, fast enough for a million.

`seed_members(merchant=..., total=N)` tops the merchant up to N members (running it again
adds only what is missing). Names come from Faker's es_ES lists, drawn once into weighted
pools (the most common Spanish names and surnames as often as in real life, so searches
for "maria" or "garcia" find as many people as they would at a real shop); everything
else is drawn from a seeded `random.Random`, so the same seed gives the same people.
Card codes come from `identifiers.new_card_code`, as for real members; public ids from
`public_ids()`, the shape of `identifiers.new_public_id` drawn twenty times faster.

Rows are written in batches, one transaction per batch: on PostgreSQL through COPY, on
other databases (SQLite for `make run`) through `bulk_create`. Each member gets the
"enrolled" line of its timeline, as `services.member_enroll` writes it.
"""

from __future__ import annotations

import base64
import json
import random
import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection
from django.utils import timezone

from apps.core.models import Location, Membership, Merchant
from apps.core.stored_text import summary_and_data
from apps.demo.bulk import bulk_transaction, copy_covers, copy_sql, statistics_refresh
from apps.members.identifiers import CARD_ALPHABET, new_card_code, new_public_id, search_text
from apps.members.models import Channel, EventKind, Member, MemberEvent, Tag
from apps.members.services import enrollment_summary

DEFAULT_SEED = 2026
DEMO_TAGS = ("vip", "vegano", "estudiante", "vecino")
BATCH_SIZE = 10_000
PROGRESS_EVERY = 100_000
YEARS_OF_HISTORY = 3

# Share of the population (INE), so that common names are as common as in a real shop.
COMMON_FIRST_NAMES = {
    "Antonio": 1.3,
    "José": 1.2,
    "Manuel": 1.2,
    "Francisco": 0.9,
    "David": 0.8,
    "Juan": 0.8,
    "Javier": 0.8,
    "Carlos": 0.6,
    "Daniel": 0.6,
    "José Antonio": 0.6,
    "José Luis": 0.6,
    "María Carmen": 0.6,
    "María": 0.6,
    "Carmen": 0.5,
    "Jesús": 0.5,
    "Alejandro": 0.5,
    "Francisco Javier": 0.5,
    "Ana María": 0.35,
    "Laura": 0.35,
    "María Pilar": 0.3,
    "María Dolores": 0.3,
    "Isabel": 0.3,
    "Josefa": 0.3,
    "Marta": 0.3,
    "Lucía": 0.3,
    "Cristina": 0.3,
}
COMMON_SURNAMES = {
    "García": 3.1,
    "Rodríguez": 1.8,
    "González": 1.8,
    "Fernández": 1.7,
    "López": 1.7,
    "Martínez": 1.6,
    "Sánchez": 1.6,
    "Pérez": 1.4,
    "Gómez": 1.0,
    "Martín": 1.0,
    "Jiménez": 0.8,
    "Ruiz": 0.7,
    "Hernández": 0.7,
    "Díaz": 0.7,
    "Moreno": 0.7,
    "Muñoz": 0.6,
    "Álvarez": 0.6,
    "Romero": 0.5,
    "Alonso": 0.4,
    "Gutiérrez": 0.4,
}
EMAIL_DOMAINS = {
    "gmail.com": 45,
    "hotmail.com": 16,
    "outlook.com": 8,
    "yahoo.es": 7,
    "hotmail.es": 6,
    "icloud.com": 5,
    "telefonica.net": 3,
    "yahoo.com": 3,
    "gmx.es": 2,
    "protonmail.com": 1,
    "orange.es": 2,
    "movistar.es": 2,
}
CHANNELS = {Channel.COUNTER: 78, Channel.ONLINE: 14, Channel.API: 4, Channel.IMPORT: 4}
LANGUAGES = {"es": 80, "ro": 10, "en": 10}  # Spanish shops, some Romanian and English customers
TAG_SHARES = {"vip": 0.03, "vegano": 0.06, "estudiante": 0.08, "vecino": 0.10}
CONTACTS = {"both": 80, "phone": 12, "email": 8}
CONSENT_EMAIL = 0.60  # of members with an email
CONSENT_SMS = 0.35  # of members with a phone
WITH_BIRTHDAY = 0.75
_EMAIL_CHARACTERS = set(string.ascii_lowercase + string.digits)

MEMBER_COLUMNS = (
    "id",
    "merchant_id",
    "public_id",
    "card_code",
    "first_name",
    "last_name",
    "email",
    "phone",
    "birthday",
    "language",
    "external_id",
    "consent_email",
    "consent_sms",
    "channel",
    "location_id",
    "enrolled_by_id",
    "enrolled_at",
    "last_activity_at",
    "search_name",
    "search_name_reversed",
    "erased_at",
    "merged_into_id",
    "link_version",
)
EVENT_COLUMNS = (
    "merchant_id",
    "member_id",
    "kind",
    "summary",
    "data",
    "actor_id",
    "source",
    "occurred_at",
)


@dataclass(frozen=True)
class SeedResult:
    created: int
    total: int
    seconds: float
    method: str  # "copy", "bulk_create" or "none"


def _weighted(weights: dict, size: int = 1000) -> list:
    """A list to `rng.choice` from where each key appears in proportion to its weight."""
    total = sum(weights.values())
    return [key for key, weight in weights.items() for _ in range(round(size * weight / total))]


def _name_pool(faker_draws: list[str], common: dict[str, float]) -> list[str]:
    """Faker's draws for the long tail, plus the common names at their real share."""
    common_share = sum(common.values()) / 100
    tail = len(faker_draws)
    size = round(tail / (1 - common_share))
    pool = list(faker_draws)
    for name, percent in common.items():
        pool += [name] * round(size * percent / 100)
    return pool


_BASE32_AS_CARD_ALPHABET = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", CARD_ALPHABET.lower().encode()
)


def public_ids(count: int) -> list[str]:
    """`count` ids shaped like `identifiers.new_public_id()`'s (the same prefix and length,
    each character uniform over the same alphabet), 20 times faster: one call to the OS."""
    sample = new_public_id()
    prefix, length = sample[:4], len(sample) - 4  # "mbr_", 20 characters
    # base32 turns every 5 random bytes into 8 characters, each uniform over 32 symbols.
    blocks = -(-count * length // 8)
    encoded = base64.b32encode(secrets.token_bytes(blocks * 5))
    text = encoded.translate(_BASE32_AS_CARD_ALPHABET).decode()
    return [prefix + text[start : start + length] for start in range(0, count * length, length)]


def _slug(name: str) -> str:
    return "".join(char for char in search_text(name) if char in _EMAIL_CHARACTERS)


class _Drawer:
    """Draws one demo member at a time; keeps the phones, emails and codes already taken."""

    def __init__(self, *, merchant: Merchant, seed: int, taken_from: int, tag_ids: dict):
        from faker import Faker

        faker = Faker("es_ES")
        faker.seed_instance(seed)
        first_names = [faker.first_name_female() for _ in range(2500)]
        first_names += [faker.first_name_male() for _ in range(2500)]
        self.first_names = _name_pool(first_names, COMMON_FIRST_NAMES)
        self.surnames = _name_pool([faker.last_name() for _ in range(5000)], COMMON_SURNAMES)
        self.slugs = {name: _slug(name) for name in {*self.first_names, *self.surnames}}
        # Another stream for each top-up, or a second run would draw the same people again.
        self.rng = random.Random(f"{seed}:{taken_from}")

        self.merchant_id = merchant.pk
        self.locations = list(Location.objects.for_merchant(merchant).order_by("pk"))
        self.staff_ids = list(
            Membership.objects.for_merchant(merchant).order_by("pk").values_list("user", flat=True)
        )
        self.tag_ids = tag_ids
        self.channels = _weighted(CHANNELS)
        self.languages = _weighted(LANGUAGES)
        self.domains = _weighted(EMAIL_DOMAINS)
        self.contacts = _weighted(CONTACTS)
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.history_seconds = YEARS_OF_HISTORY * 365 * 86400
        # As services.enrollment._enrollment_events writes them: the English and the stored text.
        self.summaries = {
            (channel, location): summary_and_data(
                enrollment_summary(channel=channel, location=location), {}
            )
            for channel in Channel.values
            for location in [None, *self.locations]
        }

        self._public_ids: list[str] = []
        self.phones: set[str] = set()
        self.emails: set[str] = set()
        self.card_codes: set[str] = set()
        existing = Member.objects.for_merchant(merchant).values_list("phone", "email", "card_code")
        for phone, email, card_code in existing.iterator(chunk_size=20_000):
            self.phones.add(phone)
            self.emails.add(email)
            self.card_codes.add(card_code)

    def phone(self) -> str:
        rng = self.rng
        while True:
            # Spanish mobiles: 6xx xxx xxx, and 71x-74x xxx xxx since 2011.
            if rng.random() < 0.85:
                national = rng.randrange(600_000_000, 700_000_000)
            else:
                national = rng.randrange(710_000_000, 750_000_000)
            phone = f"+34{national}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def email(self, first_name: str, surnames: list[str]) -> str:
        rng = self.rng
        first = self.slugs[first_name] or "cliente"
        last = self.slugs[surnames[0]] or "demo"
        shape = rng.random()
        if shape < 0.3:
            local = f"{first}.{last}"
        elif shape < 0.45:
            local = f"{first}{last}"
        elif shape < 0.6:
            local = f"{first[0]}{last}"
        elif shape < 0.7 and len(surnames) > 1 and self.slugs[surnames[1]]:
            local = f"{first}.{last}.{self.slugs[surnames[1]]}"
        elif shape < 0.85:
            local = f"{first}_{last}{rng.randrange(60, 100):02d}"
        else:
            local = f"{first}{last}{rng.randrange(1, 1000)}"
        domain = rng.choice(self.domains)
        email = f"{local}@{domain}"
        ceiling = 100
        while email in self.emails:  # as people do: add a number until the address is free
            email = f"{local}{rng.randrange(1, ceiling)}@{domain}"
            ceiling *= 10
        self.emails.add(email)
        return email

    def public_id(self) -> str:
        if not self._public_ids:
            self._public_ids = public_ids(BATCH_SIZE)
        return self._public_ids.pop()

    def card_code(self) -> str:
        # 32^8 codes: at a million members a clash is likely somewhere, so check.
        while (code := new_card_code()) in self.card_codes:
            pass
        self.card_codes.add(code)
        return code

    def member(self) -> tuple[dict, list[int]]:
        """One member's column values (without id and merchant) and its tag ids."""
        rng = self.rng
        first_name = rng.choice(self.first_names)
        surnames = [rng.choice(self.surnames)]
        if rng.random() < 0.85:  # most Spaniards go by two surnames
            surnames.append(rng.choice(self.surnames))
        last_name = " ".join(surnames)
        contact = rng.choice(self.contacts)
        phone = self.phone() if contact != "email" else None
        email = self.email(first_name, surnames) if contact != "phone" else None

        age = None
        birthday = None
        if rng.random() < WITH_BIRTHDAY:
            age = rng.triangular(16, 85, 38)
            birthday = date.fromordinal(self.today.toordinal() - int(age * 365.25))

        channel = rng.choice(self.channels)
        location = enrolled_by = None
        if channel == Channel.COUNTER:
            location = rng.choice(self.locations) if self.locations else None
            enrolled_by = rng.choice(self.staff_ids) if self.staff_ids else None
        # More members joined lately than at the start: density grows linearly with time.
        ago = self.history_seconds * (1 - rng.random() ** 0.5)
        ago = ago // 86400 * 86400 + rng.randrange(8 * 3600, 20 * 3600)  # shop hours (UTC)
        enrolled_at = self.now - timedelta(seconds=max(ago, 60))
        span = (self.now - enrolled_at).total_seconds()
        last_activity_at = enrolled_at + timedelta(seconds=span * rng.random() ** 0.5)

        tags = []
        for name, share in TAG_SHARES.items():
            if name == "estudiante" and age is not None and age > 28:
                continue
            if name in self.tag_ids and rng.random() < share:
                tags.append(self.tag_ids[name])

        values = {
            "public_id": self.public_id(),
            "card_code": self.card_code(),
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "phone": phone,
            "birthday": birthday,
            "language": rng.choice(self.languages),
            "consent_email": email is not None and rng.random() < CONSENT_EMAIL,
            "consent_sms": phone is not None and rng.random() < CONSENT_SMS,
            "channel": channel,
            "location": location,
            "enrolled_by_id": enrolled_by,
            "enrolled_at": enrolled_at,
            "last_activity_at": last_activity_at,
            # Exactly as services.checks.set_search_names does.
            "search_name": search_text(first_name, last_name),
            "search_name_reversed": search_text(last_name, first_name),
        }
        return values, tags

    def event(self, member_id: int, values: dict) -> dict:
        location = values["location"]
        summary, data = self.summaries[(values["channel"], location)]
        return {
            "member_id": member_id,
            "kind": EventKind.ENROLLED.value,
            "summary": summary,
            "data": {"location": location.pk if location else None, **data},
            "actor_id": values["enrolled_by_id"],
            "source": values["channel"],
            "occurred_at": values["enrolled_at"],
        }


def ensure_demo_tags(merchant: Merchant) -> dict[str, int]:
    """The demo tags (created if missing, whatever their case): name -> id."""
    tags = {}
    for name in DEMO_TAGS:
        tag = Tag.objects.for_merchant(merchant).filter(name__iexact=name).first()
        tags[name] = (tag or Tag.objects.create(merchant=merchant, name=name)).pk
    return tags


def seed_members(
    *,
    merchant: Merchant,
    total: int,
    seed: int = DEFAULT_SEED,
    batch_size: int = BATCH_SIZE,
    use_copy: bool | None = None,
    progress: Callable[[str], None] | None = None,
) -> SeedResult:
    """Top `merchant` up to `total` members (existing ones count); returns what was done.

    `use_copy` defaults to COPY on PostgreSQL and `bulk_create` elsewhere.
    """
    started = time.perf_counter()
    existing = Member.objects.for_merchant(merchant).count()
    missing = total - existing
    if missing <= 0:
        return SeedResult(0, existing, time.perf_counter() - started, "none")
    if use_copy is None:
        use_copy = connection.vendor == "postgresql" and copy_matches_schema()
    tag_ids = ensure_demo_tags(merchant)
    drawer = _Drawer(merchant=merchant, seed=seed, taken_from=existing, tag_ids=tag_ids)
    insert = _insert_copy if use_copy else _insert_bulk
    created = 0
    while created < missing:
        count = min(batch_size, missing - created)
        with bulk_transaction():
            insert(drawer, count)
        before, created = created, created + count
        if progress and created // PROGRESS_EVERY > before // PROGRESS_EVERY:
            elapsed = time.perf_counter() - started
            progress(f"  {created:,} / {missing:,} members ({elapsed:.1f} s)")
    statistics_refresh(Member, Member.tags.through, MemberEvent)
    method = "copy" if use_copy else "bulk_create"
    return SeedResult(created, existing + created, time.perf_counter() - started, method)


def _insert_bulk(drawer: _Drawer, count: int) -> None:
    batch = [drawer.member() for _ in range(count)]
    members = Member.objects.bulk_create(
        [Member(merchant_id=drawer.merchant_id, **values) for values, _tags in batch],
        batch_size=2000,
    )
    through_model = Member.tags.through
    through_model.objects.bulk_create(
        [
            through_model(member_id=member.pk, tag_id=tag_id)
            for member, (_values, tags) in zip(members, batch, strict=True)
            for tag_id in tags
        ],
        batch_size=2000,
    )
    MemberEvent.objects.bulk_create(
        [
            MemberEvent(merchant_id=drawer.merchant_id, **drawer.event(member.pk, values))
            for member, (values, _tags) in zip(members, batch, strict=True)
        ],
        batch_size=2000,
    )


def _insert_copy(drawer: _Drawer, count: int) -> None:
    """PostgreSQL: ids drawn from the table's sequence first, then three COPYs. Members are
    drawn while the first COPY streams, so the server inserts while Python draws."""
    member_table = Member._meta.db_table
    through = Member.tags.through._meta
    through_columns = (through.get_field("member").column, through.get_field("tag").column)
    merchant_id = drawer.merchant_id
    batch = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [member_table, count],
        )
        ids = [row[0] for row in cursor.fetchall()]
        with cursor.copy(copy_sql(member_table, MEMBER_COLUMNS)) as copy:
            for member_id in ids:
                values, tags = drawer.member()
                batch.append((member_id, values, tags))
                location = values["location"]
                copy.write_row(
                    (
                        member_id,
                        merchant_id,
                        values["public_id"],
                        values["card_code"],
                        values["first_name"],
                        values["last_name"],
                        values["email"],
                        values["phone"],
                        values["birthday"],
                        values["language"],
                        None,  # external_id
                        values["consent_email"],
                        values["consent_sms"],
                        values["channel"],
                        location.pk if location else None,
                        values["enrolled_by_id"],
                        values["enrolled_at"],
                        values["last_activity_at"],
                        values["search_name"],
                        values["search_name_reversed"],
                        None,  # erased_at
                        None,  # merged_into_id
                        1,  # link_version: the card link as first sent
                    )
                )
        with cursor.copy(copy_sql(through.db_table, through_columns)) as copy:
            for member_id, _values, tags in batch:
                for tag_id in tags:
                    copy.write_row((member_id, tag_id))
        with cursor.copy(copy_sql(MemberEvent._meta.db_table, EVENT_COLUMNS)) as copy:
            for member_id, values, _tags in batch:
                event = drawer.event(member_id, values)
                copy.write_row(
                    (
                        merchant_id,
                        member_id,
                        event["kind"],
                        event["summary"],
                        json.dumps(event["data"]),
                        event["actor_id"],
                        event["source"],
                        event["occurred_at"],
                    )
                )


def copy_matches_schema() -> bool:
    """COPY names its columns; a column it does not name must be one the database fills.
    If a model gained another one since, fall back to bulk_create: slower (a third of
    COPY's rate at a million members), so `tests/core/test_seed_demo_members.py` fails then,
    to bring COPY up to date."""
    return copy_covers(Member, set(MEMBER_COLUMNS)) and copy_covers(
        MemberEvent, set(EVENT_COLUMNS) | {"id"}
    )
