"""Dashboard figures kept as data (core/figures.py): counted once, read back until they expire
(the edge: exactly ``DASHBOARD_FIGURES_SECONDS`` old is expired) or until an audited write in an
app they depend on commits; kept per user; shown with their age and a refresh."""

import datetime

import pytest
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditAction, AuditEntry
from audit.services import audit_record, audit_rows_bulk
from core import figures, registry
from core.models import Figure, Job
from incentives import services_care
from incentives.models import CareKind
from tests.factories import CadreFactory

pytestmark = pytest.mark.django_db

AGE = 600


@pytest.fixture
def keeping(settings):
    settings.DASHBOARD_FIGURES_SECONDS = AGE
    return settings


class Counter:
    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return {"n": self.calls}


def stored(figures_qs) -> set[str]:
    """The keys of stored figures as they were asked for (without the user's scope before them)."""
    return {key.rsplit("|", 1)[1] for key in figures_qs.values_list("key", flat=True)}


def fresh(user):
    """The user as a new request loads it: nothing left on it by an earlier one."""
    return type(user).objects.get(pk=user.pk)


def test_a_figure_is_counted_once_and_read_back(keeping, users):
    staff = users[Role.STAFF]
    count = Counter()
    assert figures.kept(staff, "k", count, depends=["assessment"]) == {"n": 1}
    assert figures.kept(fresh(staff), "k", count, depends=["assessment"]) == {"n": 1}
    assert count.calls == 1
    assert Figure.objects.get().depends == ",assessment,"


def test_a_user_moved_or_given_another_role_has_the_figure_counted_afresh(keeping, users, tree):
    staff = users[Role.STAFF]
    count = Counter()
    figures.kept(staff, "k", count, depends=["assessment"])
    staff.unit = tree["town_a"]
    staff.save()
    figures.kept(fresh(staff), "k", count, depends=["assessment"])
    assert count.calls == 2
    staff.role = Role.HEAD
    staff.save()
    figures.kept(fresh(staff), "k", count, depends=["assessment"])
    assert count.calls == 3
    staff.role, staff.unit = Role.STAFF, tree["county_a"]
    staff.save()
    figures.kept(fresh(staff), "k", count, depends=["assessment"])
    assert count.calls == 3  # back where it was: the figure kept for that scope is still good


def test_keeping_off_counts_every_time_and_stores_nothing(settings, users):
    settings.DASHBOARD_FIGURES_SECONDS = 0
    count = Counter()
    figures.kept(users[Role.STAFF], "k", count, depends=["assessment"])
    figures.kept(users[Role.STAFF], "k", count, depends=["assessment"])
    assert count.calls == 2
    assert not Figure.objects.exists()


def test_a_figure_expires_exactly_at_its_age(keeping, users, monkeypatch):
    staff = users[Role.STAFF]
    count = Counter()
    start = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: start)
    figures.kept(staff, "k", count, depends=["assessment"])
    monkeypatch.setattr(timezone, "now", lambda: start + datetime.timedelta(seconds=AGE - 1))
    figures.kept(fresh(staff), "k", count, depends=["assessment"])
    assert count.calls == 1  # one second short of its age: still kept
    monkeypatch.setattr(timezone, "now", lambda: start + datetime.timedelta(seconds=AGE))
    assert figures.kept(fresh(staff), "k", count, depends=["assessment"]) == {"n": 2}
    assert Figure.objects.get().computed_at == start + datetime.timedelta(seconds=AGE)


def test_expired_figures_of_the_user_go_when_new_ones_are_stored(keeping, users, monkeypatch):
    staff, other = users[Role.STAFF], users["city_staff"]
    start = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: start)
    figures.kept(staff, "day-1", Counter(), depends=["x"])
    figures.kept(other, "day-1", Counter(), depends=["x"])
    monkeypatch.setattr(timezone, "now", lambda: start + datetime.timedelta(seconds=AGE - 1))
    figures.kept(fresh(staff), "day-2", Counter(), depends=["x"])
    assert Figure.objects.filter(owner=staff.pk).count() == 2  # day-1 not yet expired
    monkeypatch.setattr(timezone, "now", lambda: start + datetime.timedelta(seconds=AGE))
    figures.kept(fresh(staff), "day-3", Counter(), depends=["x"])
    assert stored(Figure.objects.filter(owner=staff.pk)) == {"day-2", "day-3"}
    assert Figure.objects.filter(owner=other.pk).count() == 1  # another user's: left to them


