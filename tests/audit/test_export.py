"""The audit trail (全程纪实) exported: readers only, the page's filters and scope, masked
values, a cap with a note, constant queries."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from audit import views as audit_views
from cadres import idnumber, services
from tests.factories import CadreFactory

URL = reverse("audit:export")
READERS = {Role.STAFF, Role.HEAD, Role.AUDITOR}


def sheet(response) -> list[list]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [list(row) for row in ws.iter_rows(values_only=True)]


@pytest.fixture
def edited(users, cadre_a, cadre_b):
    """张三 (甲县) edited by 甲县 staff, 李四 (乙县) edited by city staff."""
    services.cadre_update(actor=users[Role.STAFF], cadre=cadre_a, post_title="镇长", reason="换届")
    services.cadre_update(actor=users["city_staff"], cadre=cadre_b, post_title="乡长")
    return cadre_a


@pytest.mark.parametrize("role", Role.values)
def test_only_roles_that_read_the_trail_can_export_it(client, users, role):
    client.force_login(users[role])
    assert client.get(URL).status_code == (200 if role in READERS else 403)


def test_the_export_has_who_changed_what_in_scope_newest_first(client, users, edited):
    client.force_login(users[Role.AUDITOR])
    rows = sheet(client.get(URL))
    assert rows[1] == ["时间", "操作人", "操作", "对象类型", "对象", "变更内容", "原因", "批次"]
    updates = [r for r in rows[2:] if r[2] == "修改"]
    assert [(r[1], r[4], r[5], r[6]) for r in updates] == [
        ("staff_a", "张三", "现任职务：副镇长 → 镇长", "换届")
    ]
    assert "李四" not in str(rows)  # 乙县's entries are not 甲县's to read


def test_the_pages_filters_apply_to_the_export(client, users, edited):
    client.force_login(users["city_staff"])
    rows = sheet(client.get(URL, {"action": "update", "q": "李四"}))
    assert [(r[2], r[4]) for r in rows[2:]] == [("修改", "李四")]


def test_id_numbers_in_changes_are_masked(client, users, cadre_a):
    new_id = idnumber.make("430122", cadre_a.birth_date, 13)
    services.cadre_update(actor=users[Role.STAFF], cadre=cadre_a, id_number=new_id)
    client.force_login(users[Role.AUDITOR])
    text = str(sheet(client.get(URL, {"action": "update"})))
    assert idnumber.mask(new_id) in text and new_id not in text


def test_more_entries_than_the_cap_export_the_newest_with_a_note(client, users, edited, monkeypatch):
    monkeypatch.setattr(audit_views, "EXPORT_CAP", 1)
    client.force_login(users["city_staff"])  # two updates: 张三 then 李四
    rows = sheet(client.get(URL, {"action": "update"}))
    assert rows[1][0] == "符合条件的记录超过 1 条，仅导出最新的 1 条；请缩小筛选范围后分批导出。"
    assert [r[4] for r in rows[3:]] == ["李四"]
    monkeypatch.setattr(audit_views, "EXPORT_CAP", 2)  # exactly the cap: no note, both
    rows = sheet(client.get(URL, {"action": "update"}))
    assert rows[1][0] == "时间"
    assert [r[4] for r in rows[2:]] == ["李四", "张三"]


def test_the_audit_page_links_to_the_export_with_its_filters(client, users, edited):
    client.force_login(users[Role.AUDITOR])
    page = client.get(reverse("audit:list"), {"action": "update"}).content.decode()
    assert f'href="{URL}?action=update"' in page


@pytest.mark.parametrize("count", [3, 30])
def test_the_export_costs_the_same_queries_for_3_or_30_entries(
    client, users, tree, count, django_assert_num_queries
):
    for n in range(count):
        cadre = CadreFactory(unit=tree["town_a"], name=f"干部{n:02d}")
        services.cadre_update(actor=users[Role.STAFF], cadre=cadre, unit=tree["county_a"], reason="调动")
    client.force_login(users[Role.AUDITOR])
    # session, user, user's unit (scope); more than the cap (EXISTS); the entries; the units
    # their changes name (one IN query)
    with django_assert_num_queries(6):
        rows = sheet(client.get(URL, {"action": "update"}))
    assert len(rows) == count + 2
    assert rows[2][5] == "所在单位：甲镇 → 甲县"
