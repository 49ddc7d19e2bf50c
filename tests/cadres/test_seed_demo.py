"""``manage.py seed_demo``: a valid, consistent demo city, users for every role, idempotent."""

import io
import random

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q

from accounts.models import User
from accounts.roles import Role
from audit.models import AuditEntry
from audit.services import diff, snapshot
from cadres import demo, idnumber
from cadres.models import (
    RANKS_BY_KIND,
    Cadre,
    CadreKind,
    Education,
    Identity,
    PoliticalStatus,
    PostKind,
    PostRecord,
    Rank,
    TeamMembership,
    Unit,
    UnitKind,
)

CADRES = 300


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", cadres=CADRES, stdout=out, **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One demo city for the whole module (seeding takes about a second), rolled back at the
    end; each test runs in a savepoint inside it, as pytest-django's ``db`` does."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _db(db):
    pass


# Runs first, before the module's city exists: it builds (and rolls back) cities of its own.
def test_the_same_seed_builds_the_same_city():
    def build():
        with transaction.atomic():
            seed(seed=7)
            # sorted here: the stored numbers are encrypted, the database cannot order them
            rows = sorted(Cadre.objects.values_list("id_number", "name", "post_title", "unit__code"))
            transaction.set_rollback(True)
        return rows

    assert not demo.demo_present()
    assert build() == build()


def test_builds_the_city_with_counties_townships_departments_and_villages(seeded):
    city = Unit.objects.get(code=demo.CITY_CODE)
    counts = dict(
        Unit.objects.filter(path__startswith=city.path).order_by().values_list("kind").annotate(n=Count("id"))
    )
    assert counts[UnitKind.CITY] == 1
    assert counts[UnitKind.COUNTY] == 3
    assert counts[UnitKind.TOWNSHIP] == 30
    assert counts[UnitKind.DEPARTMENT] >= 20
    assert counts[UnitKind.VILLAGE] > 0
    names = set(Unit.objects.filter(kind=UnitKind.TOWNSHIP).values_list("name", flat=True))
    assert all(n.endswith(("镇", "乡", "街道")) for n in names)


def test_creates_the_requested_number_of_cadres_with_histories(seeded):
    assert Cadre.objects.count() == CADRES
    assert "300" in seeded
    per_cadre = Cadre.objects.annotate(
        n_edu=Count("educations", distinct=True), n_posts=Count("posts", distinct=True)
    ).values_list("n_edu", "n_posts")
    assert all(1 <= e <= 3 and 2 <= p <= 4 for e, p in per_cadre)


def test_id_numbers_are_unique_valid_and_match_birth_date_and_gender(seeded):
    rows = list(Cadre.objects.values_list("id_number", "birth_date", "gender"))
    assert len({n for n, _, _ in rows}) == len(rows)
    masked = dict(Cadre.objects.values_list("id_number", "id_number_masked"))
    for number, born, gender in rows:
        assert masked[number] == idnumber.mask(number)  # written by the bulk writer
        assert idnumber.validate(number) == number
        assert idnumber.birth_date(number) == born
        assert idnumber.gender(number) == gender


def test_a_sample_of_generated_records_passes_model_validation(seeded):
    ids = sorted(Cadre.objects.values_list("pk", flat=True))
    sample = random.Random(1).sample(ids, 60)
    for cadre in Cadre.objects.filter(pk__in=sample):
        cadre.full_clean()
    for model in (Education, PostRecord):
        for obj in model.objects.filter(cadre_id__in=sample):
            obj.full_clean()


def test_ages_party_membership_and_ranks_are_consistent(seeded):
    for cadre in Cadre.objects.all():
        assert 22 <= cadre.age() <= 60
        work_age = cadre.work_start_date.year - cadre.birth_date.year
        assert 18 <= work_age <= 25
        member = cadre.political_status in (PoliticalStatus.CPC, PoliticalStatus.PROBATIONARY)
        assert member == (cadre.party_join_date is not None)
        assert cadre.rank in RANKS_BY_KIND[CadreKind(cadre.kind)]
        if cadre.kind == CadreKind.VILLAGE:
            assert cadre.identity == Identity.VILLAGE and cadre.rank == Rank.NONE
    leaders = Cadre.objects.filter(kind__in=[CadreKind.LEADER_CHU, CadreKind.LEADER_KE])
    assert leaders.filter(political_status=PoliticalStatus.CPC).count() >= 0.9 * leaders.count()
    assert (
        Cadre.objects.filter(kind=CadreKind.GENERAL).count()
        > Cadre.objects.filter(kind=CadreKind.LEADER_CHU).count()
    )


def test_post_history_ends_in_the_current_post_and_includes_front_line_posts(seeded):
    for cadre in Cadre.objects.prefetch_related("posts"):
        posts = list(cadre.posts.all())
        assert [p.end_date for p in posts].count(None) == 1
        assert posts[-1].end_date is None
        assert posts[-1].title == cadre.post_title
        assert posts[-1].start_date == cadre.post_start_date
        assert posts[0].start_date == cadre.work_start_date
    kinds = set(PostRecord.objects.values_list("kind", flat=True))
    assert {PostKind.TOWNSHIP_FRONTLINE, PostKind.PROJECT_FRONTLINE, PostKind.FIRST_SECRETARY} <= kinds


