"""`seed_demo --members N`: realistic demo members, valid and unique, safe to run again."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from apps.core.models import Location, Merchant
from apps.demo import members as demo
from apps.members.identifiers import (
    CARD_ALPHABET,
    format_phone,
    normalize_email,
    normalize_phone,
    search_text,
)
from apps.members.models import EventKind, Member, MemberEvent, Tag
from apps.members.selectors import member_lookup

pytestmark = pytest.mark.django_db

PUBLIC_ID = re.compile(rf"mbr_[{CARD_ALPHABET.lower()}]{{20}}")


def _seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _members() -> list[Member]:
    return list(Member.objects.for_merchant(Merchant.objects.get(slug="demo")))


def _assert_valid_and_unique(members: list[Member]) -> None:
    demo_locations = set(
        Location.objects.for_merchant(Merchant.objects.get(slug="demo")).values_list(
            "pk", flat=True
        )
    )
    phones = [member.phone for member in members if member.phone]
    emails = [member.email for member in members if member.email]
    for phone in phones:
        assert normalize_phone(phone, "ES") == phone
        assert re.fullmatch(r"\+34[67]\d{8}", phone)
    for email in emails:
        assert normalize_email(email) == email
    assert len(set(phones)) == len(phones)
    assert len(set(emails)) == len(emails)
    assert len({member.card_code for member in members}) == len(members)
    assert len({member.public_id for member in members}) == len(members)
    for member in members:
        assert member.phone or member.email
        assert member.first_name
        assert member.last_name
        assert re.fullmatch(f"[{CARD_ALPHABET}]{{8}}", member.card_code)
        assert PUBLIC_ID.fullmatch(member.public_id)
        assert member.search_name == search_text(member.first_name, member.last_name)
        assert member.search_name_reversed == search_text(member.last_name, member.first_name)
        assert member.enrolled_at <= member.last_activity_at
        assert member.is_active
        assert member.location_id is None or member.location_id in demo_locations


def test_seed_demo_members_creates_valid_unique_members_with_their_enrollment():
    output = _seed("--members", "50")

    members = _members()
    assert len(members) == 50
    assert "Created 50 demo members (50 in all)" in output
    _assert_valid_and_unique(members)
    events = MemberEvent.objects.filter(member__in=members)
    assert events.count() == 50
    for event in events.select_related("member"):
        assert event.kind == EventKind.ENROLLED
        assert event.merchant_id == event.member.merchant_id
        assert event.occurred_at == event.member.enrolled_at
        assert event.actor_id == event.member.enrolled_by_id
        assert event.source == event.member.channel
        assert event.summary.startswith("Enrolled (")
    merchant = Merchant.objects.get(slug="demo")
    assert sorted(Tag.objects.for_merchant(merchant).values_list("name", flat=True)) == sorted(
        demo.DEMO_TAGS
    )


def test_demo_members_are_a_realistic_mix():
    _seed()
    merchant = Merchant.objects.get(slug="demo")
    demo.seed_members(merchant=merchant, total=1000)
    members = _members()
    _assert_valid_and_unique(members)
    with_email = [member for member in members if member.email]
    assert len({member.search_name for member in members}) > 900
    assert any(member.phone and not member.email for member in members)
    assert any(member.email and not member.phone for member in members)
    assert 0.5 < sum(member.consent_email for member in with_email) / len(with_email) < 0.7
    assert {member.channel for member in members} == {"counter", "online", "api", "import"}
    assert len({member.location_id for member in members if member.channel == "counter"}) == 2
    assert len({member.enrolled_by_id for member in members if member.channel == "counter"}) == 3
    assert any(member.birthday is None for member in members)
    assert {member.language for member in members} >= {"es", "en"}
    oldest = min(member.enrolled_at for member in members)
    assert (members[0].enrolled_at - oldest).days > 2 * 365
    tagged = Member.tags.through.objects.filter(member__in=members)
    assert set(tagged.values_list("tag__name", flat=True)) == set(demo.DEMO_TAGS)


def test_seed_demo_members_tops_up_without_duplicating():
    _seed("--members", "50")
    first = {member.pk: member.public_id for member in _members()}

    output = _seed("--members", "80")
    members = _members()
    assert len(members) == 80
    assert "Created 30 demo members (80 in all)" in output
    assert {member.pk: member.public_id for member in members if member.pk in first} == first
    _assert_valid_and_unique(members)
    per_member = MemberEvent.objects.values("member").annotate(n=Count("id"))
    assert sorted(row["n"] for row in per_member) == [1] * 80

    output = _seed("--members", "80")
    assert "has 80 members already" in output
    assert len(_members()) == 80


def test_the_bulk_create_path_sqlite_uses_writes_the_same_rows():
    """The bulk_create path (SQLite, `make run`) writes the same kind of rows as COPY."""
    _seed()
    merchant = Merchant.objects.get(slug="demo")
    result = demo.seed_members(merchant=merchant, total=40, use_copy=False, batch_size=15)
    assert (result.created, result.total, result.method) == (40, 40, "bulk_create")
    members = _members()
    _assert_valid_and_unique(members)
    assert MemberEvent.objects.filter(member__in=members, kind=EventKind.ENROLLED).count() == 40


def test_seeded_members_are_found_by_the_counter_lookup():
    _seed("--members", "50")
    merchant = Merchant.objects.get(slug="demo")
    members = _members()
    with_phone = [member for member in members if member.phone][:10]
    for member in with_phone:
        national = member.phone[3:]
        for term in (member.phone, format_phone(member.phone), f"{national[:3]}-{national[3:]}"):
            assert member_lookup(merchant=merchant, term=term) == [member]
        assert member in member_lookup(merchant=merchant, term=national[:5])
    for member in members[:10]:
        assert member in member_lookup(
            merchant=merchant, term=f"{member.first_name} {member.last_name}", limit=50
        )
        assert member in member_lookup(merchant=merchant, term=member.last_name, limit=50)
        assert member_lookup(merchant=merchant, term=member.card_code_display.lower()) == [member]


def test_seed_demo_without_members_creates_none():
    _seed()
    assert not Member.objects.exists()


def test_seed_demo_refuses_a_negative_count():
    with pytest.raises(CommandError, match="0 or more"):
        _seed("--members", "-1")


def test_copy_names_every_column_the_database_does_not_fill():
    """The member's `link_version` once sent the demo's members from COPY to bulk_create
    unseen, three times slower at a million members."""
    assert demo.copy_matches_schema()


@pytest.mark.postgres
def test_members_are_copied_on_postgresql():
    _seed()
    merchant = Merchant.objects.get(slug="demo")
    result = demo.seed_members(merchant=merchant, total=Member.objects.count() + 30)
    assert result.method == "copy"
    assert set(Member.objects.values_list("link_version", flat=True)) == {1}
