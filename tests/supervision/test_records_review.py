"""述职评议 follow-through: a secretary's problem list, quarterly checks, 销号 only with evidence,
and open items carried into the next year's assessment."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from accounts.roles import Role
from audit.models import AuditEntry
from supervision.models import QuarterCheckStatus, ReviewItem, ReviewItemCheck, ReviewItemStatus
from supervision.selectors.records import open_items_carried_over
from supervision.services.records import review_item_check, review_item_close, review_item_create
from tests.factories import CadreFactory
from tests.supervision.conftest import TODAY  # the fixed day every supervision test runs on

EDITORS = {Role.STAFF, Role.HEAD}
READ_ONLY = [r for r in Role.values if r not in EDITORS]
YEAR = TODAY.year
QUARTER = (TODAY.month - 1) // 3 + 1


def login(client, users, role):
    client.force_login(users[role])
    return client


def visible_text(response) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


def add_item(actor, secretary, *, year=YEAR, problem="党员发展程序不规范", deadline=None):
    return review_item_create(
        actor=actor,
        secretary=secretary,
        year=year,
        problem=problem,
        measure="组织专题培训",
        deadline=deadline,
    )


def close(actor, item, evidence="已整改，见党委会议纪要"):
    return review_item_close(actor=actor, item=item, closed_on=TODAY, evidence=evidence)


@pytest.fixture
def item_a(users, cadre_a):
    return add_item(users[Role.STAFF], cadre_a)


@pytest.fixture
def item_b(users, cadre_b):
    return add_item(users["city_staff"], cadre_b, problem="乙县的问题")


def detail_url(cadre, year=YEAR):
    return reverse("supervision:review_detail", args=[cadre.pk, year])


# ---------------------------------------------------------------- the problem list


def test_staff_adds_problems_to_a_secretarys_list_and_sees_the_progress(client, users, cadre_a):
    login(client, users, Role.STAFF)
    response = client.post(
        reverse("supervision:review_item_add", args=[cadre_a.pk, YEAR]),
        {"problem": "三会一课落实不到位", "measure": "建立台账", "deadline": f"{YEAR}-12-31"},
    )
    assert response.status_code == 302
    item = ReviewItem.objects.get()
    assert (item.secretary, item.unit, item.year, item.status) == (
        cadre_a,
        cadre_a.unit,
        YEAR,
        ReviewItemStatus.OPEN,
    )
    text = visible_text(client.get(detail_url(cadre_a)))
    assert "三会一课落实不到位" in text
    assert "已销号 0 / 共 1" in text
    entry = AuditEntry.objects.get(model="supervision.reviewitem")
    assert (entry.action, entry.cadre_id, entry.scope_path) == ("create", cadre_a.pk, cadre_a.unit.path)


def test_a_problem_without_text_is_explained(client, users, cadre_a):
    response = login(client, users, Role.STAFF).post(
        reverse("supervision:review_item_add", args=[cadre_a.pk, YEAR]), {"problem": "", "measure": ""}
    )
    assert "请填写问题" in response.content.decode()
    assert not ReviewItem.objects.exists()


# ---------------------------------------------------------------- quarterly checks


def test_a_quarterly_check_is_recorded_and_shown_with_the_item(client, users, item_a, cadre_a):
    login(client, users, Role.HEAD)
    prefix = f"c{item_a.pk}"
    response = client.post(
        reverse("supervision:review_check_add", args=[item_a.pk]),
        {
            f"{prefix}-year": YEAR,
            f"{prefix}-quarter": QUARTER,
            f"{prefix}-status": "lagging",
            f"{prefix}-note": "未建台账",
        },
    )
    assert response.status_code == 302
    check = ReviewItemCheck.objects.get()
    assert (check.year, check.quarter, check.status, check.checked_by) == (
        YEAR,
        QUARTER,
        QuarterCheckStatus.LAGGING,
        users[Role.HEAD],
    )
    assert "进度滞后" in visible_text(client.get(response["Location"]))
    assert AuditEntry.objects.filter(model="supervision.reviewitemcheck", cadre_id=cadre_a.pk).exists()


def test_an_item_is_checked_once_a_quarter(users, item_a):
    staff = users[Role.STAFF]
    review_item_check(
        actor=staff, item=item_a, year=YEAR, quarter=QUARTER, status=QuarterCheckStatus.ON_TRACK
    )
    with pytest.raises(ValidationError) as exc:
        review_item_check(
            actor=staff, item=item_a, year=YEAR, quarter=QUARTER, status=QuarterCheckStatus.DONE
        )
    assert exc.value.message_dict["quarter"] == [f"该问题{YEAR}年第{QUARTER}季度已检查过，每季度只登记一次。"]


def test_a_quarter_that_has_not_begun_cannot_be_checked(users, cadre_a, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: datetime.date(2026, 5, 10))
    item = add_item(users[Role.STAFF], cadre_a, year=2026)
    with pytest.raises(ValidationError) as exc:
        review_item_check(
            actor=users[Role.STAFF], item=item, year=2026, quarter=3, status=QuarterCheckStatus.ON_TRACK
        )
    assert exc.value.message_dict["quarter"] == ["该季度尚未开始，不能登记检查。"]


def test_a_check_before_the_items_year_is_refused(users, item_a):
    with pytest.raises(ValidationError) as exc:
        review_item_check(actor=users[Role.STAFF], item=item_a, year=YEAR - 1, quarter=4, status="on_track")
    assert "检查年度应在" in exc.value.message_dict["year"][0]


def test_an_item_carried_over_is_checked_in_the_following_year(users, cadre_a):
    item = add_item(users[Role.STAFF], cadre_a, year=YEAR - 1)
    review_item_check(
        actor=users[Role.STAFF], item=item, year=YEAR, quarter=1, status=QuarterCheckStatus.ON_TRACK
    )
    assert item.checks.get().year == YEAR


# ---------------------------------------------------------------- 销号


def test_an_item_is_closed_only_with_evidence(client, users, item_a):
    login(client, users, Role.STAFF)
    prefix = f"x{item_a.pk}"
    url = reverse("supervision:review_item_close", args=[item_a.pk])
    response = client.post(url, {f"{prefix}-closed_on": TODAY.isoformat(), f"{prefix}-evidence": "  "})
    assert "销号须填写佐证材料" in response.content.decode()
    item_a.refresh_from_db()
    assert item_a.status == ReviewItemStatus.OPEN

    response = client.post(
        url, {f"{prefix}-closed_on": TODAY.isoformat(), f"{prefix}-evidence": "党委会议纪要第12期"}
    )
    assert response.status_code == 302
    item_a.refresh_from_db()
    assert (item_a.status, item_a.closed_on, item_a.evidence) == (
        ReviewItemStatus.CLOSED,
        TODAY,
        "党委会议纪要第12期",
    )
    text = visible_text(client.get(response["Location"]))
    assert "已销号 1 / 共 1" in text
    assert "党委会议纪要第12期" in text
    entry = AuditEntry.objects.get(model="supervision.reviewitem", action="update")
    assert entry.changes["status"] == ["open", "closed"]


def test_a_closed_item_cannot_be_closed_again(users, item_a):
    close(users[Role.STAFF], item_a)
    with pytest.raises(ValidationError) as exc:
        close(users[Role.STAFF], item_a, evidence="再次销号")
    assert exc.value.message_dict["evidence"] == [f"该问题已于{TODAY:%Y-%m-%d}销号，不能重复销号。"]


def test_a_closed_item_cannot_be_checked(users, item_a):
    close(users[Role.STAFF], item_a)
    with pytest.raises(ValidationError) as exc:
        review_item_check(actor=users[Role.STAFF], item=item_a, year=YEAR, quarter=QUARTER, status="done")
    assert exc.value.message_dict["status"] == [f"该问题已于{TODAY:%Y-%m-%d}销号，不能再登记季度检查。"]


def test_a_closed_item_shows_no_check_or_close_forms(client, users, item_a, cadre_a):
    close(users[Role.STAFF], item_a)
    html = login(client, users, Role.STAFF).get(detail_url(cadre_a)).content.decode()
    assert reverse("supervision:review_check_add", args=[item_a.pk]) not in html
    assert reverse("supervision:review_item_close", args=[item_a.pk]) not in html


def test_a_close_date_in_the_future_is_refused(users, item_a):
    with pytest.raises(ValidationError) as exc:
        review_item_close(
            actor=users[Role.STAFF], item=item_a, closed_on=TODAY + datetime.timedelta(days=1), evidence="x"
        )
    assert exc.value.message_dict["closed_on"] == ["销号日期不能晚于今天。"]


# ---------------------------------------------------------------- carried over


def test_open_items_of_earlier_years_are_carried_over(users, cadre_a):
    staff = users[Role.STAFF]
    open_old = add_item(staff, cadre_a, year=YEAR - 2, problem="两年前未销号")
    closed_old = add_item(staff, cadre_a, year=YEAR - 1, problem="去年已销号")
    close(staff, closed_old)
    open_last = add_item(staff, cadre_a, year=YEAR - 1, problem="去年未销号")
    add_item(staff, cadre_a, year=YEAR, problem="今年的问题")
    assert list(open_items_carried_over(staff, cadre_a, YEAR)) == [open_old, open_last]
    assert list(open_items_carried_over(staff, cadre_a, YEAR - 1)) == [open_old]


def test_another_secretarys_items_are_not_carried_over(users, tree, cadre_a):
    other = CadreFactory(unit=tree["town_a"], name="王五")
    add_item(users[Role.STAFF], other, year=YEAR - 1)
    assert list(open_items_carried_over(users[Role.STAFF], cadre_a, YEAR)) == []


def test_carried_over_items_are_not_shown_to_users_outside_the_scope(users, cadre_b):
    add_item(users["city_staff"], cadre_b, year=YEAR - 1)
    assert list(open_items_carried_over(users[Role.STAFF], cadre_b, YEAR)) == []
    assert len(open_items_carried_over(users["city_staff"], cadre_b, YEAR)) == 1


def test_the_years_page_shows_the_open_items_carried_over_and_lets_staff_check_them(client, users, cadre_a):
    old = add_item(users[Role.STAFF], cadre_a, year=YEAR - 1, problem="去年的遗留问题")
    html = login(client, users, Role.STAFF).get(detail_url(cadre_a)).content.decode()
    assert "往年未销号问题" in html
    assert "去年的遗留问题" in html
    assert f"带入{YEAR}年度考核" in html
    assert reverse("supervision:review_check_add", args=[old.pk]) in html


# ---------------------------------------------------------------- the list of secretaries


def test_the_list_shows_secretaries_with_open_items_and_hides_completed_lists(
    client, users, tree, cadre_a, item_a
):
    done = CadreFactory(unit=tree["town_a"], name="王五")
    close(users[Role.STAFF], add_item(users[Role.STAFF], done))
    login(client, users, Role.STAFF)
    url = reverse("supervision:review_list")
    text = visible_text(client.get(url))
    assert "张三" in text and "已销号 0 / 共 1" in text
    assert "王五" not in text
    assert "王五" in visible_text(client.get(url, {"include_closed": "on"}))


def test_the_list_filters_by_year_and_unit(client, users, tree, cadre_a):
    add_item(users[Role.STAFF], cadre_a, year=YEAR - 1)
    county_secretary = CadreFactory(unit=tree["county_a"], name="王五")
    add_item(users[Role.STAFF], county_secretary)
    login(client, users, Role.STAFF)
    url = reverse("supervision:review_list")
    this_year = visible_text(client.get(url, {"year": YEAR}))
    assert "王五" in this_year and "张三" not in this_year
    town = visible_text(client.get(url, {"unit": tree["town_a"].pk}))
    assert "张三" in town and "王五" not in town


# ---------------------------------------------------------------- access by role and scope


@pytest.mark.parametrize("role", Role.values)
def test_every_role_reads_lists_of_its_county_and_not_of_another(
    client, users, cadre_a, cadre_b, item_a, item_b, role
):
    login(client, users, role)
    listing = visible_text(client.get(reverse("supervision:review_list")))
    assert "张三" in listing and "李四" not in listing
    assert client.get(detail_url(cadre_a)).status_code == 200
    assert client.get(detail_url(cadre_b)).status_code == 404


@pytest.mark.parametrize("role", READ_ONLY)
def test_read_only_roles_cannot_add_check_or_close_items(client, users, cadre_a, item_a, role):
    login(client, users, role)
    html = client.get(detail_url(cadre_a)).content.decode()
    assert reverse("supervision:review_item_add", args=[cadre_a.pk, YEAR]) not in html
    assert reverse("supervision:review_item_close", args=[item_a.pk]) not in html
    add = client.post(reverse("supervision:review_item_add", args=[cadre_a.pk, YEAR]), {"problem": "x"})
    p = f"c{item_a.pk}"
    chk = client.post(
        reverse("supervision:review_check_add", args=[item_a.pk]),
        {f"{p}-year": YEAR, f"{p}-quarter": QUARTER, f"{p}-status": "done"},
    )
    x = f"x{item_a.pk}"
    cls = client.post(
        reverse("supervision:review_item_close", args=[item_a.pk]),
        {f"{x}-closed_on": TODAY.isoformat(), f"{x}-evidence": "x"},
    )
    assert (add.status_code, chk.status_code, cls.status_code) == (403, 403, 403)
    assert ReviewItem.objects.count() == 1
    assert not ReviewItemCheck.objects.exists()
    item_a.refresh_from_db()
    assert item_a.status == ReviewItemStatus.OPEN


def test_items_in_another_county_cannot_be_checked_or_closed(client, users, item_b):
    login(client, users, Role.STAFF)
    p = f"c{item_b.pk}"
    chk = client.post(
        reverse("supervision:review_check_add", args=[item_b.pk]),
        {f"{p}-year": YEAR, f"{p}-quarter": QUARTER, f"{p}-status": "done"},
    )
    cls = client.post(reverse("supervision:review_item_close", args=[item_b.pk]), {})
    assert (chk.status_code, cls.status_code) == (404, 404)


def test_the_open_form_takes_staff_to_the_secretarys_list_of_the_year(client, users, cadre_a):
    response = login(client, users, Role.STAFF).get(
        reverse("supervision:review_open"), {"cadre_query": "张三", "year": YEAR - 1}
    )
    assert response.status_code == 302
    assert response["Location"] == detail_url(cadre_a, YEAR - 1)


# ---------------------------------------------------------------- queries


@pytest.mark.parametrize("rows", [3, 30])
def test_the_list_of_secretaries_takes_a_constant_number_of_queries(
    client, users, tree, rows, django_assert_num_queries
):
    staff = users[Role.STAFF]
    for _ in range(rows):
        add_item(staff, CadreFactory(unit=tree["town_a"]))
    login(client, users, Role.STAFF)
    # session, user (+ unit for the scope), unit options of the filter, count of rows,
    # the page of grouped rows (names and units joined)
    with django_assert_num_queries(6):
        response = client.get(reverse("supervision:review_list"))
    assert response.content.decode().count("查看清单") == rows


@pytest.mark.parametrize("rows", [3, 30])
def test_a_secretarys_page_takes_a_constant_number_of_queries(
    client, users, cadre_a, rows, django_assert_num_queries
):
    staff = users[Role.STAFF]
    for n in range(rows):
        item = add_item(staff, cadre_a, problem=f"问题{n}")
        review_item_check(actor=staff, item=item, year=YEAR, quarter=QUARTER, status="on_track")
        add_item(staff, cadre_a, year=YEAR - 1, problem=f"遗留{n}")
    login(client, users, Role.STAFF)
    # session, user (+ unit for the scope), the cadre with its unit, this year's items,
    # their checks with the checker, carried-over items, their checks with the checker
    with django_assert_num_queries(8):
        response = client.get(detail_url(cadre_a))
    assert f"已销号 0 / 共 {rows}" in visible_text(response)


def test_replaying_the_check_form_on_a_closed_item_says_it_is_closed(client, users, item_a, cadre_a):
    close(users[Role.STAFF], item_a)
    p = f"c{item_a.pk}"
    response = login(client, users, Role.STAFF).post(
        reverse("supervision:review_check_add", args=[item_a.pk]),
        {f"{p}-year": YEAR, f"{p}-quarter": QUARTER, f"{p}-status": "done", "page_year": YEAR},
        follow=True,
    )
    assert f"该问题已于{TODAY:%Y-%m-%d}销号，不能再登记季度检查。" in response.content.decode()
    assert not ReviewItemCheck.objects.exists()
