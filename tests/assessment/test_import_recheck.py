"""All or nothing on every path of the commit (issue 13, point 3).

Whatever way 确认导入 goes (the stored plan, a lost plan and the sheet read again, the
shortcut that meets a row changed since the preview, a background job), a check at commit
time that finds one bad row writes nothing at all and marks the batch invalid with that
row's error. The bad row here is one whose sheet was right at the preview and is wrong at the
commit: a quarterly 等次 its score no longer earns (the unit's thresholds changed, or its
assessment moved to a unit with other thresholds), or a cadre renamed in the registry."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from accounts.roles import Role
from assessment.models import Assessment, ImportBatch, ImportStatus, PeriodStatus
from assessment.services import imports as services
from assessment.services.imports import import_commit
from assessment.services.periods import period_transition
from assessment.services.policy import policy_rule_save
from assessment.services.scores import scores_save
from audit.models import AuditEntry
from cadres.models import Cadre, UnitKind
from tests.assessment.test_imports import FIRST, Q_HEADER, make_sheet, scores, validate
from tests.factories import CadreFactory, unit_child

PATHS = ["stored plan", "plan lost", "job"]
STRICT = {"good_min": 95, "fair_min": 80, "average_min": 60}  # 92 earns 较好 here, not 好


@pytest.fixture
def admin(users):
    return users[Role.COUNTY_ADMIN]


@pytest.fixture
def town_c(tree):
    return unit_child(tree["county_a"], "C01A03", "丙镇", UnitKind.TOWNSHIP)


@pytest.fixture
def other(town_c):
    return CadreFactory(unit=town_c, name="王五")


@pytest.fixture
def open_quarter(quarter_period, users, cadre_a, other):
    return period_transition(actor=users["city_staff"], period=quarter_period, to=PeriodStatus.COLLECTING)


def quarter_sheet(*rows) -> bytes:
    return make_sheet(
        [
            [i, c.name, c.id_number, "", "第一季度", grade, score, ""]
            for i, (c, grade, score) in enumerate(rows, 1)
        ],
        header=Q_HEADER,
        title="甲县2025年第一季度平时考核评分表",
    )


def quarter_scores(period) -> dict:
    return {a.cadre_id: a.scores for a in Assessment.objects.filter(period=period)}


def commit_by(path, admin, batch, settings, client, capture):
    """Commit ``batch`` the way ``path`` names; returns the batch as stored afterwards."""
    if path == "plan lost":
        batch.plan.storage.delete(batch.plan.name)
    if path == "job":  # the page's 确认导入 of a sheet above IMPORT_ASYNC_ROWS queues a job
        settings.IMPORT_ASYNC_ROWS = 1
        client.force_login(admin)
        with capture(execute=True):
            client.post(reverse("assessment:import_commit", args=[batch.pk]))
        batch = ImportBatch.objects.get(pk=batch.pk)
        assert batch.job is not None and batch.job.state == "done"
        return batch
    with pytest.raises(ValidationError):
        import_commit(actor=admin, batch=batch)
    return ImportBatch.objects.get(pk=batch.pk)


def assert_nothing_written(batch, period, before, bad_row, fragment):
    assert batch.status == ImportStatus.INVALID
    assert [e["row"] for e in batch.errors] == [bad_row]
    assert fragment in batch.errors[0]["message"]
    assert "未写入任何数据" in batch.message
    assert quarter_scores(period) == before
    assert not AuditEntry.objects.filter(batch=f"import:{batch.pk}").exists()


@pytest.mark.parametrize("path", PATHS)
def test_a_grade_the_new_thresholds_refuse_stops_the_whole_commit(
    admin,
    users,
    open_quarter,
    cadre_a,
    other,
    town_c,
    path,
    settings,
    client,
    django_capture_on_commit_callbacks,
):
    batch = validate(admin, open_quarter, quarter_sheet((cadre_a, "好", 92), (other, "好", 92)))
    assert batch.status == ImportStatus.VALIDATED, batch.errors
    before = quarter_scores(open_quarter)
    policy_rule_save(actor=users["city_staff"], unit=town_c, kind="quarter_thresholds", params=STRICT)

    batch = commit_by(path, admin, batch, settings, client, django_capture_on_commit_callbacks)

    assert_nothing_written(batch, open_quarter, before, FIRST + 1, "等次“好”与得分不符：得分 92")


@pytest.mark.parametrize("path", PATHS)
def test_a_cadre_renamed_after_the_preview_stops_the_whole_commit(
    admin, annual_period, cadre_a, tree, path, settings, client, django_capture_on_commit_callbacks
):
    other = CadreFactory(unit=tree["town_a"], name="王五")
    batch = validate(admin, annual_period, make_sheet([(cadre_a, scores(90)), (other, scores(80))]))
    before = quarter_scores(annual_period)
    Cadre.objects.filter(pk=other.pk).update(name="王伍")

    batch = commit_by(path, admin, batch, settings, client, django_capture_on_commit_callbacks)

    assert_nothing_written(batch, annual_period, before, FIRST + 1, "姓名")
    assert not Assessment.objects.filter(period=annual_period, cadre=other).exists()


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the shortcut needs PostgreSQL")


@postgres_only
def test_a_stale_row_whose_recheck_finds_a_wrong_grade_writes_nothing(
    admin, users, open_quarter, cadre_a, other, town_c, tree, monkeypatch
):
    """The shortcut is taken (nothing the fingerprint covers changed), its UPDATE finds 王五's
    assessment changed (moved to 丙镇's neighbour with strict thresholds), and the check of
    every row that follows finds his 等次 wrong there: nothing of either row is written."""
    strict_town = unit_child(tree["county_a"], "C01A04", "丁镇", UnitKind.TOWNSHIP)
    policy_rule_save(actor=users["city_staff"], unit=strict_town, kind="quarter_thresholds", params=STRICT)
    scores_save(
        actor=admin,
        period=open_quarter,
        entries=[{"cadre": cadre_a, "scores": {"得分": 50}}, {"cadre": other, "scores": {"得分": 50}}],
    )
    batch = validate(admin, open_quarter, quarter_sheet((cadre_a, "好", 92), (other, "好", 92)))
    assert batch.status == ImportStatus.VALIDATED, batch.errors
    before = quarter_scores(open_quarter)
    Assessment.objects.filter(period=open_quarter, cadre=other).update(unit=strict_town)
    stale = []
    real = services._write_checked
    monkeypatch.setattr(services, "_write_checked", lambda *a: stale.append(1) or real(*a))

    with pytest.raises(ValidationError):
        import_commit(actor=admin, batch=batch)

    assert stale == [1]  # the shortcut was tried, and rolled back
    assert_nothing_written(
        ImportBatch.objects.get(pk=batch.pk), open_quarter, before, FIRST + 1, "等次“好”与得分不符"
    )


@postgres_only
def test_a_stale_row_moved_out_of_scope_writes_nothing(admin, annual_period, cadre_a, tree, monkeypatch):
    other = CadreFactory(unit=tree["town_a"], name="王五")
    scores_save(actor=admin, period=annual_period, entries=[{"cadre": other, "scores": {"德": 50}}])
    batch = validate(admin, annual_period, make_sheet([(cadre_a, scores(90)), (other, scores(80))]))
    before = quarter_scores(annual_period)
    Assessment.objects.filter(period=annual_period, cadre=other).update(unit=tree["town_b"])
    stale = []
    real = services._write_checked
    monkeypatch.setattr(services, "_write_checked", lambda *a: stale.append(1) or real(*a))

    with pytest.raises(ValidationError):
        import_commit(actor=admin, batch=batch)

    assert stale == [1]
    batch = ImportBatch.objects.get(pk=batch.pk)
    assert_nothing_written(batch, annual_period, before, FIRST + 1, "不存在或不在您的管辖范围内")
    assert "乙镇" not in batch.errors[0]["message"] and "王五" not in batch.errors[0]["message"]
