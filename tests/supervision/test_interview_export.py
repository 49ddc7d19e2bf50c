"""The interview list (谈话监督) exported: the list's filters and scope, every row, constant queries."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from supervision.services import interviews as svc
from tests.factories import CadreFactory
from tests.supervision.conftest import days_ago

URL = reverse("supervision:interview_export")


def sheet(response) -> list[list]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [list(row) for row in ws.iter_rows(values_only=True)]


def talk(actor, cadre, ago, kind="talk"):
    return svc.interview_record(
        actor=actor, kind=kind, subject_type="cadre", cadre=cadre, conducted_on=days_ago(ago), record="谈心"
    )


@pytest.fixture
def talks(users, tree, cadre_a, walk, leader_reason):
    staff = users[Role.STAFF]
    talk(staff, cadre_a, 3)
    li = CadreFactory(unit=tree["town_a"], name="李四")
    talk(staff, li, 10, kind="reminder")
    yuetan = walk["to_conducted"](walk["propose_cadre"](li, leader_reason), conducted_ago=40)
    wang = CadreFactory(unit=tree["town_b"], name="王五")  # 乙县: outside 甲县's scope
    talk(users["city_staff"], wang, 1)
    return {"yuetan": yuetan, "reason": leader_reason}


def test_the_export_lists_every_record_in_scope_as_the_list_does(client, users, talks):
    client.force_login(users[Role.AUDITOR])
    rows = sheet(client.get(URL))
    assert rows[0][0] == "谈话监督记录（全部）2026-06-15"
    assert rows[1][:5] == ["序号", "类别", "对象", "单位", "情形"]
    listed = client.get(reverse("supervision:interviews")).context["page"].object_list
    assert [(r[1], r[2]) for r in rows[2:]] == [(i.get_kind_display(), i.subject_label) for i in listed]
    assert sorted((r[1], r[2]) for r in rows[2:]) == [
        ("提醒谈话", "李四"),
        ("约谈", "李四"),
        ("谈心谈话", "张三"),
    ]
    yuetan = next(r for r in rows[2:] if r[1] == "约谈")
    assert yuetan[4] == talks["reason"].text
    assert yuetan[7] == days_ago(40).isoformat() and yuetan[8] == "李部长"


def test_the_lists_filters_apply_to_the_export(client, users, talks):
    client.force_login(users[Role.STAFF])
    rows = sheet(client.get(URL, {"kind": "yuetan"}))
    assert [(r[1], r[2]) for r in rows[2:]] == [("约谈", "李四")]
    rows = sheet(client.get(URL, {"name": "张"}))
    assert [r[2] for r in rows[2:]] == ["张三"]
    rows = sheet(client.get(URL, {"date_from": days_ago(5).isoformat(), "date_to": days_ago(3).isoformat()}))
    assert [r[2] for r in rows[2:]] == ["张三"]  # the first day of the range counts


def test_a_bad_filter_sends_back_to_the_list_with_a_message(client, users, talks):
    client.force_login(users[Role.STAFF])
    response = client.get(URL, {"date_from": "2026-06-10", "date_to": "2026-06-01"}, follow=True)
    page = response.content.decode()
    assert response.redirect_chain[0][0].startswith(reverse("supervision:interviews") + "?")
    assert "筛选条件有误，未导出" in page and "结束日期不能早于开始日期。" in page


def test_the_list_links_to_the_export_with_its_filters(client, users, talks):
    client.force_login(users[Role.AUDITOR])
    page = client.get(reverse("supervision:interviews"), {"kind": "talk"}).content.decode()
    assert f'href="{URL}?kind=talk"' in page


@pytest.mark.parametrize("count", [3, 30])
def test_the_export_costs_the_same_queries_for_3_or_30_records(
    client, users, tree, count, django_assert_num_queries
):
    staff = users[Role.STAFF]
    for n in range(count):
        talk(staff, CadreFactory(unit=tree["town_a"]), n % 20)
    client.force_login(staff)
    # session, user, user's unit (scope); the interviews (with units, cadres, unit labels), their
    # reasons (one IN query)
    with django_assert_num_queries(5):
        rows = sheet(client.get(URL))
    assert len(rows) == count + 2
