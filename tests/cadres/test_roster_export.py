"""The roster (花名册) export: the columns picked, the list's filters and scope, ID numbers and
phones masked for roles that may not see them, the record of full ones, constant queries."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from audit.models import AuditAction, AuditEntry
from cadres import idnumber
from cadres.models import CadreKind, EducationLevel
from tests.factories import CadreFactory, EducationFactory

URL = reverse("cadres:export")


def download(client, user, **params):
    client.force_login(user)
    params.setdefault("download", "1")
    response = client.get(URL, params)
    return response


def sheet(response) -> list[list]:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [list(row) for row in ws.iter_rows(values_only=True)]


@pytest.fixture
def roster(tree, cadre_a):
    cadre_a.phone = "13812345678"
    cadre_a.save()
    EducationFactory(cadre=cadre_a, level=EducationLevel.COLLEGE)
    EducationFactory(cadre=cadre_a, level=EducationLevel.POSTGRADUATE, school="中南大学")
    li = CadreFactory(unit=tree["town_a"], name="李四", kind=CadreKind.GENERAL)
    wang = CadreFactory(unit=tree["town_b"], name="王五")  # 乙县: outside 甲县's scope
    return {"zhang": cadre_a, "li": li, "wang": wang}


def test_the_picked_columns_in_catalogue_order_for_the_cadres_in_scope(client, users, roster):
    rows = sheet(download(client, users[Role.STAFF], col=["unit", "name", "education", "kind"]))
    assert rows[0][0].startswith("干部花名册（全部）")
    assert rows[1] == ["序号", "姓名", "学历", "单位", "干部类别"]
    assert rows[2:] == [
        [1, "张三", "研究生", "甲镇", "领导干部（科级）"],
        [2, "李四", None, "甲镇", "一般干部"],
    ]


def test_the_lists_filters_apply_to_the_export(client, users, roster):
    rows = sheet(download(client, users[Role.STAFF], col=["name"], kind=CadreKind.GENERAL))
    assert [r[1] for r in rows[2:]] == ["李四"]
    rows = sheet(download(client, users["city_staff"], col=["name"], name="王"))
    assert [r[1] for r in rows[2:]] == ["王五"]


def test_a_role_without_view_id_number_gets_masked_ids_and_phones_and_no_record(client, users, roster):
    zhang = roster["zhang"]
    rows = sheet(download(client, users[Role.AUDITOR], col=["name", "id_number", "phone"]))
    assert rows[2] == [1, "张三", idnumber.mask(zhang.id_number), idnumber.mask_phone("13812345678")]
    assert zhang.id_number not in str(rows)
    assert not AuditEntry.objects.filter(action=AuditAction.VIEW).exists()


def test_full_id_numbers_exported_are_on_the_record(client, users, roster):
    zhang = roster["zhang"]
    rows = sheet(download(client, users[Role.STAFF], col=["name", "id_number", "phone"]))
    assert rows[2] == [1, "张三", zhang.id_number, "13812345678"]
    entry = AuditEntry.objects.get(action=AuditAction.VIEW)
    assert entry.actor == users[Role.STAFF]
    assert entry.object_repr == "干部花名册导出：张三、李四（2 名）"
    assert sorted(entry.changes["viewed"][1]) == sorted([zhang.pk, roster["li"].pk])


def test_an_export_without_id_numbers_or_phones_writes_no_record(client, users, roster):
    sheet(download(client, users[Role.STAFF], col=["name", "unit"]))
    assert not AuditEntry.objects.filter(action=AuditAction.VIEW).exists()


def test_the_page_picks_columns_and_keeps_the_filters(client, users, roster):
    client.force_login(users[Role.STAFF])
    page = client.get(URL, {"kind": CadreKind.GENERAL, "page": "2"}).content.decode()
    assert "按名册当前的筛选条件导出" in page
    assert f'<input type="hidden" name="kind" value="{CadreKind.GENERAL}">' in page
    assert 'name="page"' not in page
    assert "导出完整的身份证号、联系电话会记入全程纪实" in page
    assert 'value="name"' in page and "checked" in page


def test_no_column_or_an_unknown_one_says_so_and_downloads_nothing(client, users, roster):
    response = download(client, users[Role.STAFF])
    assert response["Content-Type"].startswith("text/html")
    assert "请至少选择一列。" in response.content.decode()
    response = download(client, users[Role.STAFF], col=["name", "salary"])
    assert "没有“salary”这一列" in response.content.decode()


def test_a_bad_filter_says_so_and_downloads_nothing(client, users, roster):
    response = download(client, users[Role.STAFF], col=["name"], age_min="abc")
    assert response["Content-Type"].startswith("text/html")
    assert "筛选条件有误" in response.content.decode()


def test_the_list_links_to_the_export_with_its_filters(client, users, roster):
    client.force_login(users[Role.AUDITOR])
    page = client.get(reverse("cadres:list"), {"kind": CadreKind.GENERAL}).content.decode()
    assert f'href="{URL}?kind={CadreKind.GENERAL}"' in page


@pytest.mark.parametrize("count", [3, 30])
def test_the_export_costs_the_same_queries_for_3_or_30_cadres(
    client, users, tree, count, django_assert_num_queries
):
    for n in range(count):
        cadre = CadreFactory(unit=tree["town_a"], name=f"干部{n:02d}")
        EducationFactory(cadre=cadre)
    client.force_login(users[Role.STAFF])
    # session, user, user's unit (scope); the cadres (filters, unit labels), their educations
    # (one IN query); the record of the full ID numbers shown
    with django_assert_num_queries(6):
        response = client.get(URL, {"download": "1", "col": ["name", "id_number", "education", "unit"]})
        rows = sheet(response)
    assert len(rows) == count + 2
