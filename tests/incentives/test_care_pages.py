"""The 关爱 pages: the records list with its filters and the pay figures of the CARE rule, the
add/edit/delete forms, the 关爱提醒 list per unit, hardship posts, departed village cadres and the
subsidy payment; the profile's sections, the timeline and 待办; the 审批理由 field of the cadre
form, for heads only. Scope and roles."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.roles import Role
from cadres.models import Cadre, CadreKind, Identity, Rank, UnitKind
from incentives import services_care as services
from incentives.models import CareKind, CareRecord, DepartedVillageCadre, HardshipPost
from tests.factories import CadreFactory, unit_child


@pytest.fixture
def day(clock):
    return clock.set("2026-06-15")


@pytest.fixture
def staff(users):
    return users[Role.STAFF]


@pytest.fixture
def village(tree):
    return unit_child(tree["town_a"], "C01A0101", "甲村", UnitKind.VILLAGE)


def village_cadre(unit, name="老村长"):
    return CadreFactory(
        unit=unit,
        name=name,
        kind=CadreKind.VILLAGE,
        rank=Rank.NONE,
        identity=Identity.VILLAGE,
        post_title="村主任",
    )


def talk(staff, cadre, day="2026-05-01", kind=CareKind.TALK, **extra):
    return services.care_record_create(
        actor=staff, cadre=cadre, kind=kind, date=day, content=extra.pop("content", "谈心谈话"), **extra
    )


# --------------------------------------------------------------------------- the records list


def test_the_list_shows_records_and_the_pay_figures(client, day, staff, cadre_a):
    talk(staff, cadre_a, content="了解家庭困难")
    client.force_login(staff)
    page = client.get(reverse("incentives:care")).content.decode()
    assert "了解家庭困难" in page and "张三" in page
    assert "18900" in page and "23300" in page  # 村干部 / 社区干部报酬, from the CARE rule


def test_the_list_filters_by_kind_year_unit_and_name(client, day, staff, tree, cadre_a):
    other = CadreFactory(unit=tree["county_a"], name="赵六")
    talk(staff, cadre_a, "2026-05-01")
    talk(staff, cadre_a, "2025-05-01", kind=CareKind.HEALTH_CHECK)
    talk(staff, other, "2026-05-02")
    client.force_login(staff)

    def count(**query):
        return client.get(reverse("incentives:care"), query).context["page"].paginator.count

    assert count() == 3
    assert count(kind="health_check") == 1
    assert count(year="2026") == 2
    assert count(unit=tree["town_a"].pk) == 2
    assert count(name="赵") == 1
    assert count(cadre=cadre_a.pk) == 2


def test_a_cadre_outside_the_scope_in_the_filter_is_404(client, day, staff, cadre_b):
    client.force_login(staff)
    assert client.get(reverse("incentives:care"), {"cadre": cadre_b.pk}).status_code == 404


def test_the_list_of_another_county_is_not_shown(client, day, users, cadre_a, cadre_b):
    talk(users["city_staff"], cadre_b, content="乙县的谈话")
    client.force_login(users[Role.STAFF])
    assert "乙县的谈话" not in client.get(reverse("incentives:care")).content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_the_records_list_costs_the_same_queries_for_3_or_30(
    client, day, staff, tree, count, django_assert_num_queries
):
    for n in range(count):
        talk(staff, CadreFactory(unit=tree["town_a"], name=f"干部{n:02d}"))
    client.force_login(staff)
    # session, user, the user's unit (scope), units for the filter select, the CARE rules for the
    # pay figures, COUNT for the paginator, the page of records (cadre, creator, unit label)
    with django_assert_num_queries(7):
        response = client.get(reverse("incentives:care"))
    assert response.context["page"].paginator.count == count


# --------------------------------------------------------------------------- add, edit, delete


def test_staff_record_a_visit_through_the_picker(client, day, staff, cadre_a):
    client.force_login(staff)
    response = client.post(
        reverse("incentives:care_create"),
        {
            "cadre_query": "张三",
            "kind": "visit",
            "occasion": "july_first",
            "date": "2026-06-01",
            "amount": "500",
            "content": "七一走访慰问",
        },
    )
    assert response.status_code == 302
    made = CareRecord.objects.get()
    assert (made.cadre, made.occasion, made.amount) == (cadre_a, "july_first", Decimal("500"))


def test_a_refused_record_shows_the_message_on_its_field_and_writes_nothing(client, day, staff, cadre_a):
    client.force_login(staff)
    response = client.post(
        reverse("incentives:care_create") + f"?cadre={cadre_a.pk}",
        {"cadre": cadre_a.pk, "kind": "leave", "date": "2026-06-01", "content": "休假"},
    )
    assert response.status_code == 200
    assert "休假天数" in response.context["form"].errors["days"][0]
    assert not CareRecord.objects.exists()


def test_a_future_date_is_refused_on_the_form(client, day, staff, cadre_a):
    client.force_login(staff)
    response = client.post(
        reverse("incentives:care_create"),
        {"cadre": cadre_a.pk, "kind": "talk", "date": "2026-06-16", "content": "谈话"},
    )
    assert "不能晚于今天" in response.context["form"].errors["date"][0]


def test_read_only_roles_may_not_open_the_form(client, day, users):
    for role in (Role.AUDITOR, Role.API_READER, Role.COUNTY_ADMIN):
        client.force_login(users[role])
        assert client.get(reverse("incentives:care_create")).status_code == 403


def test_a_record_is_edited_and_deleted(client, day, staff, cadre_a):
    made = talk(staff, cadre_a)
    client.force_login(staff)
    assert client.get(reverse("incentives:care_edit", args=[made.pk])).status_code == 200
    response = client.post(
        reverse("incentives:care_edit", args=[made.pk]),
        {"cadre": cadre_a.pk, "kind": "talk", "date": "2026-05-02", "content": "改过的内容"},
    )
    assert response.status_code == 302
    made.refresh_from_db()
    assert (made.date, made.content) == (datetime.date(2026, 5, 2), "改过的内容")
    assert client.post(reverse("incentives:care_delete", args=[made.pk])).status_code == 302
    assert not CareRecord.objects.exists()


def test_a_record_of_another_county_is_404(client, day, users, cadre_b):
    made = talk(users["city_staff"], cadre_b)
    client.force_login(users[Role.STAFF])
    assert client.get(reverse("incentives:care_edit", args=[made.pk])).status_code == 404
    assert client.post(reverse("incentives:care_delete", args=[made.pk])).status_code == 404
    assert CareRecord.objects.exists()


# --------------------------------------------------------------------------- care due


def test_the_due_page_counts_each_kind_and_lists_the_cadres(client, day, staff, tree, cadre_a):
    services.hardship_post_designate(actor=staff, unit=tree["town_a"])
    client.force_login(staff)
    response = client.get(reverse("incentives:care_due"))
    page = response.content.decode()
    counts = {key: n for key, _, n in response.context["counts"]}
    assert counts == {"hardship_visit": 1, "health_check": 1, "leave": 1, "subsidy": 0}
    assert "艰苦边远岗位（甲镇）干部2026年走访慰问 0 次，应不少于 1 次" in page
    assert "登记走访" in page
    only = client.get(reverse("incentives:care_due"), {"kind": "leave"})
    assert [r.kind for r in only.context["page"]] == ["leave"]


def test_the_due_page_sums_per_unit_below_the_one_chosen(client, day, staff, tree, village):
    CadreFactory(unit=tree["town_a"])
    CadreFactory(unit=village)
    client.force_login(staff)
    response = client.get(reverse("incentives:care_due"), {"unit": tree["county_a"].pk})
    assert [(line.name, line.total) for line in response.context["by_unit"]] == [("甲镇", 4)]


@pytest.mark.parametrize("count", [3, 30])
def test_the_due_page_costs_the_same_queries_for_3_or_30(
    client, day, staff, tree, count, django_assert_num_queries
):
    for n in range(count):
        CadreFactory(unit=tree["town_a"], name=f"干部{n:02d}")
    client.force_login(staff)
    # session, user, the user's unit, units for the filter select; the care-due list: CARE rules,
    # hardship posts, cadres with this year's counts, departures; the units below for the summary
    with django_assert_num_queries(9):
        response = client.get(reverse("incentives:care_due"))
    assert response.context["page"].paginator.count == 2 * count


# --------------------------------------------------------------------------- hardship posts


def test_staff_designate_and_undesignate_a_hardship_post(client, day, staff, tree):
    client.force_login(staff)
    response = client.post(reverse("incentives:hardship_add"), {"unit": tree["town_a"].pk, "note": "山区"})
    assert response.status_code == 302
    post = HardshipPost.objects.get()
    assert "甲镇" in client.get(reverse("incentives:hardship")).content.decode()
    again = client.post(reverse("incentives:hardship_add"), {"unit": tree["town_a"].pk})
    assert "已认定为艰苦边远岗位" in again.content.decode()
    assert client.post(reverse("incentives:hardship_remove", args=[post.pk])).status_code == 302
    assert not HardshipPost.objects.exists()


def test_a_unit_of_another_county_cannot_be_chosen(client, day, staff, tree):
    client.force_login(staff)
    response = client.post(reverse("incentives:hardship_add"), {"unit": tree["town_b"].pk})
    assert response.status_code == 200 and "unit" in response.context["form"].errors
    assert not HardshipPost.objects.exists()


# --------------------------------------------------------------------------- departed village cadres


def test_a_departure_is_registered_and_its_subsidy_paid(client, day, staff, village):
    cadre = village_cadre(village)
    client.force_login(staff)
    response = client.post(
        reverse("incentives:departed_create"),
        {
            "cadre": cadre.pk,
            "left_on": "2026-02-10",
            "years_served": "12",
            "monthly_subsidy": "300",
            "role_after": "村民小组长",
        },
    )
    departure = DepartedVillageCadre.objects.get()
    assert response["Location"] == reverse("incentives:departed_detail", args=[departure.pk])
    detail = client.get(response["Location"]).content.decode()
    assert "生活补贴 2026年03月至2026年06月 待发放：4 个月，共 1200.00 元" in detail
    listing = client.get(reverse("incentives:departed")).content.decode()
    assert "老村长" in listing and "尚未发放" in listing
    paid = client.post(reverse("incentives:departed_pay", args=[departure.pk]), {"through": "2026-06"})
    assert paid.status_code == 302
    departure.refresh_from_db()
    assert departure.paid_through == datetime.date(2026, 6, 30)
    assert "本发放周期的生活补贴已发放" in client.get(paid["Location"]).content.decode()


def test_a_cadre_who_is_not_a_village_cadre_cannot_depart(client, day, staff, cadre_a):
    client.force_login(staff)
    response = client.post(
        reverse("incentives:departed_create"),
        {"cadre": cadre_a.pk, "left_on": "2026-02-10", "years_served": "12", "monthly_subsidy": "300"},
    )
    assert "不是村（社区）干部" in response.content.decode()
    assert not DepartedVillageCadre.objects.exists()


def test_a_pay_month_in_a_bad_format_is_refused(client, day, staff, village):
    departure = services.departure_register(
        actor=staff, cadre=village_cadre(village), left_on="2026-02-10", years_served=3, monthly_subsidy=100
    )
    client.force_login(staff)
    response = client.post(reverse("incentives:departed_pay", args=[departure.pk]), {"through": "六月"})
    assert response.status_code == 200
    assert "格式不正确" in response.content.decode()


def test_the_role_after_leaving_is_changed_on_the_departed_page(client, day, staff, village):
    departure = services.departure_register(
        actor=staff, cadre=village_cadre(village), left_on="2026-02-10", years_served=3, monthly_subsidy=100
    )
    client.force_login(staff)
    response = client.post(
        reverse("incentives:departed_detail", args=[departure.pk]),
        {
            "years_served": "3",
            "monthly_subsidy": "150",
            "role_after": "监委会主任",
            "paid_through": "2026-04",
        },
    )
    assert response.status_code == 302
    departure.refresh_from_db()
    assert (departure.role_after, departure.monthly_subsidy) == ("监委会主任", Decimal("150"))
    assert departure.paid_through == datetime.date(2026, 4, 30)


# --------------------------------------------------------------------------- the profile, timeline and 待办


def test_the_profile_shows_this_years_care_and_the_timeline_has_it(client, day, staff, cadre_a):
    talk(staff, cadre_a, kind=CareKind.LEAVE, days=5, content="年休假")
    talk(staff, cadre_a, kind=CareKind.VISIT, occasion="spring_festival", content="春节慰问")
    client.force_login(staff)
    response = client.get(reverse("cadres:detail", args=[cadre_a.pk]))
    page = response.content.decode()
    assert "2026年：走访慰问1次，体检0次，休假5天" in page
    assert "春节慰问" in page
    titles = [(e.kind, e.title) for e in response.context["events"]]
    assert ("关爱", "走访慰问（春节）") in titles and ("关爱", "带薪休假 5天") in titles


def test_the_home_page_lists_care_due_for_staff_not_for_heads_or_readers(client, day, users, cadre_a):
    client.force_login(users[Role.STAFF])
    page = client.get(reverse("home")).content.decode()
    assert "本年度未体检：1" in page
    assert reverse("incentives:care_due") + "?kind=health_check" in page
    for role in (Role.HEAD, Role.AUDITOR):
        client.force_login(users[role])
        assert "本年度未体检" not in client.get(reverse("home")).content.decode()


def test_the_hub_has_the_care_cards(client, day, staff):
    client.force_login(staff)
    page = client.get(reverse("incentives:home")).content.decode()
    assert 'data-testid="hub-care"' in page and 'data-testid="hub-care_due"' in page


# --------------------------------------------------------------------------- 审批理由 on the cadre form


def _edit_data(cadre, **changes):
    fields = [
        "name", "gender", "ethnicity", "id_number", "birth_date", "work_start_date", "political_status",
        "party_join_date", "identity", "kind", "rank", "post_title", "post_start_date", "status",
        "township_service_start", "phone", "notes",
    ]  # fmt: skip
    data = {f: getattr(cadre, f) or "" for f in fields}
    data["unit"] = cadre.unit_id
    data.update(changes)
    return data


def test_only_heads_see_the_approval_field(client, day, users, cadre_a):
    client.force_login(users[Role.HEAD])
    assert "审批理由" in client.get(reverse("cadres:edit", args=[cadre_a.pk])).content.decode()
    client.force_login(users[Role.STAFF])
    assert "审批理由" not in client.get(reverse("cadres:edit", args=[cadre_a.pk])).content.decode()


def test_a_transfer_refused_on_the_form_and_approved_by_a_head(client, day, users, tree):
    cadre = CadreFactory(
        unit=tree["town_a"], name="新同志", township_service_start=datetime.date(2025, 6, 16)
    )
    data = _edit_data(cadre, unit=tree["county_a"].pk)
    client.force_login(users[Role.STAFF])
    # a staff user's approval reason is not a field of their form: the move is refused
    response = client.post(reverse("cadres:edit", args=[cadre.pk]), {**data, "approval_reason": "同意"})
    assert response.status_code == 200
    assert "到乡镇工作 11 个月，未满 2 年，不得调出或借调" in response.context["form"].errors["unit"][0]
    assert Cadre.objects.get(pk=cadre.pk).unit_id == tree["town_a"].pk
    client.force_login(users[Role.HEAD])
    response = client.post(
        reverse("cadres:edit", args=[cadre.pk]), {**data, "approval_reason": "抢险救灾需要"}
    )
    assert response.status_code == 302
    assert Cadre.objects.get(pk=cadre.pk).unit_id == tree["county_a"].pk


def test_a_secondment_entry_needs_a_heads_approval_on_the_post_form(client, day, users, tree):
    cadre = CadreFactory(unit=tree["town_a"], township_service_start=datetime.date(2025, 6, 16))
    data = {
        "unit": tree["county_a"].pk,
        "title": "借调县委办",
        "kind": "secondment",
        "start_date": "2026-06-15",
    }
    url = reverse("cadres:history_add", args=[cadre.pk, "post"])
    client.force_login(users[Role.STAFF])
    response = client.post(url, data)
    assert "未满 2 年" in response.context["form"].errors["unit"][0]
    client.force_login(users[Role.HEAD])
    assert "审批理由" in client.get(url).content.decode()
    assert client.post(url, {**data, "approval_reason": "县委统一安排"}).status_code == 302
    assert cadre.posts.get().kind == "secondment"


@pytest.mark.parametrize("count", [2, 12])
def test_the_departed_list_costs_the_same_queries_for_2_or_12(
    client, day, staff, village, count, django_assert_num_queries
):
    for n in range(count):
        services.departure_register(
            actor=staff,
            cadre=village_cadre(village, name=f"离任{n:02d}"),
            left_on="2026-01-10",
            years_served=5,
            monthly_subsidy=100,
        )
    client.force_login(staff)
    # session, user, the user's unit, units for the filter select, COUNT for the paginator, the
    # page of departures (cadre, village, unit label), the CARE rules for what is owed
    with django_assert_num_queries(7):
        response = client.get(reverse("incentives:departed"))
    assert all(d.owed.months == 5 for d in response.context["page"])


@pytest.mark.parametrize("count", [1, 3])
def test_the_hardship_list_costs_the_same_queries_for_1_or_3(
    client, day, staff, tree, village, count, django_assert_num_queries
):
    for unit in [tree["town_a"], village, tree["county_a"]][:count]:
        services.hardship_post_designate(actor=staff, unit=unit)
    client.force_login(staff)
    # session, user, the user's unit, the posts (with the unit label), units for the form's select
    with django_assert_num_queries(5):
        response = client.get(reverse("incentives:hardship"))
    assert len(response.context["posts"]) == count
