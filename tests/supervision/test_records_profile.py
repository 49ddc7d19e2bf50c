"""What the cadre profile shows of the supervision records, and the records' index page."""

import datetime

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils.html import strip_tags

from accounts.roles import Role
from supervision.models import CheckHandling, CheckOutcome, ClueSource, ClueStatus
from supervision.selectors.records import profile_context
from supervision.services.records import (
    clue_create,
    clue_verify,
    matters_check_create,
    review_item_close,
    review_item_create,
)
from tests.supervision.conftest import TODAY  # the fixed day every supervision test runs on


def render_section(user, cadre) -> str:
    request = RequestFactory().get("/")
    request.user = user
    html = render_to_string(
        "supervision/records/_profile_section.html", profile_context(user, cadre), request=request
    )
    return " ".join(strip_tags(html).split())


def clue(actor, cadre, source=ClueSource.PETITION, received_on=datetime.date(2025, 3, 8)):
    return clue_create(actor=actor, cadre=cadre, source=source, received_on=received_on, summary="反映问题")


def test_a_cadre_with_a_pending_clue_shows_on_hold_with_the_clues_source_and_date(users, cadre_a):
    staff = users[Role.STAFF]
    clue(staff, cadre_a, ClueSource.PETITION, datetime.date(2025, 3, 8))
    clue(staff, cadre_a, ClueSource.ONLINE, datetime.date(2025, 4, 1))
    context = profile_context(users[Role.AUDITOR], cadre_a)
    assert context["on_hold"] is True
    assert len(context["pending_clues"]) == 2
    text = render_section(users[Role.AUDITOR], cadre_a)
    assert "暂缓使用" in text
    assert "信访，2025年3月8日收到" in text
    assert "网络舆情，2025年4月1日收到" in text


def test_a_cadre_whose_clues_are_verified_is_not_on_hold(users, cadre_a):
    staff = users[Role.STAFF]
    c = clue(staff, cadre_a)
    clue_verify(actor=staff, clue=c, status=ClueStatus.UNFOUNDED, verified_on=TODAY, conclusion="查无实据")
    assert profile_context(staff, cadre_a)["on_hold"] is False
    text = render_section(staff, cadre_a)
    assert "暂缓使用" not in text
    assert "不实" in text


def test_the_section_lists_spot_checks_and_review_items_with_those_carried_over(users, cadre_a):
    staff = users[Role.STAFF]
    matters_check_create(
        actor=staff,
        cadre=cadre_a,
        year=TODAY.year - 1,
        checked_on=TODAY,
        outcome=CheckOutcome.UNTRUTHFUL,
        handling=CheckHandling.REMINDER,
    )
    old = review_item_create(actor=staff, secretary=cadre_a, year=TODAY.year - 1, problem="去年遗留问题")
    done = review_item_create(actor=staff, secretary=cadre_a, year=TODAY.year - 1, problem="去年已整改")
    review_item_close(actor=staff, item=done, closed_on=TODAY, evidence="会议纪要")
    context = profile_context(staff, cadre_a)
    assert context["carried_over_items"] == [old]
    assert [(y["year"], y["closed"], y["total"]) for y in context["review_years"]] == [(TODAY.year - 1, 1, 2)]
    text = render_section(staff, cadre_a)
    assert f"{TODAY.year - 1}年度 " in text and "未如实报告 提醒" in text
    assert f"往年未销号问题 1 项，带入{TODAY.year}年度考核" in text
    assert "已销号 1 / 共 2" in text


def test_editors_get_links_to_register_from_the_profile_and_readers_do_not(users, cadre_a):
    create_link = reverse("supervision:clue_create") + f"?cadre={cadre_a.pk}"
    request = RequestFactory().get("/")
    for role, expected in ((Role.STAFF, True), (Role.AUDITOR, False)):
        request.user = users[role]
        html = render_to_string(
            "supervision/records/_profile_section.html",
            profile_context(users[role], cadre_a),
            request=request,
        )
        assert (create_link in html) is expected


def test_the_profile_context_takes_a_fixed_number_of_queries(users, cadre_a, django_assert_num_queries):
    staff = users[Role.STAFF]
    for n in range(5):
        clue(staff, cadre_a)
        review_item_create(actor=staff, secretary=cadre_a, year=TODAY.year - n, problem=f"问题{n}")
    # clues, checks with their talks, review items, their checks with the checker, sanctions
    with django_assert_num_queries(5):
        profile_context(staff, cadre_a)


@pytest.mark.parametrize("role", Role.values)
def test_the_records_index_links_to_the_three_lists(client, users, role):
    client.force_login(users[role])
    response = client.get(reverse("supervision:records_home"))
    html = response.content.decode()
    assert response.status_code == 200
    for name in ("clue_list", "check_list", "review_list"):
        assert reverse(f"supervision:{name}") in html
    assert (reverse("supervision:clue_create") in html) is (role in (Role.STAFF, Role.HEAD))


def test_the_index_counts_pending_clues_and_held_cadres_in_scope(client, users, cadre_a, cadre_b):
    clue(users[Role.STAFF], cadre_a)
    clue(users[Role.STAFF], cadre_a)
    clue(users["city_staff"], cadre_b)
    client.force_login(users[Role.STAFF])
    text = " ".join(strip_tags(client.get(reverse("supervision:records_home")).content.decode()).split())
    assert "2条待核实" in text
    assert "1名干部因线索待核实暂缓使用" in text
