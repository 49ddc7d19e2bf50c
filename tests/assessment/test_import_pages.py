"""The import pages: upload, the batch (errors, preview, confirm), annotated sheet, history."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from assessment.models import Assessment, ImportBatch, ImportStatus
from assessment.services.imports import import_validate
from tests.assessment.test_imports import FIRST, make_sheet, scores


@pytest.fixture
def admin(users):
    return users[Role.COUNTY_ADMIN]


@pytest.fixture
def browser(client, admin):
    client.force_login(admin)
    return client


def post_sheet(browser, period, data, name="评分表.xlsx", **extra):
    return browser.post(
        reverse("assessment:import_upload"),
        {"period": period.pk, "file": SimpleUploadedFile(name, data), **extra},
    )


def test_upload_previews_then_confirm_commits(browser, annual_period, cadre_a):
    response = post_sheet(browser, annual_period, make_sheet([(cadre_a, scores(91))]))
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "assessment:import_detail", args=[batch.pk]
    )

    page = browser.get(response["Location"]).content.decode()
    assert "确认导入" in page and "张三" in page and "待确认导入" in page
    assert Assessment.objects.get(period=annual_period, cadre=cadre_a).scores == {}

    browser.post(reverse("assessment:import_commit", args=[batch.pk]))
    assert Assessment.objects.get(period=annual_period, cadre=cadre_a).scores == scores(91)
    page = browser.get(reverse("assessment:import_detail", args=[batch.pk])).content.decode()
    assert "已导入" in page and "确认导入</button>" not in page


def test_errors_table_and_annotated_sheet(browser, annual_period, cadre_a, cadre_b):
    post_sheet(
        browser, annual_period, make_sheet([(cadre_a, {**scores(90), "廉": 120}), (cadre_b, scores(80))])
    )
    batch = ImportBatch.objects.get()

    page = browser.get(reverse("assessment:import_detail", args=[batch.pk])).content.decode()
    assert f"第{FIRST}行" in page and "超出范围（0–100）" in page and "不在您的管辖范围内" in page
    assert "确认导入</button>" not in page

    response = browser.get(reverse("assessment:import_annotated", args=[batch.pk]))
    assert response.status_code == 200
    wb = load_workbook(BytesIO(response.content))
    ws = wb["评分表"]
    lian = ws.cell(row=FIRST, column=10)  # 序号 姓名 身份证号 单位 职务 德 能 勤 绩 廉
    assert lian.value == 120 and "超出范围" in lian.comment.text
    assert lian.fill.fgColor.rgb.endswith("FFC7CE")
    assert ws.cell(row=FIRST + 1, column=3).comment is not None
    assert wb["错误清单"].max_row == 3


def test_hostile_upload_gets_a_4xx_page_with_the_message(browser, annual_period):
    response = post_sheet(browser, annual_period, b"PK\x03\x04 broken zip", name="x.xlsx")

    assert 400 <= response.status_code < 500
    assert "未写入任何数据" in response.content.decode()


def test_same_sheet_twice_says_nothing_to_update(browser, annual_period, cadre_a):
    data = make_sheet([(cadre_a, scores(91))])
    post_sheet(browser, annual_period, data)
    browser.post(reverse("assessment:import_commit", args=[ImportBatch.objects.get().pk]))

    response = post_sheet(browser, annual_period, data)

    page = browser.get(response["Location"]).content.decode()
    assert "没有需要更新的数据" in page and "确认导入</button>" not in page


def test_pages_need_the_import_capability(client, users, annual_period):
    client.force_login(users[Role.AUDITOR])

    assert client.get(reverse("assessment:import_upload")).status_code == 403
    assert client.get(reverse("assessment:import_history")).status_code == 403


def test_history_lists_batches_in_a_fixed_number_of_queries(
    browser, admin, annual_period, cadre_a, django_assert_num_queries
):
    for _ in range(4):
        import_validate(
            actor=admin, period=annual_period, data=make_sheet([(cadre_a, scores(70))]), filename="甲.xlsx"
        )
    url = reverse("assessment:import_history")
    browser.get(url)  # warm the session

    # session, user, the user's unit (scope), count, the period filter list,
    # the page of batches (period, unit and uploader joined)
    with django_assert_num_queries(6):
        response = browser.get(url)

    page = response.content.decode()
    assert page.count("甲.xlsx") == 4 and "待确认导入" in page


def test_history_filters_by_status(browser, admin, annual_period, cadre_a, cadre_b):
    import_validate(
        actor=admin, period=annual_period, data=make_sheet([(cadre_a, scores(70))]), filename="好.xlsx"
    )
    import_validate(
        actor=admin, period=annual_period, data=make_sheet([(cadre_b, scores(70))]), filename="坏.xlsx"
    )

    page = browser.get(reverse("assessment:import_history") + "?status=invalid").content.decode()

    assert "坏.xlsx" in page and "好.xlsx" not in page


def test_large_sheet_page_shows_the_progress_bar(browser, annual_period, cadre_a, settings):
    settings.IMPORT_ASYNC_ROWS = 0

    response = post_sheet(browser, annual_period, make_sheet([(cadre_a, scores(91))]))

    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.PENDING and batch.job_id
    page = browser.get(response["Location"]).content.decode()
    assert 'id="progress-bar"' in page and f"/api/v1/jobs/{batch.job_id}/" in page


def test_period_page_links_to_the_upload(browser, annual_period):
    page = browser.get(reverse("assessment:period_detail", args=[annual_period.pk])).content.decode()

    assert reverse("assessment:import_upload") + f"?period={annual_period.pk}" in page


def test_the_preview_says_what_a_score_typed_as_text_was_read_as(browser, annual_period, cadre_a):
    row = [1, cadre_a.name, cadre_a.id_number, "", "", "８５分", "85分", "８５", 90, 90, 90, ""]
    post_sheet(browser, annual_period, make_sheet([row]))
    batch = ImportBatch.objects.get()

    page = browser.get(reverse("assessment:import_detail", args=[batch.pk])).content.decode()

    assert "德列“８５分”读作 85（第3行）" in page
    assert "能列“85分”读作 85" in page and "勤列“８５”读作 85" in page
    browser.post(reverse("assessment:import_commit", args=[batch.pk]))
    assert Assessment.objects.get(period=annual_period, cadre=cadre_a).scores == {
        **scores(90),
        "德": 85,
        "能": 85,
        "勤": 85,
    }


@pytest.mark.parametrize("cell", ["九十", "优", "85-90", "TRUE"])
def test_a_cell_that_is_not_a_score_stops_the_sheet_and_names_the_cell(browser, annual_period, cadre_a, cell):
    row = [1, cadre_a.name, cadre_a.id_number, "", "", 90, 90, 90, cell, 90, 90, ""]
    post_sheet(browser, annual_period, make_sheet([row]))
    batch = ImportBatch.objects.get()

    assert batch.status == ImportStatus.INVALID
    assert (batch.errors[0]["row"], batch.errors[0]["column"]) == (FIRST, "绩")
    page = browser.get(reverse("assessment:import_detail", args=[batch.pk])).content.decode()
    assert f"“绩”列的值“{cell}”不是数字" in page
    assert Assessment.objects.get(period=annual_period, cadre=cadre_a).scores == {}
