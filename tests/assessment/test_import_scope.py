"""An import never tells what lies outside the uploader's scope (issue 13, point 4).

A row naming a cadre of another county reads exactly like a row with an unknown ID number,
with a right or a wrong name, in every place the uploader can read: the batch's errors and
message, the page, the annotated sheet, the API answer and the command's output; and so does
the commit's check of a cadre that left the scope after the preview."""

from io import BytesIO, StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from assessment.models import Assessment, ImportBatch, ImportStatus
from assessment.services.imports import import_commit
from cadres.models import Cadre
from tests.assessment.test_import_api import upload
from tests.assessment.test_imports import FIRST, make_sheet, scores, validate
from tests.factories import CadreFactory

# What must not appear anywhere: 李四's name, a wrong name's correction, his unit and county.
SECRETS = ("李四", "乙镇", "乙县")


@pytest.fixture
def admin(users):
    """甲县's admin; 李四 (cadre_b) is in 乙县."""
    return users[Role.COUNTY_ADMIN]


@pytest.fixture
def stranger():
    """A valid ID number nobody in the registry has."""
    return CadreFactory.build(name="周七")


def error_of(batch) -> dict:
    [error] = [e for e in batch.errors if e["row"] == FIRST + 1]
    return error


@pytest.mark.parametrize("name", ["李四", "李肆", ""], ids=["right name", "wrong name", "no name"])
def test_a_cadre_of_another_county_reads_exactly_like_an_unknown_id_number(
    admin, annual_period, cadre_a, cadre_b, stranger, name
):
    outside = validate(
        admin, annual_period, make_sheet([(cadre_a, scores(90)), ((name, cadre_b.id_number), scores(80))])
    )
    unknown = validate(
        admin, annual_period, make_sheet([(cadre_a, scores(90)), ((name, stranger.id_number), scores(80))])
    )

    shown = error_of(outside)
    assert shown == {
        **error_of(unknown),
        "message": error_of(unknown)["message"].replace(stranger.id_number, cadre_b.id_number),
    }
    assert shown["message"] == f"身份证号 {cadre_b.id_number} 对应的干部不存在或不在您的管辖范围内。"
    assert shown["column"] == "身份证号"
    assert outside.message == unknown.message
    assert (outside.rows_ok, outside.status) == (unknown.rows_ok, unknown.status)
    text = str(outside.errors) + outside.message + str(outside.preview)
    assert not any(secret in text for secret in SECRETS)


def test_the_page_and_the_annotated_sheet_name_nobody_outside_the_scope(
    client, admin, annual_period, cadre_a, cadre_b
):
    client.force_login(admin)
    data = make_sheet([(cadre_a, scores(90)), (("李肆", cadre_b.id_number), scores(80))])
    client.post(
        reverse("assessment:import_upload"),
        {"period": annual_period.pk, "file": SimpleUploadedFile("评分表.xlsx", data)},
    )
    batch = ImportBatch.objects.get()

    page = client.get(reverse("assessment:import_detail", args=[batch.pk])).content.decode()
    assert "对应的干部不存在或不在您的管辖范围内" in page
    assert not any(secret in page for secret in SECRETS)

    response = client.get(reverse("assessment:import_annotated", args=[batch.pk]))
    wb = load_workbook(BytesIO(response.content))
    cells = [
        str(v)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        for v in (cell.value, cell.comment.text if cell.comment else None)
        if v is not None
    ]
    assert any("对应的干部不存在或不在您的管辖范围内" in c for c in cells)
    assert not any(secret in c for c in cells for secret in SECRETS)  # (李肆 is the sheet's own text)


def test_the_api_answer_names_nobody_outside_the_scope(admin, annual_period, cadre_a, cadre_b):
    response = upload(
        admin, annual_period, make_sheet([(cadre_a, scores(90)), (("李肆", cadre_b.id_number), scores(80))])
    )

    assert response.status_code == 400
    text = response.content.decode()
    assert "对应的干部不存在或不在您的管辖范围内" in text
    assert not any(secret in text for secret in SECRETS)


def test_the_command_output_names_nobody_outside_the_scope(admin, annual_period, cadre_a, cadre_b, tmp_path):
    path = tmp_path / "评分表.xlsx"
    path.write_bytes(make_sheet([(cadre_a, scores(90)), (("李肆", cadre_b.id_number), scores(80))]))
    out, err = StringIO(), StringIO()

    with pytest.raises(SystemExit):
        call_command(
            "import_sheet",
            str(path),
            "--period",
            str(annual_period.pk),
            "--user",
            admin.username,
            stdout=out,
            stderr=err,
        )

    text = out.getvalue() + err.getvalue()
    assert "对应的干部不存在或不在您的管辖范围内" in text
    assert not any(secret in text for secret in SECRETS)


def test_a_cadre_moved_out_of_scope_and_renamed_after_the_preview_is_not_named_by_the_commit(
    admin, annual_period, cadre_a, tree
):
    other = CadreFactory(unit=tree["town_a"], name="王五")
    batch = validate(admin, annual_period, make_sheet([(cadre_a, scores(90)), (other, scores(80))]))
    Cadre.objects.filter(pk=other.pk).update(unit=tree["town_b"], name="王伍")

    with pytest.raises(ValidationError):
        import_commit(actor=admin, batch=batch)

    batch = ImportBatch.objects.get(pk=batch.pk)
    assert batch.status == ImportStatus.INVALID
    assert batch.errors[0]["row"] == FIRST + 1
    assert batch.errors[0]["message"] == f"身份证号 {other.id_number} 对应的干部不存在或不在您的管辖范围内。"
    assert "王伍" not in str(batch.errors) and "乙镇" not in str(batch.errors)
    assert not Assessment.objects.filter(period=annual_period, cadre=other).exists()
