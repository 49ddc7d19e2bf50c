"""The import commit's shortcut: ``scores_state`` fingerprints what a preview read, and a commit
whose fingerprint is unchanged writes the preview's result without checking every row again.

On PostgreSQL only (row versions); elsewhere the commit always checks again (last test)."""

import orjson
import pytest
from django.core.files.base import ContentFile
from django.db import connection

from accounts.roles import Role
from assessment.models import Assessment, ImportStatus, Indicator, Period, PolicyRule, RuleKind
from assessment.services import imports as services
from assessment.services.imports import import_commit
from assessment.services.scores import scores_save, scores_state
from audit.models import AuditEntry
from cadres.models import Cadre, Unit
from tests.assessment.test_imports import make_sheet, scores, stored, validate
from tests.factories import CadreFactory

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="row versions need PostgreSQL")


@pytest.fixture
def admin(users):
    return users[Role.COUNTY_ADMIN]


@pytest.fixture
def no_recheck(monkeypatch):
    """Make the slow path (reading and checking every row again) fail the test."""

    def refuse(**kwargs):
        raise AssertionError("the commit checked every row again")

    monkeypatch.setattr(services, "scores_save", refuse)


@pytest.fixture
def rechecked(monkeypatch):
    """A list that gets an item each time the commit checks every row again (scores_save)."""
    calls = []
    real = services.scores_save
    monkeypatch.setattr(services, "scores_save", lambda **kw: calls.append(1) or real(**kw))
    return calls


@pytest.fixture(params=["looked up", "read whole"])
def lookup(request, monkeypatch):
    """Both ways the rows are found: by id on the server, or the whole table read and summed
    here (what ``reads_whole`` picks for a sheet naming most of the table)."""
    if request.param == "read whole":
        monkeypatch.setattr("core.bulk.reads_whole", lambda qs, count: True)
        monkeypatch.setattr("assessment.services.scores.reads_whole", lambda qs, count: True)
    return request.param


@postgres_only
def test_a_commit_with_nothing_changed_writes_the_preview_without_checking_again(
    admin, annual_period, cadre_a, tree, no_recheck
):
    other = CadreFactory(unit=tree["town_a"], name="王五")
    scores_save(
        actor=admin, period=annual_period, entries=[{"cadre": cadre_a, "scores": {"德": 70, "能": 71}}]
    )
    batch = validate(admin, annual_period, make_sheet([(cadre_a, {"德": 90}), (other, scores(80))]))

    batch = import_commit(actor=admin, batch=batch)

    assert batch.status == ImportStatus.COMMITTED
    assert stored(annual_period, cadre_a) == {"德": 90, "能": 71}  # blank cells keep the stored score
    assert stored(annual_period, other) == scores(80)
    assert "新增 6 项得分，修改 1 项" in batch.message
    entries = {e.cadre_id: e for e in AuditEntry.objects.filter(batch=f"import:{batch.pk}")}
    assert entries[cadre_a.pk].action == "update"
    assert entries[cadre_a.pk].changes == {"scores": [{"德": 70, "能": 71}, {"德": 90, "能": 71}]}
    assert entries[other.pk].action == "create"
    assert entries[other.pk].changes == {"scores": [None, scores(80)], "track": [None, ""]}
    assert entries[other.pk].object_id == str(Assessment.objects.get(period=annual_period, cadre=other).pk)


@postgres_only
def test_any_change_after_the_preview_sends_the_commit_back_to_checking_every_row(
    admin, annual_period, cadre_a, rechecked
):
    batch = validate(admin, annual_period, make_sheet([(cadre_a, scores(90))]))
    Cadre.objects.filter(pk=cadre_a.pk).update(post_title="副镇长")  # changes nothing checked

    batch = import_commit(actor=admin, batch=batch)

    assert rechecked == [1]
    assert batch.status == ImportStatus.COMMITTED
    assert stored(annual_period, cadre_a) == scores(90)


