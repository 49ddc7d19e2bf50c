"""``grade-reports/``: one row per cadre, scoped, masked per role, and the same as an .xlsx."""

import io
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from accounts.roles import Role
from assessment.models import Assessment
from cadres import idnumber
from tests.assessment.test_api import all_scores, api, grade, open_period
from tests.factories import CadreFactory

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def report(users, tree, cadre_a, cadre_b):
    """2025 annual, graded: 甲镇 张三 95 + four at 80 (张三 优秀), 甲县 itself one at 85, 乙镇 李四 75."""
    actor = users["city_staff"]
    town = [cadre_a, *(CadreFactory(unit=tree["town_a"], name=f"甲{i}") for i in range(4))]
    county = CadreFactory(unit=tree["county_a"], name="县干部")
    period = open_period(actor)
    scores = {c: all_scores(80) for c in town[1:]}
    scores.update({cadre_a: all_scores(95), county: all_scores(85), cadre_b: all_scores(75)})
    grade(actor, period, scores)
    return period


def rows(client, query: str) -> list[dict]:
    response = client.get(f"/api/v1/grade-reports/?{query}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_rows_are_ordered_by_unit_path_then_rank_with_grade_code_and_explanation(users, report):
    result = rows(api(users[Role.STAFF]), f"period={report.pk}")
    assert [(r["unit_name"], r["name"], r["rank_in_unit"]) for r in result][:3] == [
        ("甲县", "县干部", 1),
        ("甲镇", "张三", 1),
        ("甲镇", "甲0", 2),
    ]
    zhang = result[1]
    assert (zhang["total_score"], zhang["grade"], zhang["grade_code"]) == (95.0, "优秀", 1)
    assert zhang["explanation"][-1]["rule"] == "优秀比例"
    assert set(zhang) >= {"unit", "unit_name", "name", "id_number", "total_score", "rank_in_unit", "grade"}


def test_a_county_admin_gets_only_their_county(users, report):
    names = {r["name"] for r in rows(api(users[Role.COUNTY_ADMIN]), f"period={report.pk}")}
    assert "李四" not in names
    assert len(names) == 6
    assert "李四" in {r["name"] for r in rows(api(users["city_staff"]), f"period={report.pk}")}


def test_unit_filter_takes_the_subtree_and_an_out_of_scope_unit_is_404(users, tree, report):
    client = api(users[Role.STAFF])
    assert {r["unit_name"] for r in rows(client, f"period={report.pk}&unit={tree['town_a'].pk}")} == {"甲镇"}
    response = client.get(f"/api/v1/grade-reports/?period={report.pk}&unit={tree['county_b'].pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_grade_filter_keeps_only_that_final_grade(users, report):
    client = api(users[Role.STAFF])
    assert [r["name"] for r in rows(client, f"period={report.pk}&grade=优秀")] == ["张三"]
    assert len(rows(client, f"period={report.pk}&grade=称职")) == 5
    bad = client.get(f"/api/v1/grade-reports/?period={report.pk}&grade=良")
    assert bad.status_code == 400
    assert "可选值" in bad.json()["error"]["fields"]["grade"][0]


@pytest.mark.parametrize(
    "query, message",
    [
        ("", "请指定考核期（period=考核期 id）。"),
        ("period=abc", "考核期 id 应为整数。"),
        ("period=99999", "考核期不存在。"),
    ],
)
def test_a_missing_or_invalid_period_is_a_400_in_the_error_shape(query, message, users, report):
    response = api(users[Role.STAFF]).get(f"/api/v1/grade-reports/?{query}")
    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "invalid", "message": f"提交的数据有误：{message}", "fields": {"period": [message]}}
    }


@pytest.mark.parametrize(
    "role, full",
    [
        (Role.STAFF, True),
        (Role.HEAD, True),
        (Role.COUNTY_ADMIN, True),
        (Role.API_READER, False),
        (Role.AUDITOR, False),
    ],
)
def test_id_numbers_are_masked_unless_the_role_may_view_them(role, full, users, report, cadre_a):
    result = rows(api(users[role]), f"period={report.pk}&grade=优秀")
    expected = cadre_a.id_number if full else idnumber.mask(cadre_a.id_number)
    assert result[0]["id_number"] == expected
    assert ("*" in result[0]["id_number"]) is not full


def test_without_credentials_the_report_is_401(report):
    assert api().get(f"/api/v1/grade-reports/?period={report.pk}").status_code == 401


