"""A scheme indicator without a column in the sheet is never silence (issue 13, point 1).

On a sheet where some cadre has no score stored for the indicator it is an error for the whole
sheet; where every cadre of the sheet has one (a re-upload), the preview lists the indicator
and committing needs the user's confirmation that those scores are kept: the page's checkbox,
the API's ``keep_missing=true``, the command's ``--keep-missing``. Columns that are read under
another spelling (民主测评得分) count as present; columns not read are listed as ignored."""

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from accounts.roles import Role
from assessment.models import Assessment, ImportBatch, ImportStatus, Indicator
from assessment.services import imports as services
from assessment.services.imports import NeedsConfirmation, import_commit
from audit.models import AuditEntry
from tests.assessment.test_import_api import upload
from tests.assessment.test_imports import CODES, make_sheet, scores, stored, validate
from tests.factories import CadreFactory

WITHOUT_MINZHU = [
    "序号",
    "姓名",
    "身份证号",
    "单位",
    "职务",
    "德",
    "能",
    "勤",
    "绩",
    "廉",
    "民主测评结果",
    "备注",
]


def sheet(cadres, value, *, header=None, minzhu=None):
    """A sheet of ``cadres`` all scored ``value``; ``header`` replaces the standard one (its
    民主测评 column, whatever its header, holds ``minzhu`` or ``value``)."""
    rows = [
        [i, c.name, c.id_number, "", "", *([value] * 5), value if minzhu is None else minzhu, ""]
        for i, c in enumerate(cadres, 1)
    ]
    return make_sheet(rows, **({"header": header} if header else {}))


@pytest.fixture
def admin(users):
    return users[Role.COUNTY_ADMIN]


@pytest.fixture
def other(tree):
    return CadreFactory(unit=tree["town_a"], name="王五")


@pytest.fixture
def imported(admin, annual_period, cadre_a, other):
    """张三 and 王五 imported once with every column: 80 everywhere."""
    import_commit(actor=admin, batch=validate(admin, annual_period, sheet([cadre_a, other], 80)))
    return annual_period


def header_with(minzhu_header: str) -> list[str]:
    return [*WITHOUT_MINZHU[:10], minzhu_header, "备注"]


@pytest.mark.parametrize("minzhu_header", ["民主测评得分", "民主测评（20分）", "民主 测评", "民主测评分数"])
def test_a_first_upload_reads_the_indicator_under_its_usual_spellings(
    admin, annual_period, cadre_a, minzhu_header
):
    batch = validate(admin, annual_period, sheet([cadre_a], 90, header=header_with(minzhu_header), minzhu=75))

    assert batch.status == ImportStatus.VALIDATED, batch.errors
    import_commit(actor=admin, batch=batch)
    assert stored(annual_period, cadre_a) == {**scores(90), "民主测评": 75}


def test_a_header_giving_the_indicators_name_is_read(admin, annual_period, cadre_a):
    header = [*WITHOUT_MINZHU[:9], "廉洁自律（10分）", "民主测评", "备注"]

    batch = validate(admin, annual_period, sheet([cadre_a], 90, header=header))

    assert batch.status == ImportStatus.VALIDATED, batch.errors
    import_commit(actor=admin, batch=batch)
    assert stored(annual_period, cadre_a)["廉"] == 90


def test_a_first_upload_without_an_indicators_column_is_an_error_for_the_whole_sheet(
    admin, annual_period, cadre_a, other
):
    batch = validate(admin, annual_period, sheet([cadre_a, other], 90, header=WITHOUT_MINZHU))

    assert batch.status == ImportStatus.INVALID
    [error] = batch.errors
    assert error["row"] is None
    assert error["message"].startswith(
        "表中没有“民主测评”列：考核方案有该指标，表中 2 位干部在系统中还没有该指标的得分"
    )
    assert "表中未能识别的列：“民主测评结果”" in error["message"]
    assert stored(annual_period, cadre_a) == {}
    assert not Assessment.objects.filter(period=annual_period, cadre=other).exists()
    with pytest.raises(ValidationError):  # an invalid batch is never committed
        import_commit(actor=admin, batch=batch, keep_missing=True)
    assert stored(annual_period, cadre_a) == {}


def test_one_cadre_without_a_stored_score_makes_a_missing_column_an_error(
    admin, imported, cadre_a, other, tree
):
    newcomer = CadreFactory(unit=tree["town_a"], name="赵六")

    batch = validate(admin, imported, sheet([cadre_a, other, newcomer], 90, header=WITHOUT_MINZHU))

    assert batch.status == ImportStatus.INVALID
    assert "表中 1 位干部在系统中还没有该指标的得分" in batch.errors[0]["message"]