@postgres_only
@pytest.mark.parametrize("change", ["scores edited", "assessment deleted", "assessment created"])
def test_a_row_the_commit_writes_that_changed_after_the_preview_is_caught_by_its_update(
    admin, annual_period, cadre_a, tree, rechecked, change
):
    """The fingerprint leaves out the assessments the commit writes: the UPDATE checks each
    one's version and the INSERT meets the one-per-period constraint. Either sends the commit
    back to checking every row, with nothing of the first attempt left behind."""
    other = CadreFactory(unit=tree["town_a"], name="王五")
    scores_save(actor=admin, period=annual_period, entries=[{"cadre": cadre_a, "scores": {"德": 70}}])
    batch = validate(admin, annual_period, make_sheet([(cadre_a, {"德": 90}), (other, scores(80))]))
    if change == "scores edited":
        Assessment.objects.filter(period=annual_period, cadre=cadre_a).update(scores={"德": 75})
    elif change == "assessment deleted":
        Assessment.objects.filter(period=annual_period, cadre=cadre_a).delete()
    else:
        Assessment.objects.create(period=annual_period, cadre=other, unit=other.unit, scores={"德": 60})

    batch = import_commit(actor=admin, batch=batch)

    assert rechecked == [1] and batch.status == ImportStatus.COMMITTED
    assert stored(annual_period, cadre_a) == {"德": 90}
    assert stored(annual_period, other) == scores(80)
    entries = AuditEntry.objects.filter(batch=f"import:{batch.pk}")
    assert entries.count() == 2  # the checked attempt's entries were rolled back
    before = {e.cadre_id: e.changes["scores"][0] for e in entries}
    if change == "scores edited":
        assert before[cadre_a.pk] == {"德": 75}  # what was there at commit, not at preview
    elif change == "assessment created":
        assert before[other.pk] == {"德": 60}


@postgres_only
def test_a_plan_stored_by_an_earlier_version_is_checked_again(admin, annual_period, cadre_a, rechecked):
    """Writes of the first layout carried no versions: such a plan, left by a preview before an
    upgrade, must not reach the shortcut."""
    batch = validate(admin, annual_period, make_sheet([(cadre_a, scores(90))]))
    head, _, entries = batch.plan.open("rb").read().partition(b"\n")
    head = orjson.loads(head)
    head.pop("format")
    head["writes"] = [w[:6] for w in head["writes"]]
    batch.plan.save(batch.plan.name.rsplit("/", 1)[-1], ContentFile(orjson.dumps(head) + b"\n" + entries))

    batch = import_commit(actor=admin, batch=batch)

    assert rechecked == [1] and batch.status == ImportStatus.COMMITTED
    assert stored(annual_period, cadre_a) == scores(90)


@postgres_only
def test_a_stale_row_without_stored_entries_checks_the_sheet_again(admin, annual_period, cadre_a):
    """The shortcut fails at its UPDATE and the stored entries cannot be read: the commit
    checks the uploaded sheet itself again, as for a plan that was lost."""
    scores_save(actor=admin, period=annual_period, entries=[{"cadre": cadre_a, "scores": {"德": 70}}])
    batch = validate(admin, annual_period, make_sheet([(cadre_a, scores(90))]))
    head = batch.plan.open("rb").read().partition(b"\n")[0]
    batch.plan.save(batch.plan.name.rsplit("/", 1)[-1], ContentFile(head + b"\n{not json"))
    Assessment.objects.filter(period=annual_period, cadre=cadre_a).update(scores={"德": 75})

    batch = import_commit(actor=admin, batch=batch)

    assert batch.status == ImportStatus.COMMITTED
    assert stored(annual_period, cadre_a) == scores(90)
    entry = AuditEntry.objects.get(batch=f"import:{batch.pk}")
    assert entry.changes["scores"][0] == {"德": 75}


@postgres_only
def test_a_commit_by_someone_with_another_scope_checks_every_row_again(
    users, annual_period, cadre_a, rechecked
):
    """The preview checked the rows against the county admin's scope; the city's staff commit."""
    batch = validate(users[Role.COUNTY_ADMIN], annual_period, make_sheet([(cadre_a, scores(90))]))

    batch = import_commit(actor=users["city_staff"], batch=batch)

    assert rechecked == [1] and batch.status == ImportStatus.COMMITTED
    assert stored(annual_period, cadre_a) == scores(90)


