"""The manager's tier page, the re-evaluation it starts, the member panel, the counter and
the member list filter."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from apps.core.models import AuditLog, Role
from apps.core.money import format_money, money_locale
from apps.programs.tiers.models import JobStatus, MemberTier, Tier, TierChange, TierReevaluation
from apps.programs.tiers.services import (
    reevaluation_run,
    tier_set_active,
    tier_update,
)
from tests.members.factories import enroll
from tests.programs.factories import buy
from tests.tiers.factories import set_up_tiers

pytestmark = pytest.mark.django_db


def _recently():
    return datetime.now(UTC) - timedelta(days=2)


def _euros(team, minor: int) -> str:
    merchant = team.merchant
    return format_money(minor, "EUR", money_locale(merchant.language, merchant.country.code))


def _tier_name(member):
    status = MemberTier.objects.filter(member=member).select_related("tier").first()
    return status.tier.name if status and status.tier else None


# Progress text -------------------------------------------------------------------------


def test_the_member_panel_shows_tier_perks_and_what_spending_reaches_the_next(team, client_as):
    set_up_tiers(team)
    member = enroll(team)
    buy(team, member, 96_500, at=_recently())

    page = client_as(team.staff).get(reverse("tiers:member_tier", args=[member.public_id]))

    assert page.status_code == 200
    assert f"Spend {_euros(team, 3_500)} more to reach Gold" in page.text
    assert '<span class="tier-name">Silver</span>' in page.text
    assert "Silver perks" in page.text
    assert "Earns 125% of the normal points." in page.text


def test_the_member_panel_counts_points_for_a_points_program(team, client_as):
    set_up_tiers(team, measure="points", tiers=[("Silver", 1_000, 100), ("Gold", 5_000, 100)])
    member = enroll(team)
    buy(team, member, 48_800, at=_recently())  # 4880 points

    page = client_as(team.staff).get(reverse("tiers:member_tier", args=[member.public_id]))

    assert "Earn 120 more points to reach Gold" in page.text
    assert '<span class="tier-name">Silver</span>' in page.text


def test_the_top_tier_says_so_and_without_tiers_the_panel_says_none(team, client_as):
    member = enroll(team)
    url = reverse("tiers:member_tier", args=[member.public_id])
    assert "No tiers yet." in client_as(team.staff).get(url).text

    set_up_tiers(team)
    buy(team, member, 200_000, at=_recently())

    assert "Top tier" in client_as(team.staff).get(url).text


def test_the_member_page_loads_the_tier_panel(team, client_as):
    member = enroll(team)

    page = client_as(team.staff).get(reverse("members:detail", args=[member.public_id]))

    assert reverse("tiers:member_tier", args=[member.public_id]) in page.text


def test_the_counter_shows_each_result_s_tier_and_progress_in_few_queries(
    team, client_as, django_assert_max_num_queries
):
    set_up_tiers(team)
    for n in range(5):
        buy(team, enroll(team, first_name="Marta"), 20_000 + n * 100_000, at=_recently())
    client = client_as(team.staff)
    client.get(reverse("members:counter"), {"q": "Marta"})  # warm the session

    with django_assert_max_num_queries(14):
        page = client.get(reverse("members:counter"), {"q": "Marta"}, HTTP_HX_REQUEST="true")

    assert page.text.count('<span class="badge tier-badge">Gold</span>') == 4
    assert page.text.count('<span class="badge tier-badge">Bronze</span>') == 1
    assert f"Spend {_euros(team, 30_000)} more to reach Silver" in page.text
    assert page.text.count("Top tier") == 4


# The manager's page ------------------------------------------------------------------


def test_staff_cannot_open_the_tier_page(team, client_as):
    assert client_as(team.staff).get(reverse("tiers:page")).status_code == 403
    assert client_as(team.manager).get(reverse("tiers:page")).status_code == 200


def test_a_manager_adds_a_tier_and_the_members_who_reach_it_move_up(
    team, client_as, django_capture_on_commit_callbacks
):
    rich, poor = enroll(team), enroll(team)
    buy(team, rich, 30_000, at=_recently())
    buy(team, poor, 10_000, at=_recently())
    client = client_as(team.manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("tiers:tier_create"),
            {"name": "Silver", "threshold": "200.00", "earn_percent": "120", "perks": "Free"},
        )

    assert response.status_code == 302
    tier = Tier.objects.get(merchant=team.merchant)
    assert (tier.threshold, tier.earn_percent) == (20_000, 120)
    assert _tier_name(rich) == "Silver"
    assert _tier_name(poor) is None
    job = TierReevaluation.objects.get(merchant=team.merchant)
    assert (job.status, job.members_done, job.members_total, job.changes_count) == (
        JobStatus.DONE,
        2,
        2,
        1,
    )
    change = TierChange.objects.get(member=rich)
    assert (change.cause, change.actor) == ("rules", team.manager)
    assert AuditLog.objects.filter(merchant=team.merchant, action="tier.created").exists()
    page = client.get(reverse("tiers:page"))
    assert "2 of 2 members (100%), 1 moved." in page.text


def test_the_tier_form_refuses_a_second_tier_at_the_same_threshold(team, client_as):
    set_up_tiers(team)

    response = client_as(team.manager).post(
        reverse("tiers:tier_create"), {"name": "Platinum", "threshold": "1000", "earn_percent": 100}
    )

    assert response.status_code == 400
    assert "Another tier starts at this threshold." in response.text


def test_the_measure_cannot_change_under_offered_tiers(team, client_as):
    set_up_tiers(team)

    response = client_as(team.manager).post(
        reverse("tiers:settings_update"),
        {"measure": "points", "window": "rolling_12", "grace_days": "0"},
    )

    assert response.status_code == 400
    assert "Deactivate the tiers before changing what qualifies" in response.text


def test_the_progress_section_polls_while_running_and_stops_when_done(team, client_as):
    set_up_tiers(team)
    job = TierReevaluation.objects.get(merchant=team.merchant, status=JobStatus.QUEUED)
    url = reverse("tiers:reevaluation", args=[job.pk])
    client = client_as(team.manager)

    running = client.get(url, HTTP_HX_REQUEST="true")
    reevaluation_run(job_id=job.pk)
    done = client.get(url, HTTP_HX_REQUEST="true")

    assert 'hx-trigger="every 1s"' in running.text
    assert "<progress" in running.text
    assert "hx-trigger" not in done.text
    assert "Placing members: done" in done.text


def test_rules_changes_supersede_a_running_reevaluation(team):
    tiers = set_up_tiers(team)  # three tiers added: three runs, two superseded

    statuses = list(
        TierReevaluation.objects.filter(merchant=team.merchant)
        .order_by("pk")
        .values_list("status", flat=True)
    )
    assert statuses == [JobStatus.SUPERSEDED, JobStatus.SUPERSEDED, JobStatus.QUEUED]
    superseded = TierReevaluation.objects.filter(merchant=team.merchant).order_by("pk").first()
    assert reevaluation_run(job_id=superseded.pk) is False
    assert tiers["Gold"].is_active


# Re-evaluation: batches, resume, what moves --------------------------------------------


def _run_latest(team):
    job = TierReevaluation.objects.for_merchant(team.merchant).first()
    reevaluation_run(job_id=job.pk)
    return TierReevaluation.objects.get(pk=job.pk)


def test_the_reevaluation_works_in_batches_and_a_second_run_changes_nothing(team, monkeypatch):
    from apps.programs.tiers.services import reevaluation

    members = [enroll(team) for _ in range(7)]
    for n, member in enumerate(members):
        buy(team, member, 15_000 * n + 1, at=_recently())
    set_up_tiers(team)
    monkeypatch.setattr(reevaluation, "REEVALUATION_BATCH", 3)

    job = _run_latest(team)
    placed = {member.pk: _tier_name(member) for member in members}
    again = reevaluation_run(job_id=job.pk)

    assert (job.status, job.members_done, job.last_member_id) == ("done", 7, members[-1].pk)
    assert again is False
    assert placed == {
        members[0].pk: None,
        members[1].pk: "Bronze",
        members[2].pk: "Bronze",
        members[3].pk: "Bronze",
        members[4].pk: "Silver",
        members[5].pk: "Silver",
        members[6].pk: "Silver",
    }
    assert job.changes_count == 6
    assert TierChange.objects.filter(cause="rules").count() == 6


def test_a_failed_reevaluation_resumes_after_its_last_batch(team, monkeypatch, client_as):
    from apps.programs.tiers.services import reevaluation

    members = [enroll(team) for _ in range(5)]
    for member in members:
        buy(team, member, 60_000, at=_recently())
    set_up_tiers(team)
    monkeypatch.setattr(reevaluation, "REEVALUATION_BATCH", 2)
    job = TierReevaluation.objects.for_merchant(team.merchant).first()
    real_batch, calls = reevaluation._reevaluate_batch, []

    def failing_second_batch(job, member_ids, at):
        calls.append(member_ids)
        if len(calls) == 2:
            raise RuntimeError("worker lost its database")
        return real_batch(job, member_ids, at)

    monkeypatch.setattr(reevaluation, "_reevaluate_batch", failing_second_batch)
    with pytest.raises(RuntimeError):
        reevaluation_run(job_id=job.pk)
    failed = TierReevaluation.objects.get(pk=job.pk)
    assert (failed.status, failed.members_done) == ("failed", 2)

    monkeypatch.setattr(reevaluation, "_reevaluate_batch", real_batch)
    client_as(team.manager).post(reverse("tiers:reevaluation_resume", args=[job.pk]))
    reevaluation_run(job_id=job.pk)  # on_commit does not fire in this test: run it by hand

    done = TierReevaluation.objects.get(pk=job.pk)
    assert (done.status, done.members_done) == ("done", 5)
    assert {_tier_name(member) for member in members} == {"Silver"}
    assert TierChange.objects.filter(cause="rules").count() == 5


def test_deactivating_a_tier_replaces_its_members_and_raising_a_threshold_waits(team):
    tiers = set_up_tiers(team)
    gold, silver = enroll(team), enroll(team)
    buy(team, gold, 100_000, at=_recently())
    buy(team, silver, 60_000, at=_recently())

    tier_update(
        tier=tiers["Silver"],
        actor=team.manager,
        name="Silver",
        threshold=70_000,
        earn_percent=125,
        perks="",
        rewards=[],
    )
    _run_latest(team)
    assert _tier_name(silver) == "Silver"  # a downgrade waits for the review

    tier_set_active(tier=tiers["Gold"], actor=team.manager, active=False)
    _run_latest(team)

    assert _tier_name(gold) == "Silver"
    change = TierChange.objects.filter(member=gold).first()
    assert (change.from_name, change.to_name, change.direction, change.cause) == (
        "Gold",
        "Silver",
        "down",
        "rules",
    )


# The member list ---------------------------------------------------------------------


def test_the_member_list_filters_by_tier(team, client_as):
    tiers = set_up_tiers(team)
    gold = enroll(team, first_name="Goldie")
    bronze = enroll(team, first_name="Bronwen")
    enroll(team, first_name="Nobody")
    buy(team, gold, 100_000, at=_recently())
    buy(team, bronze, 10_000, at=_recently())
    client = client_as(team.manager)

    only_gold = client.get(reverse("members:list"), {"tier": tiers["Gold"].pk}).text
    no_tier = client.get(reverse("members:list"), {"tier": "null"}).text

    assert "Goldie" in only_gold
    assert "Bronwen" not in only_gold
    assert "Nobody" in no_tier
    assert "Goldie" not in no_tier


def test_roles_match_the_tier_views(team):
    from tests.tenancy import merchant_views

    roles = {view.url_name: view.min_role for view in merchant_views()}
    assert roles["tiers:page"] == Role.MANAGER
    assert roles["tiers:member_tier"] == Role.STAFF


def test_another_merchants_tier_is_no_filter_choice(team, other_team, client_as):
    set_up_tiers(team)
    foreign = set_up_tiers(other_team)["Gold"]
    enroll(team, first_name="Localina")

    page = client_as(team.manager).get(reverse("members:list"), {"tier": foreign.pk})

    assert page.status_code == 200
    assert "Select a valid choice" in page.text
    assert f'value="{foreign.pk}"' not in page.text


def test_a_reevaluation_whose_task_was_lost_is_started_again_by_the_sweep(team):
    """The broker was down when the rules changed (or the worker died): the job stays open
    and untouched until the beat's sweep queues its run again."""
    from apps.programs.tiers.services import reevaluations_stalled_restart

    members = [enroll(team) for _ in range(3)]
    for member in members:
        buy(team, member, 60_000, at=_recently())
    set_up_tiers(team)  # its run is queued on commit, which never comes in this test
    job = TierReevaluation.objects.for_merchant(team.merchant).get(status__in=["queued"])
    now = datetime.now(UTC)

    assert reevaluations_stalled_restart(now=now) == 0  # not stalled yet
    assert reevaluations_stalled_restart(now=now + timedelta(minutes=6)) == 1  # runs (eager)

    job.refresh_from_db()
    assert (job.status, job.members_done) == (JobStatus.DONE, 3)
    tiers = MemberTier.objects.filter(member__in=members).values_list("tier__name", flat=True)
    assert sorted(tiers) == ["Silver"] * 3
    assert reevaluations_stalled_restart(now=now + timedelta(minutes=6)) == 0