def test_figures_are_kept_per_user(keeping, users):
    count = Counter()
    figures.kept(users[Role.STAFF], "k", count, depends=["assessment"])
    figures.kept(users["city_staff"], "k", count, depends=["assessment"])
    assert count.calls == 2
    assert Figure.objects.count() == 2


def test_an_audited_write_forgets_the_figures_of_its_app_only(
    keeping, users, cadre_a, django_capture_on_commit_callbacks
):
    staff = users[Role.STAFF]
    figures.kept(staff, "grades", Counter(), depends=["assessment", "cadres"])
    figures.kept(staff, "orders", Counter(), depends=["workorders"])
    figures.kept(staff, "all", Counter(), depends=[figures.ANY])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        audit_record(
            actor=staff, action=AuditAction.UPDATE, instance=cadre_a, before={"a": 1}, after={"a": 2}
        )
    assert stored(Figure.objects.all()) == {"orders"}


def test_a_write_that_rolls_back_forgets_nothing(keeping, users, cadre_a, django_capture_on_commit_callbacks):
    staff = users[Role.STAFF]
    figures.kept(staff, "grades", Counter(), depends=["cadres"])
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=staff, action=AuditAction.CREATE, instance=cadre_a, after={"a": 1})
        raise RuntimeError
    assert Figure.objects.filter(key__endswith="|grades").exists()


def test_an_update_that_changed_nothing_forgets_nothing(keeping, users, cadre_a):
    staff = users[Role.STAFF]
    figures.kept(staff, "grades", Counter(), depends=["cadres"])
    audit_record(actor=staff, action=AuditAction.UPDATE, instance=cadre_a, before={"a": 1}, after={"a": 1})
    assert Figure.objects.filter(key__endswith="|grades").exists()