def test_grade_report_query_count_does_not_grow_with_rows(users, tree, report, django_assert_num_queries):
    client = api(users[Role.API_READER])
    # period, unit, the units' counts, their ids in order, the page's rows by id with cadres
    with django_assert_num_queries(5):
        assert len(rows(client, f"period={report.pk}&unit={tree['county_a'].pk}")) == 6
    Assessment.objects.bulk_create(
        Assessment(period=report, cadre=c, unit=c.unit)
        for c in (CadreFactory(unit=tree["town_a"], name=f"新{i}") for i in range(30))
    )
    with django_assert_num_queries(5):
        assert len(rows(client, f"period={report.pk}&unit={tree['county_a'].pk}")) == 36


def test_pages_follow_page_size(users, report):
    body = (
        api(users["city_staff"]).get(f"/api/v1/grade-reports/?period={report.pk}&page_size=2&page=2").json()
    )
    assert body["count"] == 7
    # 甲县 (县干部), then 甲镇 by rank (张三, 甲0, 甲1 …), then 乙镇
    assert [r["name"] for r in body["results"]] == ["甲0", "甲1"]


# ---------------------------------------------------------------- xlsx


def sheet(response):
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def test_xlsx_downloads_every_row_with_a_title_a_frozen_header_and_a_chinese_filename(users, report):
    response = api(users[Role.STAFF]).get(
        f"/api/v1/grade-reports/?period={report.pk}&format=xlsx&page_size=2"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''" + quote("2025年度考核等次-甲县.xlsx")
    )
    ws = sheet(response)
    assert ws["A1"].value == "2025年度考核等次（甲县）"
    assert [c.value for c in ws[2]] == [
        "序号",
        "单位",
        "姓名",
        "身份证号",
        "加权总分",
        "单位内排名",
        "等次",
        "等次代码",
        "等次依据",
    ]
    assert ws.freeze_panes == "A3"
    data = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    assert len(data) == 6  # all of 甲县, not one page
    zhang = data[1]
    assert zhang[:8] == [2, "甲镇", "张三", zhang[3], 95, 1, "优秀", 1]
    assert zhang[8].startswith("加权总分：95.00") and "优秀比例：优秀（" in zhang[8]


def test_xlsx_masks_id_numbers_for_a_reader(users, report, cadre_a):
    response = api(users[Role.API_READER]).get(
        f"/api/v1/grade-reports/?period={report.pk}&format=xlsx&grade=优秀"
    )
    ws = sheet(response)
    assert ws["D3"].value == idnumber.mask(cadre_a.id_number)
    assert ws["A1"].value.endswith("（甲县，优秀）")


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://evil.example","点我")', "-1+2", "+86", "@SUM(A1)", "\t=1", "#N/A"]
)
def test_xlsx_writes_formula_like_names_as_plain_text(text, users, tree, report, cadre_a):
    cadre_a.name = text
    cadre_a.save(update_fields=["name"])
    tree["town_a"].name = text
    tree["town_a"].save(update_fields=["name"])
    response = api(users[Role.STAFF]).get(f"/api/v1/grade-reports/?period={report.pk}&format=xlsx&grade=优秀")
    ws = sheet(response)
    for cell in (ws["B3"], ws["C3"]):
        assert cell.data_type == "s"
        assert cell.value == text


def test_xlsx_without_a_period_answers_the_json_error(users, report):
    response = api(users[Role.STAFF]).get("/api/v1/grade-reports/?format=xlsx")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["fields"] == {"period": ["请指定考核期（period=考核期 id）。"]}


def test_xlsx_download_works_with_a_browser_session(client, users, report):
    client.force_login(users[Role.STAFF])
    response = client.get(f"/api/v1/grade-reports/?period={report.pk}&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX


def test_xlsx_query_count_does_not_grow_with_rows(users, tree, report, django_assert_num_queries):
    client = api(users[Role.STAFF])
    # period, the labels of the units in scope, then the rows through one server-side cursor
    # (SQLite and PostgreSQL alike), then the audit entry recording that staff were given full
    # ID numbers
    with django_assert_num_queries(4):
        sheet(client.get(f"/api/v1/grade-reports/?period={report.pk}&format=xlsx"))
    Assessment.objects.bulk_create(
        Assessment(period=report, cadre=c, unit=c.unit)
        for c in (CadreFactory(unit=tree["town_a"], name=f"新{i}") for i in range(30))
    )
    with django_assert_num_queries(4):
        ws = sheet(client.get(f"/api/v1/grade-reports/?period={report.pk}&format=xlsx"))
    assert ws.max_row == 2 + 36
