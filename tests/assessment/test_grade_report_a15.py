"""``grade-reports/?fields=a15``: a period in the A15 shape of the 干部管理信息系统 (A1521 year,
A1517 code from the editable ZB18 table, the reason for 不定等次), as JSON and as xlsx."""

# ruff: noqa: F811 (the ``report`` fixture is imported, and pytest hands it to the tests by name)

import datetime
import io

from openpyxl import load_workbook

from accounts.roles import Role
from assessment.models import Assessment, ConclusionCode, Grade
from assessment.services.recompute import period_recompute
from audit.models import AuditEntry
from cadres import idnumber
from tests.assessment.test_api import all_scores, api, open_period
from tests.assessment.test_grade_reports import report, rows  # noqa: F401 (fixture)
from tests.factories import CadreFactory, make_user

URL = "/api/v1/grade-reports/"


def on_probation(cadre, period):
    """A probation running past the year's end: the default policy leaves the cadre 不定等次."""
    cadre.probation_end = datetime.date(period.year + 1, 6, 30)
    cadre.save(update_fields=["probation_end"])
    period_recompute(period_id=period.pk)


def test_the_national_codes_are_seeded_one_per_grade(db):
    assert list(ConclusionCode.objects.values_list("code", "name", "grade")) == [
        ("1", "优秀", "优秀"),
        ("2", "称职", "称职"),
        ("3", "基本称职", "基本称职"),
        ("4", "不称职", "不称职"),
        ("5", "不确定等次", "不定等次"),
        ("6", "未参加考核", "不参加考核"),
    ]


def test_a15_rows_give_year_code_and_name_and_the_reason_for_an_undetermined_grade(
    users, report, cadre_a, tree
):
    newcomer = CadreFactory(unit=tree["town_a"], name="新录用")
    Assessment.objects.create(period=report, cadre=newcomer, unit=tree["town_a"], scores=all_scores(85))
    on_probation(newcomer, report)
    found = {r["A0101"]: r for r in rows(api(users["city_staff"]), f"period={report.pk}&fields=a15")}
    zhang = found["张三"]
    assert (zhang["A1521"], zhang["A1517"], zhang["A1517_name"], zhang["reason"]) == (2025, "1", "优秀", "")
    assert zhang["A0184"] == cadre_a.id_number
    assert set(zhang) == {
        "id",
        "cadre",
        "unit",
        "unit_label",
        "A0101",
        "A0184",
        "A1521",
        "A1517",
        "A1517_name",
        "reason",
    }
    new = found["新录用"]
    assert (new["A1517"], new["A1517_name"]) == ("5", "不确定等次")
    assert new["reason"].startswith("试用期：试用期至 2026-06-30")


def test_a_department_maps_a_grade_to_its_own_sub_code(users, report, tree):
    ConclusionCode.objects.filter(code="1").update(active=False)
    ConclusionCode.objects.create(code="1A", name="优秀（嘉奖）", grade=Grade.EXCELLENT, order=9)
    found = rows(api(users["city_staff"]), f"period={report.pk}&fields=a15&grade=优秀")
    assert [(r["A0101"], r["A1517"], r["A1517_name"]) for r in found] == [("张三", "1A", "优秀（嘉奖）")]


def test_a15_masks_the_id_number_for_a_reader(users, report, cadre_a):
    found = rows(api(users[Role.API_READER]), f"period={report.pk}&fields=a15&cadre={cadre_a.pk}")
    assert found[0]["A0184"] == idnumber.mask(cadre_a.id_number)


def test_a15_is_refused_for_a_quarter_and_an_unknown_shape_is_a_400(users, report):
    client = api(users["city_staff"])
    quarter = open_period(users["city_staff"], quarter=1, name="2025年第一季度")
    response = client.get(f"{URL}?period={quarter.pk}&fields=a15")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["fields"] == ["A15（年度考核）只适用于年度考核期。"]
    assert client.get(f"{URL}?period={report.pk}&fields=a16").status_code == 400


def test_a15_xlsx_has_the_a15_columns_and_records_the_full_numbers_shown(users, report, cadre_a):
    response = api(users[Role.STAFF]).get(f"{URL}?period={report.pk}&fields=a15&format=xlsx")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert ws["A1"].value == "2025年度考核结论（A15）（甲县）"
    assert [c.value for c in ws[2]] == [
        "序号",
        "单位",
        "姓名（A0101）",
        "身份证号（A0184）",
        "考核年度（A1521）",
        "考核结论类别代码（A1517）",
        "考核结论类别",
        "不定等次或未参加考核原因",
    ]
    data = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    assert data[1][:7] == [2, "甲镇", "张三", cadre_a.id_number, 2025, "1", "优秀"]
    assert len(data) == 6
    assert AuditEntry.objects.filter(object_repr__startswith="导出 2025年度考核结论（A15）").count() == 1


def test_the_code_table_is_edited_in_admin_and_the_change_audited(client, tree):
    admin = make_user("root", Role.STAFF, None, is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.get("/admin/assessment/conclusioncode/").status_code == 200
    code = ConclusionCode.objects.get(code="5")
    response = client.post(
        f"/admin/assessment/conclusioncode/{code.pk}/change/",
        {"code": "5", "name": "不定等次", "grade": Grade.UNDETERMINED, "active": "on", "order": 5},
    )
    assert response.status_code == 302
    assert ConclusionCode.objects.get(code="5").name == "不定等次"
    assert AuditEntry.objects.filter(model="assessment.conclusioncode").count() == 1
