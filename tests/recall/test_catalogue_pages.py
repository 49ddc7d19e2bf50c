"""记分 pages, the 惰政情形 catalogue (edited only by users whose scope is the whole tree) and a
unit's 负面清单."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEntry
from recall.models import NegativeListEntry, PointRecord, RecallCase, Situation, SituationGroup
from tests.factories import CadreFactory


@pytest.fixture(autouse=True)
def day(clock):
    return clock.set("2026-06-15")


@pytest.fixture
def staff(users):
    return users[Role.STAFF]


# ---------------------------------------------------------------- 记分


def record(client, cadre, code, on="2026-06-10"):
    return client.post(
        reverse("recall:point_create"),
        {
            "cadre": cadre.pk,
            "situation": Situation.objects.get(code=code).pk,
            "occurred_on": on,
            "detail": "督查发现",
        },
    )


def test_recording_points_lists_them(client, staff, cadre_a):
    client.force_login(staff)
    assert client.get(reverse("recall:point_create"), {"cadre": cadre_a.pk}).status_code == 200
    response = record(client, cadre_a, "S01")
    assert response.status_code == 302
    assert PointRecord.objects.get(cadre=cadre_a).points == 2
    page = client.get(response["Location"]).content.decode()
    assert "已为“张三”记2分" in page and "不准上班迟到早退" in page


def test_reaching_the_threshold_says_a_recall_was_proposed_with_a_link(client, staff, cadre_a):
    client.force_login(staff)
    record(client, cadre_a, "P06", on="2026-05-01")  # 6 points
    response = record(client, cadre_a, "S06", on="2026-06-01")  # 6 more: 12, the default threshold
    case = RecallCase.objects.get(cadre=cadre_a)
    page = client.get(response["Location"]).content.decode()
    assert "系统已自动提议召回" in page
    assert f'href="{reverse("recall:case_detail", args=[case.pk])}"' in page


def test_a_point_in_the_future_is_refused_on_its_field(client, staff, cadre_a):
    client.force_login(staff)
    response = record(client, cadre_a, "S01", on="2026-07-01")
    assert response.status_code == 200
    assert response.context["form"].errors["occurred_on"] == ["发生日期不能晚于今天。"]


def test_the_point_list_filters_and_stays_in_scope(client, users, staff, tree, cadre_a, cadre_b):
    client.force_login(staff)
    record(client, cadre_a, "S01")
    record(client, CadreFactory(unit=tree["county_a"], name="王五"), "C01", on="2026-03-01")
    client.force_login(users["city_staff"])
    record(client, cadre_b, "S01")
    client.force_login(staff)
    url = reverse("recall:points")

    def names(query):
        return sorted(r.cadre.name for r in client.get(url, query).context["page"])

    assert names({}) == ["张三", "王五"]
    assert names({"group": SituationGroup.CANNOT}) == ["王五"]
    assert names({"unit": tree["town_a"].pk}) == ["张三"]
    assert names({"name": "王"}) == ["王五"]
    assert names({"date_from": "2026-04-01"}) == ["张三"]
    assert names({"date_to": "2026-04-01"}) == ["王五"]


@pytest.mark.parametrize("count", [3, 30])
def test_the_point_list_costs_the_same_queries_for_3_or_30(
    client, staff, tree, count, django_assert_num_queries
):
    client.force_login(staff)
    for n in range(count):
        record(client, CadreFactory(unit=tree["town_a"], name=f"干部{n}"), "S01")
    # session, user, the user's unit (scope), units for the filter select, COUNT for the
    # paginator, the page of records (with cadre, situation, recorder and unit label)
    with django_assert_num_queries(6):
        response = client.get(reverse("recall:points"))
    assert response.context["page"].paginator.count == count


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.COUNTY_ADMIN])
def test_roles_without_recall_rights_read_points_but_do_not_record(client, users, cadre_a, role):
    client.force_login(users[role])
    assert client.get(reverse("recall:points")).status_code == 200
    assert record(client, cadre_a, "S01").status_code == 403
    assert not PointRecord.objects.exists()


# ---------------------------------------------------------------- the catalogue


@pytest.mark.parametrize("role", [Role.STAFF, Role.HEAD, Role.AUDITOR])
def test_the_catalogue_lists_the_five_groups(client, users, role):
    client.force_login(users[role])
    response = client.get(reverse("recall:catalogue"))
    groups = response.context["groups"]
    assert [g["label"] for g in groups] == [label for _, label in SituationGroup.choices]
    assert sum(len(g["situations"]) for g in groups) == Situation.objects.count()
    assert "严禁搞团团伙伙" in response.content.decode()


def test_only_a_user_whose_scope_is_the_whole_tree_edits_the_catalogue(client, users):
    situation = Situation.objects.get(code="S01")
    client.force_login(users[Role.STAFF])  # 甲县: not the whole tree
    assert client.get(reverse("recall:catalogue")).context["can_edit"] is False
    assert client.get(reverse("recall:situation_edit", args=[situation.pk])).status_code == 403
    client.force_login(users["city_staff"])  # 示范市, the one root: the whole tree
    assert client.get(reverse("recall:catalogue")).context["can_edit"] is True
    response = client.post(
        reverse("recall:situation_edit", args=[situation.pk]),
        {
            "group": "style",
            "code": "S01",
            "name": situation.name,
            "points": "3",
            "cause": "lax",
            "active": "on",
        },
    )
    assert response.status_code == 302
    situation.refresh_from_db()
    assert situation.points == 3
    assert AuditEntry.objects.filter(model="recall.situation", object_id=str(situation.pk)).exists()


def test_a_new_situation_needs_a_code_no_other_has(client, users):
    client.force_login(users["city_staff"])
    data = {"group": "lax", "code": "L01", "name": "新情形", "points": "2", "cause": "lax", "active": "on"}
    response = client.post(reverse("recall:situation_create"), data)
    assert response.context["form"].errors["code"] == ["编号 L01 已被其他情形使用。"]
    client.post(reverse("recall:situation_create"), {**data, "code": "L06"})
    assert Situation.objects.get(code="L06").order > Situation.objects.get(code="L05").order


# ---------------------------------------------------------------- 负面清单


def test_a_unit_names_situations_in_its_negative_list_and_its_subtree_inherits_them(client, staff, tree):
    s01 = Situation.objects.get(code="S01")
    client.force_login(staff)
    url = reverse("recall:negative_list")
    assert client.get(url).context["unit"] == tree["county_a"]  # the user's own unit
    response = client.post(
        reverse("recall:negative_add") + f"?unit={tree['county_a'].pk}", {"situation": s01.pk}
    )
    assert response.status_code == 302
    again = client.post(
        reverse("recall:negative_add") + f"?unit={tree['county_a'].pk}", {"situation": s01.pk}
    )
    assert again.context["form"].errors["situation"] == ["该情形已在本单位负面清单中。"]
    town = client.get(url, {"unit": tree["town_a"].pk}).context
    assert town["own"] == [] and [e.situation for e in town["inherited"]] == [s01]
    entry = NegativeListEntry.objects.get()
    client.post(reverse("recall:negative_remove", args=[entry.pk]))
    assert not NegativeListEntry.objects.exists()


def test_an_inherited_entry_does_not_name_a_unit_above_the_users_scope(client, users, tree):
    s01 = Situation.objects.get(code="S01")
    client.force_login(users["city_staff"])
    client.post(
        reverse("recall:negative_add") + f"?unit={tree['city'].pk}", {"situation": s01.pk}, follow=True
    )
    client.force_login(users[Role.STAFF])
    page = client.get(reverse("recall:negative_list")).content.decode()
    assert "上级单位" in page and "示范市" not in page


def test_a_negative_list_outside_the_scope_is_not_found(client, staff, tree):
    client.force_login(staff)
    assert client.get(reverse("recall:negative_list"), {"unit": tree["county_b"].pk}).status_code == 404
    response = client.post(
        reverse("recall:negative_add") + f"?unit={tree['county_b'].pk}",
        {"situation": Situation.objects.get(code="S01").pk},
    )
    assert response.status_code == 404 and not NegativeListEntry.objects.exists()


def test_an_auditor_reads_a_negative_list_but_does_not_change_it(client, users, tree):
    client.force_login(users[Role.AUDITOR])
    response = client.get(reverse("recall:negative_list"))
    assert response.status_code == 200 and response.context["form"] is None
    add = client.post(
        reverse("recall:negative_add") + f"?unit={tree['county_a'].pk}",
        {"situation": Situation.objects.get(code="S01").pk},
    )
    assert add.status_code == 403


def test_the_catalogue_page_takes_a_fixed_number_of_queries(client, staff, django_assert_num_queries):
    client.force_login(staff)
    # session, user, the user's unit (scope), the situations, whether any unit lies outside the
    # user's scope (may edit), the units for the negative-list picker
    with django_assert_num_queries(6):
        response = client.get(reverse("recall:catalogue"))
    assert response.context["total"] == Situation.objects.count()


@pytest.mark.parametrize("count", [1, 10])
def test_the_negative_list_page_costs_the_same_queries_for_1_or_10_entries(
    client, staff, tree, count, django_assert_num_queries
):
    for situation in Situation.objects.order_by("id")[:count]:
        NegativeListEntry.objects.create(unit=tree["county_a"], situation=situation)
        NegativeListEntry.objects.create(unit=tree["town_a"], situation=situation)
    client.force_login(staff)
    # session, user, the user's unit (scope), the unit asked for (with its label), its entries
    # and its ancestors' (with situation and unit), the units for the picker, the situations
    # for the add form
    with django_assert_num_queries(7):
        response = client.get(reverse("recall:negative_list"), {"unit": tree["town_a"].pk})
    assert len(response.context["own"]) == count and len(response.context["inherited"]) == count
