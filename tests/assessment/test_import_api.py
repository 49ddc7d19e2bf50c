"""``imports/``, ``imports/{id}/`` and ``periods/{id}/template.xlsx`` of the public API."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook
from rest_framework.test import APIClient

from accounts.roles import Role
from assessment.models import Assessment, ImportBatch
from assessment.services.imports import import_validate
from audit.models import AuditEntry
from tests.assessment.test_imports import FIRST, make_sheet, scores

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def upload(user, period, data, *, name="评分表.xlsx", query="", **extra):
    body = {"file": SimpleUploadedFile(name, data), "period": period.pk, **extra}
    return api(user).post(f"/api/v1/imports/{query}", body, format="multipart")


@pytest.fixture
def admin(users):
    return users[Role.COUNTY_ADMIN]


def test_a_clean_sheet_is_committed_at_once(admin, annual_period, cadre_a):
    response = upload(admin, annual_period, make_sheet([(cadre_a, scores(88))]))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "committed" and body["rows_total"] == 1 and body["rows_ok"] == 1
    assert body["errors"] == []
    assert Assessment.objects.get(period=annual_period, cadre=cadre_a).scores == scores(88)


def test_commit_false_validates_only(admin, annual_period, cadre_a):
    response = upload(admin, annual_period, make_sheet([(cadre_a, scores(88))]), query="?commit=false")

    assert response.status_code == 201
    assert response.json()["status"] == "validated"
    assert Assessment.objects.get(period=annual_period, cadre=cadre_a).scores == {}


def test_a_sheet_with_errors_is_400_with_row_errors_and_writes_nothing(
    admin, annual_period, cadre_a, cadre_b
):
    data = make_sheet([(cadre_a, scores(88)), (cadre_b, scores(70))])

    response = upload(admin, annual_period, data)

    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "invalid"
    assert body["errors"][0]["row"] == FIRST + 1 and body["errors"][0]["column"] == "身份证号"
    assert "不在您的管辖范围内" in body["error"]["message"]
    assert Assessment.objects.get(period=annual_period, cadre=cadre_a).scores == {}
    assert not AuditEntry.objects.filter(batch__startswith="import:").exists()


def test_not_a_spreadsheet_is_a_4xx_with_a_chinese_message(admin, annual_period):
    response = upload(admin, annual_period, b"%PDF-1.4 not a sheet", name="评分表.xlsx")

    assert 400 <= response.status_code < 500
    body = response.json()
    assert body["status"] == "invalid" and not body["error"]["message"].isascii()


def test_too_large_upload_is_413(admin, annual_period, settings):
    settings.IMPORT_MAX_BYTES = 1000

    response = upload(admin, annual_period, b"x" * 2000, name="big.xlsx")

    assert response.status_code == 413
    assert "文件过大" in response.json()["error"]["message"]
    assert not ImportBatch.objects.exists()


def test_a_role_without_import_sheets_gets_403(users, annual_period, cadre_a):
    response = upload(users[Role.AUDITOR], annual_period, make_sheet([(cadre_a, scores(88))]))

    assert response.status_code == 403


def test_unit_outside_scope_is_refused(admin, annual_period, cadre_b, tree):
    response = upload(admin, annual_period, make_sheet([(cadre_b, scores(88))]), unit=tree["town_b"].pk)

    assert response.status_code == 400
    assert "unit" in response.json()["error"]["fields"]


def test_detail_shows_status_and_errors(admin, annual_period, cadre_b):
    batch = import_validate(
        actor=admin, period=annual_period, data=make_sheet([(cadre_b, scores(70))]), filename="x.xlsx"
    )

    body = api(admin).get(f"/api/v1/imports/{batch.pk}/").json()

    assert body["status"] == "invalid" and body["errors"][0]["row"] == FIRST


def test_other_county_cannot_see_the_batch(users, annual_period, cadre_a, tree):
    from tests.factories import make_user

    batch = import_validate(
        actor=users[Role.COUNTY_ADMIN],
        period=annual_period,
        data=make_sheet([(cadre_a, scores(70))]),
        filename="x.xlsx",
    )
    other = make_user("admin_b", Role.COUNTY_ADMIN, tree["county_b"])

    assert api(other).get(f"/api/v1/imports/{batch.pk}/").status_code == 404
    assert api(other).get("/api/v1/imports/").json()["count"] == 0


def test_list_reads_a_fixed_number_of_queries(admin, annual_period, cadre_a, django_assert_num_queries):
    for _ in range(5):
        import_validate(
            actor=admin, period=annual_period, data=make_sheet([(cadre_a, scores(70))]), filename="x.xlsx"
        )
    client = api(admin)

    # count; the page of batches with uploader and job joined
    with django_assert_num_queries(2):
        response = client.get("/api/v1/imports/")

    assert response.json()["count"] == 5


def test_template_download_is_prefilled_with_the_units_cadres(admin, annual_period, cadre_a, tree):
    response = api(admin).get(f"/api/v1/periods/{annual_period.pk}/template.xlsx?unit={tree['town_a'].pk}")

    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == XLSX
    wb = load_workbook(BytesIO(response.content))
    values = [c for row in wb.active.iter_rows(values_only=True) for c in row if c]
    assert cadre_a.id_number in values and "张三" in values


def test_template_of_a_unit_outside_scope_is_404(admin, annual_period, tree):
    response = api(admin).get(f"/api/v1/periods/{annual_period.pk}/template.xlsx?unit={tree['town_b'].pk}")

    assert response.status_code == 404
