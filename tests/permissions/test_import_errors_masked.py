"""Found by the permission matrix: every role reads the import batches of its scope through the
API (``imports/``), though only importers open them as pages. A batch's errors name the ID
numbers the sheet gave (身份证号 … 对应的干部不存在或不在您的管辖范围内), so the roles that may not
see ID numbers must get them masked there too, as everywhere else."""

import pytest

from accounts.roles import Role
from assessment.models import ImportBatch, ImportStatus
from assessment.services.scores import unknown_id
from cadres.idnumber import mask
from tests.scope.conftest import token_client


@pytest.fixture
def batch_naming_a_cadre(matrix_world):
    w = matrix_world
    # a cadre of the other county, typed into 甲一镇's sheet: an unknown ID for the uploader
    number = w.cadres["town_b1"].id_number
    batch = ImportBatch.objects.create(
        period=w.period,
        unit=w.units["town_a1"],
        scope_path=w.units["town_a1"].path,
        uploaded_by=w.users["town_county_admin"],
        original_name="甲一镇评分表.xlsx",
        status=ImportStatus.INVALID,
        errors=[{"row": 4, "column": "身份证号", "message": unknown_id(number)}],
    )
    return w, batch, number


@pytest.mark.parametrize("role", [Role.API_READER, Role.AUDITOR])
def test_a_batch_read_by_a_role_that_may_not_see_id_numbers_masks_them(batch_naming_a_cadre, role):
    w, batch, number = batch_naming_a_cadre
    client = token_client(w.users[f"county_{role}"])
    for path in (f"/api/v1/imports/{batch.pk}/", "/api/v1/imports/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert number not in response.content.decode(), path
    errors = client.get(f"/api/v1/imports/{batch.pk}/").json()["errors"]
    assert errors == [{"row": 4, "column": "身份证号", "message": unknown_id(mask(number))}]


@pytest.mark.parametrize("role", [Role.STAFF, Role.COUNTY_ADMIN])
def test_an_importer_reads_the_number_the_sheet_gave(batch_naming_a_cadre, role):
    w, batch, number = batch_naming_a_cadre
    errors = token_client(w.users[f"county_{role}"]).get(f"/api/v1/imports/{batch.pk}/").json()["errors"]
    assert errors[0]["message"] == unknown_id(number)
