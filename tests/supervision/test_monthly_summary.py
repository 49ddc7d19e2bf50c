"""The monthly summary of talks (谈心谈话等情况统计表) on the page and as an Excel file."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.roles import Role
from cadres.models import UnitKind
from supervision.models import InterviewKind
from supervision.services import interviews as svc
from tests.factories import CadreFactory, unit_child


def previous_month() -> tuple[int, int]:
    last = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    return last.year, last.month


def a_day_of(year: int, month: int, day: int) -> datetime.date:
    return datetime.date(year, month, day)


def talk(user, cadre, kind, on):
    return svc.interview_record(
        actor=user,
        kind=kind,
        subject_type="cadre",
        cadre=cadre,
        conducted_on=on,
        interviewers="王科长",
        record="记录",
    )


@pytest.fixture
def month_data(users, tree, cadre_a, cadre_b, leader_reason):
    """Last month in 甲镇: 2 谈心谈话, 1 诫勉; in 甲县 itself 1 提醒谈话; a proposed 约谈 (not held);
    one talk the month before; one in 乙县 (outside the staff's scope)."""
    staff = users[Role.STAFF]
    year, month = previous_month()
    county_cadre = CadreFactory(unit=tree["county_a"], name="县直干部")
    talk(staff, cadre_a, InterviewKind.TALK, a_day_of(year, month, 1))
    talk(staff, cadre_a, InterviewKind.TALK, a_day_of(year, month, 15))
    talk(staff, cadre_a, InterviewKind.ADMONISH, a_day_of(year, month, 20))
    talk(staff, county_cadre, InterviewKind.REMINDER, a_day_of(year, month, 2))
    svc.yuetan_propose(actor=staff, subject_type="cadre", cadre=cadre_a, reasons=[leader_reason])
    earlier = a_day_of(year, month, 1) - datetime.timedelta(days=1)
    talk(staff, cadre_a, InterviewKind.TALK, earlier)
    talk(users["city_staff"], cadre_b, InterviewKind.TALK, a_day_of(year, month, 3))
    return year, month


def test_the_summary_defaults_to_last_month_and_counts_by_unit_and_kind(client, users, month_data):
    year, month = month_data
    client.force_login(users[Role.STAFF])
    response = client.get(reverse("supervision:monthly_summary"))
    page = response.content.decode()
    assert f"甲县{year}年{month}月谈心谈话等情况统计表" in page
    table = response.context["table"]
    assert table["headers"] == ["谈心谈话", "提醒谈话", "约谈", "函询", "诫勉"]
    rows = {row["unit"]: row for row in table["rows"]}
    assert set(rows) == {"甲县", "甲镇"}  # 乙县 is outside the user's scope
    assert rows["甲镇"]["counts"] == [2, 0, 0, 0, 1] and rows["甲镇"]["total"] == 3
    assert rows["甲县"]["counts"] == [0, 1, 0, 0, 0]
    assert table["totals"] == [2, 1, 0, 0, 1] and table["total"] == 4


def test_a_month_without_talks_says_so(client, users, month_data):
    client.force_login(users[Role.STAFF])
    page = client.get(reverse("supervision:monthly_summary") + "?year=2001&month=2").content.decode()
    assert "2001年2月没有谈话记录。" in page


def test_the_summary_can_be_narrowed_to_a_unit(client, users, tree, month_data):
    year, month = month_data
    client.force_login(users[Role.STAFF])
    response = client.get(
        reverse("supervision:monthly_summary") + f"?year={year}&month={month}&unit={tree['town_a'].pk}"
    )
    assert [row["unit"] for row in response.context["table"]["rows"]] == ["甲镇"]
    assert f"甲镇{year}年{month}月谈心谈话等情况统计表" in response.content.decode()


def test_the_excel_export_holds_the_same_table_with_a_title_and_chinese_headers(client, users, month_data):
    year, month = month_data
    client.force_login(users[Role.STAFF])
    response = client.get(reverse("supervision:monthly_summary") + f"?year={year}&month={month}&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith("attachment;")
    ws = load_workbook(io.BytesIO(response.content)).active
    assert ws["A1"].value == f"甲县{year}年{month}月谈心谈话等情况统计表"
    assert [c.value for c in ws[3]] == [
        "序号",
        "单位",
        "谈心谈话",
        "提醒谈话",
        "约谈",
        "函询",
        "诫勉",
        "合计",
    ]
    assert [c.value for c in ws[4]] == [1, "甲县", 0, 1, 0, 0, 0, 1]
    assert [c.value for c in ws[5]] == [2, "甲镇", 2, 0, 0, 0, 1, 3]
    assert [c.value for c in ws[6]][2:] == [2, 1, 0, 0, 1, 4] and ws["A6"].value == "合计"
    assert ws.column_dimensions["B"].width >= 20


def test_a_unit_name_that_looks_like_a_formula_is_stored_as_text(client, users, tree):
    staff = users[Role.STAFF]
    year, month = previous_month()
    for name, code in (("=1+1", "C01A07"), ("@SUM(A1)", "C01A08"), ("-2+3", "C01A09")):
        unit = unit_child(tree["county_a"], code, name, UnitKind.DEPARTMENT)
        talk(staff, CadreFactory(unit=unit), InterviewKind.TALK, a_day_of(year, month, 5))
    client.force_login(staff)
    response = client.get(reverse("supervision:monthly_summary") + f"?year={year}&month={month}&format=xlsx")
    ws = load_workbook(io.BytesIO(response.content)).active
    cells = {ws.cell(row=r, column=2).value: ws.cell(row=r, column=2) for r in range(4, ws.max_row)}
    for name in ("=1+1", "@SUM(A1)", "-2+3"):
        assert cells[name].data_type == "s"
        assert cells[name].quotePrefix


@pytest.mark.parametrize("role", Role.values)
def test_every_role_can_read_the_summary_of_its_scope(client, users, month_data, role):
    client.force_login(users[role])
    response = client.get(reverse("supervision:monthly_summary"))
    assert response.status_code == 200
    assert response.context["table"]["total"] == 4