@postgres_only
@pytest.mark.parametrize(
    "change",
    [
        "cadre",
        "unit",
        "assessment",
        "period",
        "indicator",
        "rule",
        "same transaction twice",
    ],
)
def test_the_fingerprint_changes_with_every_write_a_check_depends_on(
    annual_period, cadre_a, tree, change, lookup
):
    scope = [cadre_a.pk]
    Assessment.objects.update_or_create(
        period=annual_period, cadre=cadre_a, defaults={"unit": cadre_a.unit, "scores": {"德": 60}}
    )
    before = scores_state(annual_period, scope)
    assert scores_state(annual_period, scope) == before  # reading changes nothing
    if change == "cadre":
        Cadre.objects.filter(pk=cadre_a.pk).update(name="张叁")
    elif change == "unit":
        Unit.objects.filter(pk=tree["town_b"].pk).update(name="乙镇（新）")
    elif change == "assessment":
        Assessment.objects.filter(cadre=cadre_a).update(scores={"德": 61})
    elif change == "period":
        Period.objects.filter(pk=annual_period.pk).update(name="改名")
    elif change == "indicator":
        Indicator.objects.filter(scheme__period=annual_period, code="德").update(max_score=90)
    elif change == "rule":
        PolicyRule.objects.create(unit=tree["town_b"], kind=RuleKind.QUARTER_THRESHOLDS, params={"好": 90})
    else:  # the same row updated again in the same transaction keeps its xmin, not its place
        Assessment.objects.filter(cadre=cadre_a).update(scores={"德": 62})
        middle = scores_state(annual_period, scope)
        Assessment.objects.filter(cadre=cadre_a).update(scores={"德": 63})
        assert scores_state(annual_period, scope) != middle
    assert scores_state(annual_period, scope) != before


@postgres_only
def test_only_the_sheets_cadres_and_their_assessments_count(annual_period, cadre_a, cadre_b, lookup):
    """Another county's import or recomputation must not spoil this sheet's shortcut; a new
    assessment of one of the sheet's cadres must."""
    Assessment.objects.filter(period=annual_period).delete()
    Assessment.objects.create(period=annual_period, cadre=cadre_b, unit=cadre_b.unit, scores={"德": 60})
    before = scores_state(annual_period, [cadre_a.pk])
    Assessment.objects.filter(cadre=cadre_b).update(scores={"德": 99})
    type(cadre_b).objects.filter(pk=cadre_b.pk).update(name="李肆")
    assert scores_state(annual_period, [cadre_a.pk]) == before
    assert scores_state(annual_period, [cadre_b.pk]) != scores_state(annual_period, [cadre_a.pk])
    Assessment.objects.create(period=annual_period, cadre=cadre_a, unit=cadre_a.unit, scores={})
    assert scores_state(annual_period, [cadre_a.pk]) != before


@postgres_only
def test_the_preview_takes_the_same_fingerprint_as_the_commit(admin, annual_period, cadre_a, tree, lookup):
    """The preview reads the versions with the rows; the commit's own query must agree."""
    other = CadreFactory(unit=tree["town_a"], name="王五")
    batch = validate(admin, annual_period, make_sheet([(cadre_a, scores(90)), (other, scores(80))]))
    head = services._plan_load(batch).head
    assert sorted(head["cadres"]) == sorted([cadre_a.pk, other.pk])
    assessed = services.left_alone(head["cadres"], head["writes"])
    assert head["state"] == scores_state(annual_period, head["cadres"], assessed=assessed)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the fallback of other databases")
def test_without_postgresql_the_commit_always_checks_again(admin, annual_period, cadre_a, rechecked):
    assert scores_state(annual_period, [cadre_a.pk]) is None
    batch = validate(admin, annual_period, make_sheet([(cadre_a, scores(90))]))

    batch = import_commit(actor=admin, batch=batch)

    assert rechecked == [1] and batch.status == ImportStatus.COMMITTED
    assert stored(annual_period, cadre_a) == scores(90)
