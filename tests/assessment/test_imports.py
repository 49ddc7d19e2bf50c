"""The Excel import service: validate, preview, commit (``assessment/services/imports.py``)."""

from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from openpyxl import Workbook

from accounts.roles import Role
from assessment.models import Assessment, ImportBatch, ImportStatus, PeriodStatus
from assessment.services import imports as services
from assessment.services.imports import import_commit, import_validate
from audit.models import AuditEntry
from cadres import idnumber
from cadres.models import UnitKind
from tests.factories import CadreFactory, unit_child

CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]
HEADER = ["序号", "姓名", "身份证号", "单位", "职务", *CODES, "备注"]


def make_sheet(rows, *, header=HEADER, title="甲县2025年度乡科级领导干部考核量化评分表") -> bytes:
    """An .xlsx as a county fills it: a title row, the header, then one row per cadre.
    A row is (cadre or (name, id_number), {code: value}) or a full list of cell values."""
    wb = Workbook()
    ws = wb.active
    ws.title = "评分表"
    if title:
        ws.append([title])
    ws.append(header)
    for i, row in enumerate(rows, start=1):
        if isinstance(row, list):
            ws.append(row)
            continue
        who, scores = row
        name, id_number = (who.name, who.id_number) if hasattr(who, "id_number") else who
        ws.append([i, name, id_number, "", "", *(scores.get(c) for c in CODES), ""])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def scores(value) -> dict:
    return dict.fromkeys(CODES, value)


# Rows of a sheet made by make_sheet with a title start at Excel row 3.
FIRST = 3


@pytest.fixture
def admin(users):
    """The county admin of 甲县 (张三's county; 李四 is in 乙县)."""
    return users[Role.COUNTY_ADMIN]


def validate(actor, period, data, unit=None, name="评分表.xlsx"):
    return import_validate(actor=actor, period=period, unit=unit, data=data, filename=name)


def stored(period, cadre) -> dict:
    return Assessment.objects.get(period=period, cadre=cadre).scores


def test_preview_shows_new_values_and_writes_nothing(admin, annual_period, cadre_a):
    batch = validate(admin, annual_period, make_sheet([(cadre_a, scores(90))]))

    assert batch.status == ImportStatus.VALIDATED
    assert (batch.rows_total, batch.rows_ok, batch.rows_new, batch.rows_changed) == (1, 1, 1, 0)
    row = batch.preview["rows"][0]
    assert row["row"] == FIRST and row["name"] == "张三" and row["kind"] == "new"
    assert {c["column"]: (c["old"], c["new"]) for c in row["changes"]}["德"] == ("", "90")
    assert stored(annual_period, cadre_a) == {}
    assert not AuditEntry.objects.filter(batch__startswith="import:").exists()


def test_commit_writes_scores_with_the_batch_in_the_audit_trail(admin, annual_period, cadre_a):
    batch = validate(admin, annual_period, make_sheet([(cadre_a, scores(90))]))

    batch = import_commit(actor=admin, batch=batch)

    assert batch.status == ImportStatus.COMMITTED
    assert batch.audit_batch == f"import:{batch.pk}"
    assert stored(annual_period, cadre_a) == scores(90)
    entry = AuditEntry.objects.get(batch=f"import:{batch.pk}")
    assert entry.cadre_id == cadre_a.pk


def test_same_sheet_twice_changes_nothing_and_says_so(admin, annual_period, cadre_a):
    data = make_sheet([(cadre_a, scores(90))])
    import_commit(actor=admin, batch=validate(admin, annual_period, data))
    audits = AuditEntry.objects.count()

    again = validate(admin, annual_period, data)
    assert again.status == ImportStatus.VALIDATED
    assert (again.rows_unchanged, again.rows_new, again.rows_changed) == (1, 0, 0)
    assert "没有需要更新的数据" in again.message
    again = import_commit(actor=admin, batch=again)

    assert again.status == ImportStatus.COMMITTED
    assert "没有需要更新的数据" in again.message
    assert again.audit_batch == ""
    assert AuditEntry.objects.count() == audits


