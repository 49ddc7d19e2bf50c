"""A county admin's whole sheet journey in Chromium: log in, download the template for the
county's town, fill it in Excel's place (openpyxl), upload it with one bad score, read the row's
error, fix it, upload again, read the preview, commit, watch the job finish and find the grades
on the results page. Screenshots of each step go to $E2E_OUTPUT_DIR (default /tmp/e2e-output)."""

import os
import pathlib

import openpyxl
import pytest

from accounts.roles import Role
from assessment.models import Assessment, ImportBatch, PeriodStatus
from assessment.services.periods import period_create, period_transition
from tests.e2e.conftest import login
from tests.factories import CadreFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

OUT = pathlib.Path(os.environ.get("E2E_OUTPUT_DIR", "/tmp/e2e-output")) / "import-journey"
SCORES = {"德": 92, "能": 88, "勤": 90, "绩": 95, "廉": 93, "民主测评": 91}


@pytest.fixture
def period(users, tree, cadre_a):
    CadreFactory(unit=tree["town_a"], name="王五")
    actor = users["city_staff"]
    period = period_create(actor=actor, name="2025年度干部考核", year=2025)
    return period_transition(actor=actor, period=period, to=PeriodStatus.COLLECTING)


def shot(page, name):
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def fill(path, *, bad: bool):
    """Scores in every row of the template; the first row's 绩 is 150 when ``bad``."""
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    headers = {ws.cell(row=2, column=c).value: c for c in range(1, ws.max_column + 1)}
    row = 3
    while ws.cell(row=row, column=headers["身份证号"]).value:
        for code, value in SCORES.items():
            ws.cell(row=row, column=headers[code], value=value - (row - 3))
        row += 1
    if bad:
        ws.cell(row=3, column=headers["绩"], value=150)
    wb.save(path)
    return row - 3


def upload(page, live_server, period, unit, path):
    page.goto(live_server.url + "/assessment/imports/upload/")
    page.select_option("#id_period", str(period.pk))
    page.select_option("#id_unit", str(unit.pk))
    page.set_input_files("#id_file", str(path))
    page.get_by_role("button", name="上传并校验").click()
    page.wait_for_url("**/assessment/imports/*/")
    page.wait_for_selector("#progress-card", state="detached", timeout=30_000)


def test_county_admin_takes_a_sheet_from_the_template_to_the_grades(
    page, live_server, users, tree, period, tmp_path
):
    admin = users[Role.COUNTY_ADMIN]
    login(page, live_server, admin.username)
    page.goto(live_server.url + "/assessment/imports/upload/")
    page.select_option("select[name=t_period]", str(period.pk))
    page.select_option("select[name=t_unit]", str(tree["town_a"].pk))
    with page.expect_download() as download:
        page.click("#template-link")
    sheet = tmp_path / "评分表.xlsx"
    download.value.save_as(sheet)
    assert fill(sheet, bad=True) == 2
    shot(page, "1-upload-page")

    upload(page, live_server, period, tree["town_a"], sheet)
    errors = page.locator("#import-errors")
    assert "150" in errors.inner_text() and "绩" in errors.inner_text()
    assert page.locator("button", has_text="确认导入").count() == 0
    assert not Assessment.objects.filter(period=period, scores__has_key="德").exists()
    shot(page, "2-row-error")

    fill(sheet, bad=False)
    upload(page, live_server, period, tree["town_a"], sheet)
    assert page.locator("#import-errors").count() == 0
    assert page.locator("#import-preview tbody tr").count() == 2
    shot(page, "3-preview")

    page.on("dialog", lambda dialog: dialog.accept())  # 确认导入这些得分吗？
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_selector("#progress-card", state="detached", timeout=30_000)
    page.wait_for_selector("#batch-message")
    assert ImportBatch.objects.filter(period=period, status="committed").count() == 1
    shot(page, "4-committed")

    page.goto(live_server.url + f"/assessment/periods/{period.pk}/units/{tree['town_a'].pk}/results/")
    text = page.locator("main, .content").first.inner_text()
    assert "张三" in text and "王五" in text
    graded = Assessment.objects.filter(period=period).exclude(final_grade="")
    assert graded.count() == 2
    assert graded.get(cadre__name="张三").final_grade in text
    shot(page, "5-results")