def test_a_reupload_without_a_column_needs_confirmation_then_keeps_the_stored_scores(
    admin, imported, cadre_a, other
):
    batch = validate(admin, imported, sheet([cadre_a, other], 90, header=WITHOUT_MINZHU))

    assert batch.status == ImportStatus.VALIDATED and batch.errors == []
    assert batch.preview["kept"] == [{"code": "民主测评", "name": "民主测评（群众评价）"}]
    assert batch.preview["ignored"] == ["民主测评结果"]
    assert "表中没有“民主测评”列：确认导入时，这些指标保留系统中已有的得分" in batch.message

    with pytest.raises(NeedsConfirmation) as refused:
        import_commit(actor=admin, batch=batch)
    assert "“民主测评”" in refused.value.messages[0]
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.VALIDATED
    assert stored(imported, cadre_a) == scores(80)

    batch = import_commit(actor=admin, batch=batch, keep_missing=True)

    assert batch.status == ImportStatus.COMMITTED
    assert stored(imported, cadre_a) == {**scores(90), "民主测评": 80}
    assert stored(imported, other) == {**scores(90), "民主测评": 80}


def test_an_extra_column_is_listed_as_ignored_by_its_header(admin, annual_period, cadre_a):
    header = ["序号", "姓名", "身份证号", "单位", "职务", *CODES, "考核意见", "备注"]
    row = [1, cadre_a.name, cadre_a.id_number, "", "", *([90] * 6), "优秀", ""]

    batch = validate(admin, annual_period, make_sheet([row], header=header))

    assert batch.status == ImportStatus.VALIDATED
    assert batch.preview["ignored"] == ["考核意见"] and batch.preview["kept"] == []


# ---------------------------------------------------------------- every way in


def test_the_page_shows_the_missing_column_and_refuses_to_commit_without_the_checkbox(
    client, admin, imported, cadre_a, other
):
    client.force_login(admin)
    client.post(
        reverse("assessment:import_upload"),
        {
            "period": imported.pk,
            "file": SimpleUploadedFile("评分表.xlsx", sheet([cadre_a, other], 90, header=WITHOUT_MINZHU)),
        },
    )
    batch = ImportBatch.objects.latest("created_at")
    url = reverse("assessment:import_detail", args=[batch.pk])

    page = client.get(url).content.decode()
    assert "表中没有以下指标的列，确认导入时将保留系统中已有的得分" in page
    assert 'name="keep_missing"' in page and "未识别、已忽略的列：“民主测评结果”" in page

    page = client.post(reverse("assessment:import_commit", args=[batch.pk]), follow=True).content.decode()
    assert "请先确认：表中没有“民主测评”列" in page
    assert stored(imported, cadre_a) == scores(80)
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.VALIDATED

    client.post(reverse("assessment:import_commit", args=[batch.pk]), {"keep_missing": "1"})
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.COMMITTED
    assert stored(imported, cadre_a) == {**scores(90), "民主测评": 80}


def test_the_api_answers_400_naming_the_indicator_until_keep_missing_is_given(
    admin, imported, cadre_a, other
):
    data = sheet([cadre_a, other], 90, header=WITHOUT_MINZHU)

    response = upload(admin, imported, data)

    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "missing_columns" and "“民主测评”" in body["error"]["message"]
    assert "keep_missing=true" in body["error"]["message"]
    assert body["status"] == "validated"
    assert body["kept_indicators"] == [{"code": "民主测评", "name": "民主测评（群众评价）"}]
    assert body["ignored_columns"] == ["民主测评结果"]
    assert stored(imported, cadre_a) == scores(80)

    response = upload(admin, imported, data, keep_missing="true")

    assert response.status_code == 201 and response.json()["status"] == "committed"
    assert stored(imported, cadre_a) == {**scores(90), "民主测评": 80}