def test_changed_sheet_updates_only_what_changed(admin, annual_period, cadre_a, tree):
    other = CadreFactory(unit=tree["town_a"], name="王五")
    import_commit(
        actor=admin,
        batch=validate(admin, annual_period, make_sheet([(cadre_a, scores(90)), (other, scores(80))])),
    )
    changed = {**scores(90), "德": 95}

    batch = validate(admin, annual_period, make_sheet([(cadre_a, changed), (other, scores(80))]))

    assert (batch.rows_changed, batch.rows_unchanged) == (1, 1)
    assert batch.preview["rows"][0]["changes"] == [{"code": "德", "column": "德", "old": "90", "new": "95"}]
    batch = import_commit(actor=admin, batch=batch)
    entries = AuditEntry.objects.filter(batch=f"import:{batch.pk}")
    assert [e.cadre_id for e in entries] == [cadre_a.pk]
    old, new = entries[0].changes["scores"]
    assert (old["德"], new["德"]) == (90, 95)
    assert entries[0].reason == "Excel导入"
    assert stored(annual_period, cadre_a) == changed


def test_blank_cells_leave_stored_scores_alone(admin, annual_period, cadre_a):
    import_commit(actor=admin, batch=validate(admin, annual_period, make_sheet([(cadre_a, scores(90))])))

    batch = validate(admin, annual_period, make_sheet([(cadre_a, {"德": 70})]))
    import_commit(actor=admin, batch=batch)

    assert stored(annual_period, cadre_a) == {**scores(90), "德": 70}


def test_cadre_outside_the_county_is_an_error_naming_the_row(admin, annual_period, cadre_a, cadre_b):
    batch = validate(admin, annual_period, make_sheet([(cadre_a, scores(90)), (cadre_b, scores(80))]))

    assert batch.status == ImportStatus.INVALID
    [error] = batch.errors
    assert error["row"] == FIRST + 1 and error["column"] == "身份证号"
    assert "不在您的管辖范围内" in error["message"]
    with pytest.raises(ValidationError):
        import_commit(actor=admin, batch=batch)
    assert stored(annual_period, cadre_a) == {}


def test_cadre_outside_the_chosen_unit_is_an_error(users, annual_period, cadre_a, cadre_b, tree):
    batch = validate(
        users["city_staff"], annual_period, make_sheet([(cadre_b, scores(80))]), unit=tree["town_a"]
    )

    assert "不属于所选单位“甲镇”" in batch.errors[0]["message"]


def test_name_not_matching_the_id_number_is_an_error(admin, annual_period, cadre_a):
    batch = validate(admin, annual_period, make_sheet([(("张叁", cadre_a.id_number), scores(90))]))

    assert batch.errors[0]["column"] == "姓名"
    assert batch.errors[0]["message"] == "姓名与身份证号登记的姓名不一致（系统中为 张三）。"


def test_id_number_excel_turned_into_a_number_is_rejected_never_matched(admin, annual_period, cadre_a):
    mangled = float(f"{int(cadre_a.id_number[:17]) * 10:.5e}")  # what Excel keeps: 3.20102E+17
    row = [1, "张三", mangled, "", "", *([90] * len(CODES)), ""]

    batch = validate(admin, annual_period, make_sheet([row]))

    assert batch.status == ImportStatus.INVALID
    assert batch.errors[0]["row"] == FIRST and batch.errors[0]["column"] == "身份证号"
    assert batch.rows_ok == 0 and batch.preview["rows"] == []
    assert stored(annual_period, cadre_a) == {}


def test_unknown_id_number_is_an_error(admin, annual_period, cadre_a):
    stranger = CadreFactory.build()
    batch = validate(admin, annual_period, make_sheet([((stranger.name, stranger.id_number), scores(90))]))

    assert (
        batch.errors[0]["message"] == f"身份证号 {stranger.id_number} 对应的干部不存在或不在您的管辖范围内。"
    )


def test_score_out_of_range_names_the_column(admin, annual_period, cadre_a):
    batch = validate(admin, annual_period, make_sheet([(cadre_a, {**scores(90), "廉": 101})]))

    [error] = batch.errors
    assert (error["row"], error["column"]) == (FIRST, "廉")
    assert "超出范围（0–100）" in error["message"]


def test_duplicate_rows_for_one_cadre_name_both_rows(admin, annual_period, cadre_a):
    batch = validate(admin, annual_period, make_sheet([(cadre_a, scores(90)), (cadre_a, scores(80))]))

    assert sorted(e["row"] for e in batch.errors) == [FIRST, FIRST + 1]


def test_period_not_open_for_scores_is_a_whole_batch_error(admin, quarter_period, cadre_a):
    assert quarter_period.status == PeriodStatus.DRAFT
    header = ["序号", "姓名", "身份证号", "单位", "季度", "等次", "得分", "备注"]
    data = make_sheet([[1, "张三", cadre_a.id_number, "", "第一季度", "", 90, ""]], header=header)

    batch = validate(admin, quarter_period, data)

    assert batch.status == ImportStatus.INVALID
    assert batch.errors[0]["row"] is None and "尚未开启采集评分" in batch.errors[0]["message"]


