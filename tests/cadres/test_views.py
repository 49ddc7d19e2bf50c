"""The registry pages as a user sees them: who may open what, what the forms write, what lists show."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEntry
from cadres import idnumber
from cadres.models import Cadre, CadreKind, CadreStatus, Education, PostKind, PostRecord, TeamMembership, Unit
from tests.factories import CadreFactory, EducationFactory, PostRecordFactory

EDITORS = {Role.STAFF, Role.HEAD}
READ_ONLY = [r for r in Role.values if r not in EDITORS]


def login(client, users, role):
    client.force_login(users[role])
    return client


def cadre_post_data(unit, **overrides):
    born = datetime.date(1985, 3, 12)
    data = {
        "unit": unit.pk,
        "name": "王五",
        "gender": "M",
        "ethnicity": "汉族",
        "id_number": idnumber.make("430121", born, 11),
        "birth_date": born.isoformat(),
        "work_start_date": "2007-07-01",
        "political_status": "cpc",
        "party_join_date": "2008-07-01",
        "identity": "civil_servant",
        "kind": CadreKind.LEADER_KE,
        "rank": "fu_ke",
        "post_title": "副镇长",
        "post_start_date": "",
        "rank_start_date": "",
        "status": CadreStatus.ON_POST,
        "township_service_start": "",
        "phone": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def cadre_form_data(cadre, **overrides):
    data = cadre_post_data(cadre.unit)
    for field in data:
        value = getattr(cadre, field if field != "unit" else "unit_id")
        if isinstance(value, datetime.date):
            value = value.isoformat()
        data[field] = "" if value is None else value
    data.update(overrides)
    return data


# ---------------------------------------------------------------- access by role and scope


@pytest.mark.parametrize("role", Role.values)
def test_every_role_can_open_the_profile_of_a_cadre_in_its_county(client, users, cadre_a, role):
    response = login(client, users, role).get(reverse("cadres:detail", args=[cadre_a.pk]))
    assert response.status_code == 200
    assert "张三" in response.content.decode()


@pytest.mark.parametrize("role", Role.values)
def test_no_role_can_open_the_profile_of_a_cadre_in_another_county(client, users, cadre_b, role):
    response = login(client, users, role).get(reverse("cadres:detail", args=[cadre_b.pk]))
    assert response.status_code == 404
    assert "不在您的管辖范围内" in response.content.decode()


@pytest.mark.parametrize("role", Role.values)
def test_edit_page_opens_only_for_roles_that_maintain_the_registry(client, users, cadre_a, role):
    response = login(client, users, role).get(reverse("cadres:edit", args=[cadre_a.pk]))
    assert response.status_code == (200 if role in EDITORS else 403)


@pytest.mark.parametrize("role", Role.values)
def test_edit_page_of_a_cadre_in_another_county_is_not_found_for_every_role(client, users, cadre_b, role):
    response = login(client, users, role).get(reverse("cadres:edit", args=[cadre_b.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("role", Role.values)
def test_delete_page_of_a_cadre_in_another_county_is_not_found_for_every_role(client, users, cadre_b, role):
    response = login(client, users, role).get(reverse("cadres:delete", args=[cadre_b.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("role", READ_ONLY)
def test_read_only_roles_cannot_open_create_or_delete_pages(client, users, cadre_a, role):
    login(client, users, role)
    assert client.get(reverse("cadres:create")).status_code == 403
    assert client.get(reverse("cadres:delete", args=[cadre_a.pk])).status_code == 403
    assert client.post(reverse("cadres:delete", args=[cadre_a.pk]), {"reason": "x"}).status_code == 403
    assert Cadre.objects.filter(pk=cadre_a.pk).exists()


@pytest.mark.parametrize("role", READ_ONLY)
def test_read_only_roles_do_not_see_edit_buttons(client, users, cadre_a, role):
    login(client, users, role)
    profile = client.get(reverse("cadres:detail", args=[cadre_a.pk])).content.decode()
    listing = client.get(reverse("cadres:list")).content.decode()
    assert reverse("cadres:edit", args=[cadre_a.pk]) not in profile
    assert reverse("cadres:delete", args=[cadre_a.pk]) not in profile
    assert reverse("cadres:create") not in listing


def test_staff_sees_edit_and_delete_buttons_on_the_profile(client, users, cadre_a):
    profile = login(client, users, Role.STAFF).get(reverse("cadres:detail", args=[cadre_a.pk]))
    html = profile.content.decode()
    assert reverse("cadres:edit", args=[cadre_a.pk]) in html
    assert reverse("cadres:delete", args=[cadre_a.pk]) in html


def test_anonymous_visitor_is_sent_to_the_login_page(client, cadre_a):
    response = client.get(reverse("cadres:detail", args=[cadre_a.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# ---------------------------------------------------------------- create, edit, delete


def test_creating_a_cadre_through_the_form_registers_it_and_records_the_audit_trail(client, users, tree):
    login(client, users, Role.STAFF)
    response = client.post(reverse("cadres:create"), cadre_post_data(tree["town_a"]))
    cadre = Cadre.objects.get(name="王五")
    assert response.status_code == 302
    assert response["Location"] == reverse("cadres:detail", args=[cadre.pk])
    assert cadre.unit == tree["town_a"]
    entry = AuditEntry.objects.get(model="cadres.cadre", object_id=str(cadre.pk))
    assert entry.action == "create"
    assert entry.actor == users[Role.STAFF]
    assert "已登记干部“王五”" in client.get(response["Location"]).content.decode()


def test_an_id_number_with_a_wrong_check_digit_is_explained_and_nothing_is_written(client, users, tree):
    data = cadre_post_data(tree["town_a"])
    good = data["id_number"]
    data["id_number"] = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = login(client, users, Role.STAFF).post(reverse("cadres:create"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "身份证号校验位不正确" in html
    assert "提交未成功" in html
    assert not Cadre.objects.filter(name="王五").exists()
    assert not AuditEntry.objects.exists()


def test_a_missing_name_is_reported_in_chinese_next_to_the_field(client, users, tree):
    response = login(client, users, Role.STAFF).post(
        reverse("cadres:create"), cadre_post_data(tree["town_a"], name="")
    )
    assert "该字段是必填项" in response.content.decode()
    assert not Cadre.objects.exists()


def test_the_unit_select_offers_only_units_in_the_users_county(client, users, tree):
    html = login(client, users, Role.STAFF).get(reverse("cadres:create")).content.decode()
    assert "甲镇" in html
    assert "乙镇" not in html


def test_a_cadre_cannot_be_registered_in_a_unit_of_another_county(client, users, tree):
    response = login(client, users, Role.STAFF).post(
        reverse("cadres:create"), cadre_post_data(tree["town_b"])
    )
    assert response.status_code == 200
    assert not Cadre.objects.exists()


def test_editing_a_cadre_shows_old_and_new_values_on_the_profile(client, users, cadre_a):
    login(client, users, Role.STAFF)
    data = cadre_form_data(cadre_a, post_title="镇长", status=CadreStatus.FRONTLINE, reason="职务调整")
    response = client.post(reverse("cadres:edit", args=[cadre_a.pk]), data)
    assert response.status_code == 302
    cadre_a.refresh_from_db()
    assert cadre_a.post_title == "镇长"
    html = client.get(reverse("cadres:detail", args=[cadre_a.pk])).content.decode()
    assert "现任职务" in html
    assert "副镇长" in html and "镇长" in html
    assert "在岗" in html and "一线锻炼" in html  # choice labels, not codes
    assert "职务调整" in html


def test_an_invalid_edit_keeps_the_stored_record(client, users, cadre_a):
    login(client, users, Role.STAFF)
    data = cadre_form_data(cadre_a, party_join_date="1975-01-01")
    response = client.post(reverse("cadres:edit", args=[cadre_a.pk]), data)
    assert response.status_code == 200
    assert "入党时应年满18周岁" in response.content.decode()
    cadre_a.refresh_from_db()
    assert cadre_a.party_join_date == datetime.date(2003, 7, 1)


@pytest.mark.parametrize("role", READ_ONLY)
def test_read_only_roles_cannot_post_an_edit(client, users, cadre_a, role):
    data = cadre_form_data(cadre_a, post_title="镇长")
    response = login(client, users, role).post(reverse("cadres:edit", args=[cadre_a.pk]), data)
    assert response.status_code == 403
    cadre_a.refresh_from_db()
    assert cadre_a.post_title == "副镇长"


def test_auditor_sees_the_audit_trail_on_the_profile_with_id_numbers_masked(client, users, cadre_a):
    login(client, users, Role.STAFF)
    new_id = idnumber.make("430122", cadre_a.birth_date, 13)
    client.post(reverse("cadres:edit", args=[cadre_a.pk]), cadre_form_data(cadre_a, id_number=new_id))
    html = (
        login(client, users, Role.AUDITOR).get(reverse("cadres:detail", args=[cadre_a.pk])).content.decode()
    )
    assert "全程纪实" in html
    assert idnumber.mask(new_id) in html
    assert new_id not in html


def test_county_admin_does_not_see_the_audit_trail_on_the_profile(client, users, cadre_a):
    html = login(client, users, Role.COUNTY_ADMIN).get(reverse("cadres:detail", args=[cadre_a.pk]))
    assert "全程纪实" not in html.content.decode().split("<main")[1]


def test_deleting_a_cadre_requires_a_reason(client, users, cadre_a):
    response = login(client, users, Role.STAFF).post(
        reverse("cadres:delete", args=[cadre_a.pk]), {"reason": ""}
    )
    assert response.status_code == 200
    assert "请填写删除原因" in response.content.decode()
    assert Cadre.objects.filter(pk=cadre_a.pk).exists()


def test_deleting_a_cadre_with_a_reason_removes_it_and_records_the_reason(client, users, cadre_a):
    login(client, users, Role.STAFF)
    assert "确认删除" in client.get(reverse("cadres:delete", args=[cadre_a.pk])).content.decode()
    response = client.post(reverse("cadres:delete", args=[cadre_a.pk]), {"reason": "重复录入"})
    assert response.status_code == 302
    assert not Cadre.objects.filter(pk=cadre_a.pk).exists()
    assert AuditEntry.objects.get(model="cadres.cadre", action="delete").reason == "重复录入"


def test_a_team_member_cannot_be_deleted_and_the_page_says_why(client, users, cadre_a, tree):
    TeamMembership.objects.create(unit=tree["town_a"], cadre=cadre_a, role_title="党委书记")
    response = login(client, users, Role.STAFF).post(
        reverse("cadres:delete", args=[cadre_a.pk]), {"reason": "调离"}
    )
    assert response.status_code == 200
    assert "请先在单位页面将其移出班子" in response.content.decode()
    assert Cadre.objects.filter(pk=cadre_a.pk).exists()


# ---------------------------------------------------------------- education and post history


def test_adding_an_education_entry_shows_it_on_the_profile(client, users, cadre_a):
    login(client, users, Role.STAFF)
    response = client.post(
        reverse("cadres:history_add", args=[cadre_a.pk, "education"]),
        {
            "level": "postgraduate",
            "degree": "硕士",
            "school": "中南大学",
            "major": "公共管理",
            "mode": "in_service",
            "start_date": "2010-09-01",
            "end_date": "2013-06-30",
        },
    )
    assert response.status_code == 302
    assert Education.objects.get(cadre=cadre_a).school == "中南大学"
    html = client.get(reverse("cadres:detail", args=[cadre_a.pk])).content.decode()
    assert "中南大学" in html and "在职教育" in html


def test_an_education_ending_before_it_starts_is_rejected(client, users, cadre_a):
    response = login(client, users, Role.STAFF).post(
        reverse("cadres:history_add", args=[cadre_a.pk, "education"]),
        {
            "level": "bachelor",
            "school": "湖南大学",
            "mode": "full_time",
            "start_date": "2010-09-01",
            "end_date": "2009-06-30",
        },
    )
    assert response.status_code == 200
    assert "毕业时间不能早于入学时间" in response.content.decode()
    assert not Education.objects.exists()


def test_a_post_in_a_system_unit_takes_the_unit_name_and_shows_a_first_secretary_badge(
    client, users, cadre_a, tree
):
    login(client, users, Role.STAFF)
    response = client.post(
        reverse("cadres:history_add", args=[cadre_a.pk, "post"]),
        {
            "unit": tree["town_a"].pk,
            "unit_name": "",
            "title": "驻村第一书记",
            "kind": PostKind.FIRST_SECRETARY,
            "start_date": "2018-03-01",
            "end_date": "2020-03-01",
        },
    )
    assert response.status_code == 302
    assert PostRecord.objects.get(cadre=cadre_a).unit_name == "甲镇"
    html = client.get(reverse("cadres:detail", args=[cadre_a.pk])).content.decode()
    assert "badge-secretary" in html


def test_a_post_needs_a_unit_or_a_unit_name(client, users, cadre_a):
    response = login(client, users, Role.STAFF).post(
        reverse("cadres:history_add", args=[cadre_a.pk, "post"]),
        {"unit": "", "unit_name": "", "title": "科员", "kind": "regular", "start_date": "2005-01-01"},
    )
    assert "请选择任职单位，或填写系统外单位名称" in response.content.decode()
    assert not PostRecord.objects.exists()


def test_editing_and_deleting_a_post_entry(client, users, cadre_a):
    post = PostRecordFactory(cadre=cadre_a)
    login(client, users, Role.STAFF)
    url = reverse("cadres:history_edit", args=[cadre_a.pk, "post", post.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "unit_name": "某镇人民政府",
            "title": "副镇长",
            "kind": "township_frontline",
            "start_date": "2002-07-01",
        },
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.title == "副镇长"
    client.post(reverse("cadres:history_delete", args=[cadre_a.pk, "post", post.pk]))
    assert not PostRecord.objects.exists()
    assert AuditEntry.objects.filter(model="cadres.postrecord", action="delete").count() == 1


def test_history_of_a_cadre_in_another_county_is_not_found(client, users, cadre_b):
    education = EducationFactory(cadre=cadre_b)
    login(client, users, Role.STAFF)
    url = reverse("cadres:history_edit", args=[cadre_b.pk, "education", education.pk])
    assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("cadres:history_delete", args=[cadre_b.pk, "education", education.pk])
        ).status_code
        == 404
    )
    assert Education.objects.filter(pk=education.pk).exists()


@pytest.mark.parametrize("role", READ_ONLY)
def test_read_only_roles_cannot_delete_history(client, users, cadre_a, role):
    education = EducationFactory(cadre=cadre_a)
    response = login(client, users, role).post(
        reverse("cadres:history_delete", args=[cadre_a.pk, "education", education.pk])
    )
    assert response.status_code == 403
    assert Education.objects.filter(pk=education.pk).exists()


# ---------------------------------------------------------------- the list


@pytest.mark.parametrize("role", Role.values)
def test_the_list_shows_full_id_numbers_only_to_roles_that_need_them(client, users, cadre_a, role):
    html = login(client, users, role).get(reverse("cadres:list")).content.decode()
    assert cadre_a.masked_id_number in html or cadre_a.id_number in html
    if users[role].can("view_id_number"):
        assert cadre_a.id_number in html
    else:
        assert cadre_a.id_number not in html
        assert cadre_a.masked_id_number in html


def test_the_list_shows_only_cadres_in_the_users_county(client, users, cadre_a, cadre_b):
    html = login(client, users, Role.STAFF).get(reverse("cadres:list")).content.decode()
    assert "张三" in html
    assert "李四" not in html


def test_city_staff_sees_both_counties(client, users, cadre_a, cadre_b):
    html = login(client, users, "city_staff").get(reverse("cadres:list")).content.decode()
    assert "张三" in html and "李四" in html


def test_filtering_by_unit_includes_its_subtree(client, users, tree, cadre_a, cadre_b):
    county_cadre = CadreFactory(unit=tree["county_a"], name="县直干部")
    html = (
        login(client, users, "city_staff")
        .get(reverse("cadres:list"), {"unit": tree["county_a"].pk})
        .content.decode()
    )
    assert "张三" in html and "县直干部" in html
    assert "李四" not in html
    town = login(client, users, "city_staff").get(reverse("cadres:list"), {"unit": tree["town_a"].pk})
    assert county_cadre.name not in town.content.decode()


def test_filtering_by_kind_and_status(client, users, tree):
    CadreFactory(unit=tree["town_a"], name="一般甲", kind=CadreKind.GENERAL, rank="staff")
    CadreFactory(unit=tree["town_a"], name="召回乙", status=CadreStatus.RECALLED)
    login(client, users, Role.STAFF)
    by_kind = client.get(reverse("cadres:list"), {"kind": CadreKind.GENERAL}).content.decode()
    assert "一般甲" in by_kind and "召回乙" not in by_kind
    by_status = client.get(reverse("cadres:list"), {"status": CadreStatus.RECALLED}).content.decode()
    assert "召回乙" in by_status and "一般甲" not in by_status


def test_filtering_by_name_contains(client, users, tree):
    CadreFactory(unit=tree["town_a"], name="欧阳明")
    CadreFactory(unit=tree["town_a"], name="李华")
    html = login(client, users, Role.STAFF).get(reverse("cadres:list"), {"name": "阳"}).content.decode()
    assert "欧阳明" in html and "李华" not in html


def test_filtering_by_age_range(client, users, tree):
    today = timezone.localdate()
    CadreFactory(
        unit=tree["town_a"],
        name="年轻人",
        birth_date=datetime.date(today.year - 30, 1, 1),
        work_start_date=datetime.date(today.year - 8, 1, 1),
        party_join_date=None,
        political_status="masses",
    )
    CadreFactory(unit=tree["town_a"], name="老同志", birth_date=datetime.date(today.year - 56, 1, 1))
    login(client, users, Role.STAFF)
    young = client.get(reverse("cadres:list"), {"age_min": 25, "age_max": 35}).content.decode()
    assert "年轻人" in young and "老同志" not in young
    old = client.get(reverse("cadres:list"), {"age_min": 50}).content.decode()
    assert "老同志" in old and "年轻人" not in old


def test_a_reversed_age_range_is_explained(client, users, tree):
    html = login(client, users, Role.STAFF).get(reverse("cadres:list"), {"age_min": 50, "age_max": 30})
    assert "最大年龄不能小于最小年龄" in html.content.decode()


def test_the_list_pages_by_fifty_and_page_links_keep_the_filters(client, users, tree):
    CadreFactory.create_batch(60, unit=tree["town_a"], kind=CadreKind.GENERAL, rank="staff")
    login(client, users, Role.STAFF)
    first = client.get(reverse("cadres:list"), {"kind": CadreKind.GENERAL})
    assert len(first.context["page"].object_list) == 50
    html = first.content.decode()
    assert "共 60 条" in html
    assert "?kind=general&amp;page=2" in html
    second = client.get(reverse("cadres:list"), {"kind": CadreKind.GENERAL, "page": 2})
    assert len(second.context["page"].object_list) == 10


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_the_same_queries_for_3_or_30_cadres(
    client, users, tree, count, django_assert_num_queries
):
    CadreFactory.create_batch(count, unit=tree["town_a"])
    login(client, users, Role.STAFF)
    # session, user, user's unit (scope), units for the filter select, COUNT for the pager, the page
    # rows, the audit entry recording that staff were shown full ID numbers
    with django_assert_num_queries(7):
        response = client.get(reverse("cadres:list"))
    assert response.status_code == 200


# ---------------------------------------------------------------- units and teams


def test_the_unit_tree_shows_the_users_subtree_with_cadre_counts_and_main_leader(
    client, users, tree, cadre_a, cadre_b
):
    TeamMembership.objects.create(
        unit=tree["town_a"], cadre=cadre_a, role_title="党委书记", is_main_leader=True
    )
    response = login(client, users, Role.STAFF).get(reverse("cadres:units"))
    html = response.content.decode()
    assert "甲县" in html and "甲镇" in html
    assert "乙县" not in html and "乙镇" not in html
    units = {u.name: u for u in response.context["units"]}
    assert units["甲县"].total == 1 and units["甲县"].direct == 0
    assert units["甲镇"].main_leader.cadre == cadre_a


@pytest.mark.parametrize("count", [3, 30])
def test_the_unit_tree_costs_the_same_queries_for_3_or_30_units(
    client, users, tree, count, django_assert_num_queries
):
    from tests.factories import unit_child

    for i in range(count):
        village = unit_child(tree["town_a"], f"C01A01{i:03d}", f"村{i}", "village")
        member = CadreFactory(unit=village)
        TeamMembership.objects.create(unit=village, cadre=member, role_title="村支书", is_main_leader=True)
    login(client, users, Role.STAFF)
    # session, user, user's unit (scope), units with their cadre COUNT, main leaders with their cadres
    with django_assert_num_queries(5):
        response = client.get(reverse("cadres:units"))
    assert response.status_code == 200


def test_a_unit_of_another_county_is_not_found(client, users, tree):
    login(client, users, Role.STAFF)
    assert client.get(reverse("cadres:unit_detail", args=[tree["county_b"].pk])).status_code == 404
    assert client.get(reverse("cadres:unit_edit", args=[tree["county_b"].pk])).status_code == 404


def test_creating_a_child_unit_from_the_parent_page(client, users, tree):
    login(client, users, Role.STAFF)
    form = client.get(reverse("cadres:unit_create"), {"parent": tree["county_a"].pk})
    assert form.status_code == 200
    assert form.context["form"].initial["parent"] == tree["county_a"]
    response = client.post(
        reverse("cadres:unit_create") + f"?parent={tree['county_a'].pk}",
        {"parent": tree["county_a"].pk, "code": "C01A02", "name": "乙镇二", "kind": "township"},
    )
    unit = Unit.objects.get(code="C01A02")
    assert response.status_code == 302
    assert Unit.objects.get_parent(unit) == tree["county_a"]
    assert AuditEntry.objects.filter(model="cadres.unit", object_id=str(unit.pk), action="create").exists()


def test_a_unit_kind_that_does_not_fit_under_its_parent_is_explained(client, users, tree):
    response = login(client, users, Role.STAFF).post(
        reverse("cadres:unit_create"),
        {"parent": tree["town_a"].pk, "code": "X1", "name": "某县", "kind": "county"},
    )
    assert response.status_code == 200
    assert "下不能设立" in response.content.decode()
    assert not Unit.objects.filter(code="X1").exists()


def test_a_duplicate_unit_code_is_explained(client, users, tree):
    response = login(client, users, Role.STAFF).post(
        reverse("cadres:unit_create"),
        {"parent": tree["county_a"].pk, "code": "C01A01", "name": "重复", "kind": "township"},
    )
    assert "已被使用" in response.content.decode()


def test_editing_a_unit_renames_it(client, users, tree):
    login(client, users, Role.STAFF)
    response = client.post(
        reverse("cadres:unit_edit", args=[tree["town_a"].pk]), {"code": "C01A01", "name": "甲街道"}
    )
    assert response.status_code == 302
    tree["town_a"].refresh_from_db()
    assert tree["town_a"].name == "甲街道"


@pytest.mark.parametrize("role", READ_ONLY)
def test_read_only_roles_cannot_create_or_edit_units(client, users, tree, role):
    login(client, users, role)
    assert client.get(reverse("cadres:unit_create")).status_code == 403
    assert client.get(reverse("cadres:unit_edit", args=[tree["town_a"].pk])).status_code == 403
    html = client.get(reverse("cadres:unit_detail", args=[tree["town_a"].pk])).content.decode()
    assert "增加班子成员" not in html


def test_adding_team_members_setting_the_main_leader_and_removing_one(client, users, tree, cadre_a):
    deputy = CadreFactory(unit=tree["town_a"], name="赵六")
    login(client, users, Role.STAFF)
    url = reverse("cadres:team_add", args=[tree["town_a"].pk])
    client.post(url, {"cadre": cadre_a.pk, "role_title": "党委书记", "is_main_leader": "on", "order": 1})
    client.post(url, {"cadre": deputy.pk, "role_title": "党委副书记", "order": 2})
    assert TeamMembership.objects.get(is_main_leader=True).cadre == cadre_a

    member = TeamMembership.objects.get(cadre=deputy)
    client.post(reverse("cadres:team_set_main", args=[tree["town_a"].pk, member.pk]))
    assert TeamMembership.objects.get(is_main_leader=True).cadre == deputy
    html = client.get(reverse("cadres:unit_detail", args=[tree["town_a"].pk])).content.decode()
    assert "主要负责人" in html and "赵六" in html

    client.post(reverse("cadres:team_remove", args=[tree["town_a"].pk, member.pk]))
    assert list(TeamMembership.objects.values_list("cadre__name", flat=True)) == ["张三"]


def test_a_team_member_must_be_a_cadre_of_the_unit_subtree(client, users, tree, cadre_a, cadre_b):
    login(client, users, Role.STAFF)
    page = client.get(reverse("cadres:unit_detail", args=[tree["town_a"].pk])).content.decode()
    assert "李四" not in page
    response = client.post(
        reverse("cadres:team_add", args=[tree["town_a"].pk]), {"cadre": cadre_b.pk, "role_title": "镇长"}
    )
    assert response.status_code == 200
    assert not TeamMembership.objects.exists()


def test_adding_the_same_member_twice_is_explained(client, users, tree, cadre_a):
    login(client, users, Role.STAFF)
    url = reverse("cadres:team_add", args=[tree["town_a"].pk])
    client.post(url, {"cadre": cadre_a.pk, "role_title": "党委书记"})
    response = client.post(url, {"cadre": cadre_a.pk, "role_title": "镇长"})
    assert "该干部已是本单位领导班子成员" in response.content.decode()
    assert TeamMembership.objects.count() == 1


@pytest.mark.parametrize("role", READ_ONLY)
def test_read_only_roles_cannot_change_a_team(client, users, tree, cadre_a, role):
    member = TeamMembership.objects.create(unit=tree["town_a"], cadre=cadre_a, role_title="党委书记")
    login(client, users, role)
    assert (
        client.post(reverse("cadres:team_set_main", args=[tree["town_a"].pk, member.pk])).status_code == 403
    )
    assert client.post(reverse("cadres:team_remove", args=[tree["town_a"].pk, member.pk])).status_code == 403
    member.refresh_from_db()
    assert not member.is_main_leader