def test_the_api_refuses_a_first_upload_without_the_column_even_with_keep_missing(
    admin, annual_period, cadre_a
):
    response = upload(
        admin, annual_period, sheet([cadre_a], 90, header=WITHOUT_MINZHU), query="?keep_missing=true"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_sheet"
    assert "表中没有“民主测评”列" in response.json()["error"]["message"]
    assert stored(annual_period, cadre_a) == {}


def run(path, period, *extra):
    out, err = StringIO(), StringIO()
    try:
        call_command("import_sheet", str(path), "--period", str(period.pk), *extra, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_the_command_writes_a_sheet_without_a_column_only_with_keep_missing(
    admin, imported, cadre_a, other, tmp_path
):
    path = tmp_path / "评分表.xlsx"
    path.write_bytes(sheet([cadre_a, other], 90, header=WITHOUT_MINZHU))

    code, out, err = run(path, imported, "--user", admin.username)

    assert code == 1
    assert "表中没有“民主测评”列" in err and "--keep-missing" in err
    assert "未识别、已忽略的列：“民主测评结果”" in out
    assert stored(imported, cadre_a) == scores(80)

    code, out, err = run(path, imported, "--user", admin.username, "--keep-missing")

    assert code == 0, err
    assert stored(imported, cadre_a) == {**scores(90), "民主测评": 80}


@pytest.mark.parametrize("keep_missing", [False, True])
def test_a_large_sheet_committed_by_a_job_needs_the_confirmation_too(
    admin, imported, cadre_a, other, settings, django_capture_on_commit_callbacks, keep_missing
):
    settings.IMPORT_ASYNC_ROWS = 1
    data = sheet([cadre_a, other], 90, header=WITHOUT_MINZHU)

    with django_capture_on_commit_callbacks(execute=True):
        batch = services.import_start(
            actor=admin,
            period=imported,
            data=data,
            filename="大表.xlsx",
            commit=True,
            keep_missing=keep_missing,
        )
        assert batch.job is not None

    batch.refresh_from_db()
    if keep_missing:
        assert batch.status == ImportStatus.COMMITTED
        assert stored(imported, cadre_a) == {**scores(90), "民主测评": 80}
    else:
        assert batch.status == ImportStatus.VALIDATED
        assert "表中没有“民主测评”列" in batch.message
        assert stored(imported, cadre_a) == scores(80)


def test_the_pages_background_commit_is_refused_without_the_checkbox(
    client, admin, imported, cadre_a, other, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_ASYNC_ROWS = 1
    batch = validate(admin, imported, sheet([cadre_a, other], 90, header=WITHOUT_MINZHU))
    client.force_login(admin)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("assessment:import_commit", args=[batch.pk]))
    assert ImportBatch.objects.get(pk=batch.pk).job is None  # nothing queued
    assert stored(imported, cadre_a) == scores(80)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("assessment:import_commit", args=[batch.pk]), {"keep_missing": "on"})
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.COMMITTED
    assert stored(imported, cadre_a) == {**scores(90), "民主测评": 80}


# ---------------------------------------------------------------- the commit checks it again


@pytest.fixture
def new_indicator(imported):
    """Adds an indicator to the period's base scheme (as an administrator editing it after the
    preview would): no sheet made before has its column."""

    def add():
        base = Indicator.objects.filter(scheme__period=imported, scheme__category="").first()
        Indicator.objects.create(
            scheme=base.scheme, code="创新", name="创新创优", dimension=base.dimension, weight=5, order=99
        )

    return add


@pytest.mark.parametrize("path", ["stored plan", "plan lost"])
def test_an_indicator_added_to_the_scheme_after_the_preview_stops_the_commit(
    admin, imported, cadre_a, other, new_indicator, path
):
    batch = validate(admin, imported, sheet([cadre_a, other], 90))
    assert batch.status == ImportStatus.VALIDATED
    new_indicator()
    if path == "plan lost":
        batch.plan.storage.delete(batch.plan.name)

    with pytest.raises(ValidationError):
        import_commit(actor=admin, batch=batch)

    batch.refresh_from_db()
    assert batch.status == ImportStatus.INVALID
    assert any("“创新”" in e["message"] for e in batch.errors)
    assert stored(imported, cadre_a) == scores(80) and stored(imported, other) == scores(80)
    assert not AuditEntry.objects.filter(batch=f"import:{batch.pk}").exists()


def test_a_confirmed_column_whose_stored_score_was_removed_after_the_preview_stops_the_commit(
    admin, imported, cadre_a, other
):
    batch = validate(admin, imported, sheet([cadre_a, other], 90, header=WITHOUT_MINZHU))
    Assessment.objects.filter(period=imported, cadre=other).update(scores=scores(80) | {"民主测评": None})

    with pytest.raises(ValidationError):
        import_commit(actor=admin, batch=batch, keep_missing=True)

    batch.refresh_from_db()
    assert batch.status == ImportStatus.INVALID
    assert [e["row"] for e in batch.errors] == [4]
    assert "表中没有“民主测评”列，而该干部在系统中还没有该指标的得分" in batch.errors[0]["message"]
    assert stored(imported, cadre_a) == scores(80)