def test_hostile_file_is_refused_and_recorded(admin, annual_period):
    with pytest.raises(services.ImportRejected) as caught:
        validate(admin, annual_period, b"this is not a spreadsheet at all", name="x.xlsx")

    assert 400 <= caught.value.status < 500
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.INVALID and batch.errors[0]["message"] == caught.value.message


def test_database_error_mid_commit_leaves_nothing(admin, annual_period, cadre_a, tree, monkeypatch):
    other = CadreFactory(unit=tree["town_a"], name="王五")
    batch = validate(admin, annual_period, make_sheet([(cadre_a, scores(90)), (other, scores(80))]))

    def boom(**kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr("assessment.services.scores.audit_rows_bulk", boom)
    with pytest.raises(DatabaseError):
        import_commit(actor=admin, batch=batch)

    assert stored(annual_period, cadre_a) == {}
    assert not Assessment.objects.filter(cadre=other).exists()
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.FAILED


def test_commit_rechecks_the_database(admin, annual_period, cadre_a):
    """A cadre renamed between the preview and the commit: the commit refuses, nothing written."""
    batch = validate(admin, annual_period, make_sheet([(cadre_a, scores(90))]))
    type(cadre_a).objects.filter(pk=cadre_a.pk).update(name="张叁")

    with pytest.raises(ValidationError):
        import_commit(actor=admin, batch=batch)

    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.INVALID
    assert stored(annual_period, cadre_a) == {}


def test_commit_uses_the_validated_rows_without_reading_the_sheet_again(
    admin, annual_period, cadre_a, monkeypatch
):
    batch = validate(admin, annual_period, make_sheet([(cadre_a, scores(90))]))
    assert batch.plan  # the checked rows, kept beside the upload

    def no_reread(*args, **kwargs):
        raise AssertionError("the commit parsed the sheet again")

    monkeypatch.setattr(services, "read_batch_file", no_reread)
    batch = import_commit(actor=admin, batch=batch)

    assert batch.status == ImportStatus.COMMITTED
    assert stored(annual_period, cadre_a) == scores(90)
    assert not batch.plan  # no longer needed once committed
    assert not ImportBatch.objects.filter(pk=batch.pk).exclude(plan="").exists()


def test_a_lost_plan_means_the_sheet_is_checked_again(admin, annual_period, cadre_a):
    batch = validate(admin, annual_period, make_sheet([(cadre_a, scores(90))]))
    batch.plan.storage.delete(batch.plan.name)

    batch = import_commit(actor=admin, batch=batch)

    assert batch.status == ImportStatus.COMMITTED
    assert stored(annual_period, cadre_a) == scores(90)


def test_an_id_number_corrected_after_the_preview_stops_the_commit(admin, annual_period, cadre_a):
    batch = validate(admin, annual_period, make_sheet([(cadre_a, scores(90))]))
    corrected = "110101199003077777"  # a write that, like save(), keeps the number's keyed hash with it
    type(cadre_a).objects.filter(pk=cadre_a.pk).update(
        id_number=corrected, id_number_hash=idnumber.digest(corrected)
    )

    with pytest.raises(ValidationError):
        import_commit(actor=admin, batch=batch)

    batch.refresh_from_db()
    assert batch.status == ImportStatus.INVALID
    assert batch.errors[0]["row"] == FIRST and "身份证号在预览后已被修改" in batch.errors[0]["message"]
    assert stored(annual_period, cadre_a) == {}


def test_a_cadre_moved_out_of_the_chosen_unit_after_the_preview_stops_the_commit(
    users, annual_period, cadre_a, tree
):
    staff = users[Role.STAFF]
    batch = validate(staff, annual_period, make_sheet([(cadre_a, scores(90))]), unit=tree["town_a"])
    other_town = unit_child(tree["county_a"], "C01A02", "丙镇", UnitKind.TOWNSHIP)
    Assessment.objects.filter(period=annual_period, cadre=cadre_a).update(unit=other_town)

    with pytest.raises(ValidationError):
        import_commit(actor=staff, batch=batch)

    batch.refresh_from_db()
    assert "不属于所选单位“甲镇”" in batch.errors[0]["message"]
    assert stored(annual_period, cadre_a) == {}


def test_the_commit_writes_what_the_sheet_says_even_if_scores_changed_after_the_preview(
    admin, annual_period, cadre_a, tree
):
    """A value that was already equal at preview time but edited in the grid before the
    commit: the sheet wins, and the message says the result differs from the preview."""
    other = CadreFactory(unit=tree["town_a"], name="王五")
    import_commit(actor=admin, batch=validate(admin, annual_period, make_sheet([(cadre_a, scores(90))])))
    batch = validate(admin, annual_period, make_sheet([(cadre_a, scores(90)), (other, scores(80))]))
    assert (batch.rows_unchanged, batch.rows_new) == (1, 1)
    from assessment.services.scores import scores_save

    scores_save(actor=admin, period=annual_period, entries=[{"cadre": cadre_a, "scores": {"德": 70}}])

    batch = import_commit(actor=admin, batch=batch)

    assert stored(annual_period, cadre_a) == scores(90)
    assert stored(annual_period, other) == scores(80)
    assert "2 行得分有变化" in batch.message and "预览之后" in batch.message
    entry = AuditEntry.objects.get(batch=f"import:{batch.pk}", cadre_id=cadre_a.pk)
    assert entry.changes["scores"][0]["德"] == 70 and entry.changes["scores"][1]["德"] == 90


def test_validation_reads_each_table_once(admin, annual_period, tree, django_assert_max_num_queries):
    cadres = [CadreFactory(unit=tree["town_a"]) for _ in range(30)]
    data = make_sheet([(c, scores(80)) for c in cadres])
    few = make_sheet([(c, scores(80)) for c in cadres[:2]])
    validate(admin, annual_period, few)  # warm caches (content types, area codes)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as many_q:
        validate(admin, annual_period, data)
    with CaptureQueriesContext(connection) as few_q:
        validate(admin, annual_period, few)
    # the same queries for 30 rows as for 2: none per row
    assert len(many_q.captured_queries) == len(few_q.captured_queries)


def test_large_sheet_goes_through_a_job_with_progress(
    admin, annual_period, tree, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_ASYNC_ROWS = 3
    cadres = [CadreFactory(unit=tree["town_a"]) for _ in range(5)]
    data = make_sheet([(c, scores(85)) for c in cadres])

    with django_capture_on_commit_callbacks(execute=True):
        batch = services.import_start(
            actor=admin, period=annual_period, data=data, filename="大表.xlsx", commit=True
        )
        assert batch.status == ImportStatus.PENDING and batch.job is not None

    batch.refresh_from_db()
    assert batch.status == ImportStatus.COMMITTED
    assert batch.job.state == "done" and batch.job.total == 5 and batch.job.done == 5
    assert all(stored(annual_period, c) == scores(85) for c in cadres)


# ---------------------------------------------------------------- quarterly sheets

Q_HEADER = ["序号", "姓名", "身份证号", "单位", "季度", "等次", "得分", "备注"]


@pytest.fixture
def open_quarter(quarter_period, users):
    from assessment.services.periods import period_transition

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


def test_a_quarterly_grade_that_the_score_earns_is_accepted(admin, open_quarter, cadre_a, tree):
    other = CadreFactory(unit=tree["town_a"], name="王五")
    batch = validate(admin, open_quarter, quarter_sheet((cadre_a, "好", 92), (other, "一般", 65)))

    assert batch.status == ImportStatus.VALIDATED, batch.errors
    import_commit(actor=admin, batch=batch)
    assert stored(open_quarter, cadre_a) == {"得分": 92}


def test_a_quarterly_grade_the_score_does_not_earn_is_an_error_on_that_cell(admin, open_quarter, cadre_a):
    batch = validate(admin, open_quarter, quarter_sheet((cadre_a, "好", 72)))

    assert batch.status == ImportStatus.INVALID
    (error,) = batch.errors
    assert (error["row"], error["column"], error["col"]) == (FIRST, "等次", 5)
    assert "等次“好”与得分不符：得分 72，按本单位季度分数线应为“一般”" in error["message"]


def test_the_quarterly_grade_check_follows_the_units_own_thresholds(
    users, admin, open_quarter, cadre_a, tree
):
    from assessment.services.policy import policy_rule_save

    policy_rule_save(
        actor=users["city_staff"],
        unit=tree["county_a"],
        kind="quarter_thresholds",
        key="",
        params={"good_min": 70, "fair_min": 65, "average_min": 50},
    )
    batch = validate(admin, open_quarter, quarter_sheet((cadre_a, "好", 72)))

    assert batch.status == ImportStatus.VALIDATED, batch.errors


def test_a_registered_name_with_a_space_imports_from_the_systems_own_template(admin, annual_period, tree):
    """阿依 古丽 is registered with a space; the parser drops spaces (sheets pad two-character
    names): the two must still be the same name, in the preview and again at commit."""
    from openpyxl import load_workbook

    from assessment.services.imports import template_build

    uyghur = CadreFactory(unit=tree["town_a"], name="阿依 古丽")
    Assessment.objects.create(period=annual_period, cadre=uyghur, unit=tree["town_a"])
    wb = load_workbook(BytesIO(template_build(user=admin, period=annual_period, unit=tree["town_a"])))
    ws = wb.active
    header = [c.value for c in ws[2]]
    for row in ws.iter_rows(min_row=3):
        if row[header.index("姓名")].value == "阿依 古丽":
            for code in CODES:
                row[header.index(code)].value = 88
    out = BytesIO()
    wb.save(out)

    batch = validate(admin, annual_period, out.getvalue())
    assert batch.status == ImportStatus.VALIDATED, batch.errors
    import_commit(actor=admin, batch=batch)
    assert stored(annual_period, uyghur) == scores(88)


@pytest.mark.parametrize("typed", ["阿依古丽", "阿依  古丽", "阿依　古丽"])
def test_spaces_never_count_when_a_sheet_name_is_compared_with_the_registered_one(
    admin, annual_period, tree, typed
):
    uyghur = CadreFactory(unit=tree["town_a"], name="阿依 古丽")
    batch = validate(admin, annual_period, make_sheet([((typed, uyghur.id_number), scores(80))]))
    assert batch.status == ImportStatus.VALIDATED, batch.errors


def test_a_name_differing_by_more_than_spaces_is_still_an_error(admin, annual_period, tree):
    uyghur = CadreFactory(unit=tree["town_a"], name="阿依 古丽")
    batch = validate(admin, annual_period, make_sheet([(("阿依古", uyghur.id_number), scores(80))]))
    assert batch.errors[0]["message"] == "姓名与身份证号登记的姓名不一致（系统中为 阿依 古丽）。"


def test_the_same_sheet_committed_twice_at_once_writes_once_and_the_second_says_nothing_was_left(
    admin, annual_period, cadre_a, tree
):
    """Two uploads of one sheet, both previewed before either commits (two tabs, two
    clients): the first writes, the second finds the scores already there."""
    other = CadreFactory(unit=tree["town_a"], name="王五")
    data = make_sheet([(cadre_a, scores(91)), (other, scores(92))])
    first, second = validate(admin, annual_period, data), validate(admin, annual_period, data)
    assert (second.rows_new + second.rows_changed, second.rows_unchanged) == (2, 0)

    first = import_commit(actor=admin, batch=first)
    entries = AuditEntry.objects.count()
    second = import_commit(actor=admin, batch=second)

    assert first.rows_new + first.rows_changed == 2
    assert second.status == ImportStatus.COMMITTED
    assert (second.rows_new, second.rows_changed, second.rows_unchanged) == (0, 0, 2)
    assert second.message == services.OVERTAKEN.format(n=2)
    assert AuditEntry.objects.count() == entries and not second.audit_batch
    second.refresh_from_db()
    assert (second.rows_new, second.rows_changed, second.rows_unchanged) == (0, 0, 2)


def test_one_batch_committed_by_two_requests_answers_the_second_that_nothing_was_written(
    admin, annual_period, cadre_a
):
    batch = validate(admin, annual_period, make_sheet([(cadre_a, scores(93))]))
    stale = ImportBatch.objects.get(pk=batch.pk)  # what the second request read before the first committed
    import_commit(actor=admin, batch=batch)
    entries = AuditEntry.objects.count()
    again = import_commit(actor=admin, batch=stale)
    assert again.already_committed and again.status == ImportStatus.COMMITTED
    assert AuditEntry.objects.count() == entries


def test_the_commit_page_tells_a_second_submission_that_nothing_was_written(
    client, admin, annual_period, cadre_a, monkeypatch
):
    from django.urls import reverse

    batch = validate(admin, annual_period, make_sheet([(cadre_a, scores(94))]))
    client.force_login(admin)
    real = services.import_commit

    def racing(*, actor, batch, **kw):  # the other request commits first, while this one waits
        real(actor=actor, batch=ImportBatch.objects.get(pk=batch.pk), **kw)
        return real(actor=actor, batch=batch, **kw)

    monkeypatch.setattr(services, "import_commit", racing)
    page = client.post(reverse("assessment:import_commit", args=[batch.pk]), follow=True).content.decode()
    assert services.ALREADY_COMMITTED in page