def test_many_writes_of_one_transaction_forget_with_one_delete(
    keeping, users, cadre_a, django_capture_on_commit_callbacks
):
    from django.db import connection

    staff = users[Role.STAFF]
    figures.kept(staff, "grades", Counter(), depends=["cadres"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        for n in range(5):
            audit_record(actor=staff, action=AuditAction.CREATE, instance=cadre_a, after={"a": n})
    assert len(callbacks) == 1
    with CaptureQueriesContext(connection) as queries:
        callbacks[0]()
    assert len([q for q in queries.captured_queries if q["sql"].startswith("DELETE")]) == 1
    assert not Figure.objects.exists()


def test_a_bulk_audit_forgets_the_apps_of_its_rows(keeping, users, django_capture_on_commit_callbacks):
    staff = users[Role.STAFF]
    figures.kept(staff, "grades", Counter(), depends=["assessment"])
    figures.kept(staff, "care", Counter(), depends=["incentives"])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        audit_rows_bulk(
            actor=staff,
            rows=[(AuditAction.UPDATE, "assessment.assessment", "1", "x", {"a": [1, 2]}, None, "")],
        )
    assert stored(Figure.objects.all()) == {"care"}


def test_a_finished_job_forgets_the_figures_of_its_app(keeping, users, django_capture_on_commit_callbacks):
    from core import jobs

    staff = users[Role.STAFF]
    figures.kept(staff, "flags", Counter(), depends=["recall"])
    figures.kept(staff, "grades", Counter(), depends=["assessment"])
    with registry.restored():
        jobs.HANDLERS["recall.test_figures"] = lambda job: {"ok": True}
        try:
            job = Job.objects.create(kind="recall.test_figures")
            with django_capture_on_commit_callbacks(execute=True):
                assert jobs.job_run(str(job.pk), heartbeat=False)
        finally:
            jobs.HANDLERS.pop("recall.test_figures")
    assert stored(Figure.objects.all()) == {"grades"}


def test_a_reminder_scan_forgets_the_figures_of_its_app(keeping, users, django_capture_on_commit_callbacks):
    staff = users[Role.STAFF]
    figures.kept(staff, "orders", Counter(), depends=["workorders"])
    figures.kept(staff, "grades", Counter(), depends=["assessment"])
    with registry.restored():
        for scan in registry.reminder_scans():
            registry._reminder_scans.pop(scan.key)
        registry.reminder_scan("workorders.test", label="测试", scan=lambda *, today=None: {})
        with django_capture_on_commit_callbacks(execute=True):
            registry.reminder_scans_run()
    assert stored(Figure.objects.all()) == {"grades"}


def test_a_value_that_cannot_be_stored_is_shown_and_counted_again(keeping, users):
    count = Counter()

    def unpicklable():
        count()
        return {"f": lambda: None}

    assert "f" in figures.kept(users[Role.STAFF], "k", unpicklable, depends=["x"])
    figures.kept(fresh(users[Role.STAFF]), "k", unpicklable, depends=["x"])
    assert count.calls == 2
    assert not Figure.objects.exists()


# ------------------------------------------------------------------ the home page


@pytest.fixture
def panel():
    count = Counter()
    cheap = Counter()
    with registry.restored():
        registry.dashboard_panel(
            "test.kept",
            order=1,
            title="测试",
            template="core/dashboard_stats.html",
            context=lambda user: {"stats": [], "n": count()},
            depends=("supervision",),
        )
        registry.dashboard_panel(
            "test.cheap",
            order=2,
            title="测试",
            template="core/dashboard_stats.html",
            context=lambda user: {"stats": [], "n": cheap()},
            keep=False,
        )
        yield count, cheap


def test_the_home_page_reads_its_panels_back_and_shows_their_age(keeping, client, users, panel, clock):
    count, cheap = panel
    clock.set("2026-03-02", hour=9)
    client.force_login(users[Role.STAFF])
    first = client.get(reverse("home"))
    second = client.get(reverse("home"))
    assert count.calls == 1  # kept
    assert cheap.calls == 2  # keep=False: counted on every page
    assert dict(second.context["panels"])  # the kept panel is shown
    text = second.content.decode()
    assert 'data-testid="figures-age"' in text and "3月2日 09:00" in text
    assert first.context["figures_counted_at"] is not None
    client.get(reverse("home") + "?refresh=1")
    assert count.calls == 2


def test_without_keeping_the_page_shows_no_age(settings, client, users, panel):
    settings.DASHBOARD_FIGURES_SECONDS = 0
    client.force_login(users[Role.STAFF])
    response = client.get(reverse("home"))
    assert response.context["figures_counted_at"] is None
    assert 'data-testid="figures-age"' not in response.content.decode()


def test_a_care_record_written_shows_on_the_next_page(
    keeping, client, users, tree, clock, django_capture_on_commit_callbacks
):
    clock.set("2026-06-01")
    staff = users[Role.STAFF]
    cadre = CadreFactory(unit=tree["town_a"])
    client.force_login(staff)
    assert "本年度未体检：1" in client.get(reverse("home")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services_care.care_record_create(
            actor=staff,
            cadre=cadre,
            kind=CareKind.HEALTH_CHECK,
            date=datetime.date(2026, 5, 1),
            content="体检",
        )
    assert "本年度未体检" not in client.get(reverse("home")).content.decode()


def test_a_failure_to_forget_never_fails_the_write(
    keeping, users, cadre_a, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    staff = users[Role.STAFF]
    monkeypatch.setattr(figures, "Q", broken)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        audit_record(actor=staff, action=AuditAction.CREATE, instance=cadre_a, after={"a": 1})
    assert AuditEntry.objects.filter(object_id=str(cadre_a.pk)).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # as every transactional test here
def test_outside_a_transaction_a_write_forgets_at_once_and_a_failure_is_only_logged(
    keeping, users, cadre_a, monkeypatch
):
    staff = users[Role.STAFF]
    figures.kept(staff, "grades", Counter(), depends=["cadres"])
    audit_record(actor=staff, action=AuditAction.CREATE, instance=cadre_a, after={"a": 1})  # autocommit
    assert not Figure.objects.exists()
    figures.kept(fresh(staff), "grades", Counter(), depends=["cadres"])

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(figures, "Q", broken)
    audit_record(actor=staff, action=AuditAction.CREATE, instance=cadre_a, after={"a": 2})
    assert AuditEntry.objects.filter(object_id=str(cadre_a.pk)).count() == 2
    assert Figure.objects.exists()  # not forgotten: it expires in its time