def test_township_cadres_have_a_township_service_start(seeded):
    staff = Cadre.objects.filter(unit__kind=UnitKind.TOWNSHIP).exclude(kind=CadreKind.VILLAGE)
    assert staff.exists()
    assert not staff.filter(township_service_start=None).exists()


def test_every_township_and_department_has_one_main_leader_and_two_to_five_members(seeded):
    units = Unit.objects.filter(kind__in=[UnitKind.TOWNSHIP, UnitKind.DEPARTMENT]).annotate(
        mains=Count("team", filter=Q(team__is_main_leader=True)), size=Count("team")
    )
    assert units.count() > 50
    for unit in units:
        assert unit.mains == 1, unit
        assert 3 <= unit.size <= 6, unit
    for member in TeamMembership.objects.select_related("cadre", "unit"):
        assert member.cadre.unit_id == member.unit_id
        assert member.cadre.kind in (CadreKind.LEADER_CHU, CadreKind.LEADER_KE)
    mains = TeamMembership.objects.filter(is_main_leader=True, unit__kind=UnitKind.TOWNSHIP)
    assert set(mains.values_list("role_title", flat=True)) == {"党委书记"}


def test_users_of_every_role_exist_with_their_scope(seeded):
    city = Unit.objects.get(code=demo.CITY_CODE)
    for role in Role.values:
        assert User.objects.filter(role=role, is_superuser=False).exists(), role
    staff = User.objects.get(username="zzb_staff")
    assert (staff.role, staff.unit) == (Role.STAFF, city)
    assert staff.check_password(demo.DEFAULT_PASSWORD)
    county_admin = User.objects.get(username="county1_admin")
    assert county_admin.role == Role.COUNTY_ADMIN
    assert county_admin.unit.kind == UnitKind.COUNTY
    assert User.objects.get(username="admin").is_superuser
    assert "http://127.0.0.1:8000" in seeded
    assert "zzb_staff" in seeded and "county1_admin" in seeded and demo.DEFAULT_PASSWORD in seeded


def test_every_created_object_has_a_system_audit_entry_in_one_batch(seeded):
    # the registry's own objects (later demo steps write as the system too: the flag job's flags)
    entries = AuditEntry.objects.filter(action="create", actor=None, model__startswith="cadres.")
    by_model = dict(entries.order_by().values_list("model").annotate(n=Count("id")))
    assert by_model["cadres.cadre"] == CADRES
    assert by_model["cadres.education"] == Education.objects.count()
    assert by_model["cadres.postrecord"] == PostRecord.objects.count()
    assert by_model["cadres.teammembership"] == TeamMembership.objects.count()
    assert by_model["cadres.unit"] == Unit.objects.count()
    assert entries.values("batch").distinct().count() == 1
    assert entries.first().batch.startswith("seed-")
    assert set(entries.values_list("actor_label", flat=True)) == {"系统"}
    # The bulk-written entries are what the services would have written.
    cadre = Cadre.objects.select_related("unit").order_by("pk")[7]
    entry = entries.get(model="cadres.cadre", object_id=str(cadre.pk))
    assert entry.changes == diff(None, snapshot(cadre))
    assert (entry.cadre_id, entry.scope_path, entry.object_repr) == (cadre.pk, cadre.unit.path, cadre.name)
    post = cadre.posts.last()
    post_entry = entries.get(model="cadres.postrecord", object_id=str(post.pk))
    assert post_entry.changes == diff(None, snapshot(post))
    assert post_entry.object_repr == str(post)


def test_running_twice_does_not_duplicate_and_resets_passwords(seeded):
    before = (Unit.objects.count(), Cadre.objects.count(), AuditEntry.objects.count(), User.objects.count())
    staff = User.objects.get(username="zzb_staff")
    staff.set_password("changed-by-someone")
    staff.save()
    out = seed(password="another-pass-1")
    assert "demo data already present" in out
    assert (
        Unit.objects.count(),
        Cadre.objects.count(),
        AuditEntry.objects.count(),
        User.objects.count(),
    ) == before
    staff.refresh_from_db()
    assert staff.check_password("another-pass-1")


def test_the_banner_shows_the_address_it_is_given(seeded):
    assert "访问地址 / URL: http://127.0.0.1:8000" in seeded
    shown = seed(url="http://127.0.0.1:8020")
    assert "访问地址 / URL: http://127.0.0.1:8020" in shown
    assert "8000" not in shown


def test_every_published_demo_period_says_when_it_was_published(seeded):
    from assessment.models import Period, PeriodStatus

    published = Period.objects.filter(status=PeriodStatus.PUBLISHED)
    assert sorted(p.quarter or 0 for p in published) == [0, 1, 2, 3]
    assert not published.filter(published_at__isnull=True).exists()
