"""The dashboard: counts for the user's subtree, links to the registry."""

import datetime

import pytest
from django.urls import reverse

from accounts.roles import Role
from cadres.models import CadreKind, CadreStatus
from supervision.models import InterviewReason
from supervision.services import interviews as svc
from supervision.services.interviews import reminders_scan
from tests.factories import CadreFactory


def _cared_for(users, cadre, day: datetime.date) -> None:
    """This year's health check and leave for ``cadre``: nothing of 关爱 waits in 待办."""
    from incentives.services_care import care_record_create

    for kind, days in (("health_check", None), ("leave", 5)):
        care_record_create(
            actor=users[Role.STAFF], cadre=cadre, kind=kind, date=day, days=days, content="关爱"
        )


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_login_page_is_in_chinese_and_explains_a_wrong_password(client, users):
    page = client.get(reverse("login")).content.decode()
    assert 'lang="zh-hans"' in page and "干部考核管理系统" in page
    response = client.post(reverse("login"), {"username": "staff_a", "password": "wrong"})
    assert "请输入一个正确的" in response.content.decode()


def test_logging_in_leads_to_the_dashboard(client, users):
    response = client.post(reverse("login"), {"username": "staff_a", "password": "pass-12345"}, follow=True)
    html = response.content.decode()
    assert "工作台" in html
    assert "组织部工作人员" in html and "甲县" in html


def test_logout_is_a_post_form_with_csrf(client, users):
    client.force_login(users[Role.STAFF])
    html = client.get(reverse("home")).content.decode()
    assert f'action="{reverse("logout")}"' in html
    assert client.post(reverse("logout")).status_code == 302


def test_the_dashboard_counts_only_the_users_subtree(client, users, tree, cadre_a, cadre_b):
    CadreFactory(unit=tree["town_a"], kind=CadreKind.GENERAL, rank="staff", status=CadreStatus.RECALLED)
    client.force_login(users[Role.STAFF])
    context = client.get(reverse("home")).context
    assert context["total"] == 2
    assert context["unit_count"] == 2  # 甲县, 甲镇
    kinds = {row["value"]: row["count"] for row in context["by_kind"]}
    statuses = {row["value"]: row["count"] for row in context["by_status"]}
    assert kinds[CadreKind.GENERAL] == 1 and kinds[CadreKind.LEADER_KE] == 1
    assert statuses[CadreStatus.RECALLED] == 1 and statuses[CadreStatus.ON_POST] == 1


def test_the_dashboard_links_to_the_filtered_registry(client, users, cadre_a):
    client.force_login(users[Role.STAFF])
    html = client.get(reverse("home")).content.decode()
    assert f"{reverse('cadres:list')}?kind={CadreKind.LEADER_KE}" in html
    assert f"{reverse('cadres:list')}?status={CadreStatus.RECALLED}" in html


def test_every_module_in_the_sidebar_is_built_and_linked(client, users):
    client.force_login(users[Role.STAFF])
    response = client.get(reverse("home"))
    items = response.context["nav_items"]
    assert {"激励关爱", "民情工单"} <= {i["label"] for i in items}
    assert all(i["url"] for i in items)
    assert "建设中" not in response.content.decode()


def test_a_module_whose_pages_do_not_exist_yet_is_shown_as_under_construction(client, users, monkeypatch):
    from core import context_processors

    monkeypatch.setattr(
        context_processors,
        "NAV",
        [*context_processors.NAV, ("干部档案数字化", "archives:home", "bi-archive", None)],
    )
    client.force_login(users[Role.STAFF])
    response = client.get(reverse("home"))
    entry = next(i for i in response.context["nav_items"] if i["label"] == "干部档案数字化")
    assert entry["url"] is None
    assert "建设中" in response.content.decode()


def test_the_unit_tree_page_highlights_only_its_own_navigation_entry(client, users):
    client.force_login(users[Role.STAFF])
    items = client.get(reverse("cadres:units")).context["nav_items"]
    assert [i["label"] for i in items if i["active"]] == ["组织机构"]


@pytest.mark.parametrize("count", [3, 30])
def test_the_dashboard_costs_the_same_queries_for_3_or_30_cadres(
    client, users, tree, count, django_assert_num_queries
):
    CadreFactory.create_batch(count, unit=tree["town_a"])
    client.force_login(users[Role.STAFF])
    # session, user, user's unit (scope), the ids of the units in scope and the cadres counted
    # per unit, kind and status (two reads the page shares), COUNT of units, the latest audit entries, the user's open
    # reminders and the flags waiting for review (待办); the care due (待办): the CARE rules,
    # hardship posts, the departed counted per unit, the cadres with this year's records grouped
    # by unit, those units' paths, the departed village cadres; the open work-order reminders
    # with their orders (待办);
    # the dashboard panels: the recent periods (assessment; no open or published period here, so
    # no grade or progress aggregate), the 约谈 aggregate and the overdue reminders (supervision),
    # the cases aggregate, the open flags and the pending adjustments (recall), the orders
    # aggregate and the overdue orders (work orders), the newest published period (incentives;
    # none here, so no decision counts)
    with django_assert_num_queries(25):
        response = client.get(reverse("home"))
    assert response.context["total"] == count


# ---------------------------------------------------------------- 待办 (to-do panel)


def _conducted_yuetan(users, cadre, talk: str):
    """A 约谈 held on ``talk`` (ISO date), its earlier steps a few days before."""
    day = datetime.date.fromisoformat(talk)
    staff, head = users[Role.STAFF], users[Role.HEAD]
    reason = InterviewReason.objects.filter(audience="leader").first()
    interview = svc.yuetan_propose(
        actor=staff,
        subject_type="cadre",
        cadre=cadre,
        reasons=[reason],
        proposed_on=day - datetime.timedelta(days=10),
    )
    svc.yuetan_approve(actor=head, interview=interview, approved_on=day - datetime.timedelta(days=5))
    svc.yuetan_send_notice(actor=staff, interview=interview, notice_sent_on=day - datetime.timedelta(days=2))
    return svc.yuetan_conduct(
        actor=staff, interview=interview, conducted_on=day, interviewers="李部长", record="约谈记录"
    )


def test_the_todo_panel_is_empty_when_nothing_waits(client, users):
    client.force_login(users[Role.STAFF])
    assert "暂无待办" in client.get(reverse("home")).content.decode()


def test_an_overdue_report_appears_in_the_todo_panel_of_the_responsible_staff_only(
    client, clock, users, cadre_a
):
    clock.set("2026-03-20")
    interview = _conducted_yuetan(users, cadre_a, "2026-02-08")  # due 2026-03-08
    client.force_login(users[Role.STAFF])
    assert "整改报告已逾期" not in client.get(reverse("home")).content.decode()
    reminders_scan()
    html = client.get(reverse("home")).content.decode()
    assert "整改报告已逾期" in html and "张三" in html
    assert "期限 2026-03-08" in html
    assert reverse("supervision:interview_detail", args=[interview.pk]) in html
    for other in (Role.HEAD, Role.AUDITOR, "city_staff"):
        client.force_login(users[other])
        page = client.get(reverse("home")).content.decode()
        assert "整改报告已逾期" not in page


def test_a_report_due_soon_appears_as_due_soon(client, clock, users, cadre_a):
    clock.set("2026-02-25")
    _conducted_yuetan(users, cadre_a, "2026-01-31")  # due 2026-02-28, three days from today
    reminders_scan()
    client.force_login(users[Role.STAFF])
    html = client.get(reverse("home")).content.decode()
    assert "整改报告即将到期" in html and "期限 2026-02-28" in html and "还有3天" in html


@pytest.mark.parametrize(
    ("today", "shown"),
    [
        ("2026-02-20", None),  # 8 days before the due day: nothing yet
        ("2026-02-21", "整改报告即将到期"),  # exactly 7 days before
        ("2026-02-28", "整改报告即将到期"),  # the due day itself: due, not overdue
        ("2026-03-01", "整改报告已逾期"),  # the day after
    ],
)
def test_the_todo_panel_around_the_report_due_day(client, clock, users, cadre_a, today, shown):
    clock.set("2026-02-05")
    _conducted_yuetan(users, cadre_a, "2026-01-31")  # due 2026-02-28
    _cared_for(users, cadre_a, datetime.date(2026, 2, 5))
    clock.set(today)
    reminders_scan()  # the daily job of that day
    client.force_login(users[Role.STAFF])
    html = client.get(reverse("home")).content.decode()
    for label in ("整改报告即将到期", "整改报告已逾期"):
        assert (label in html) == (label == shown)
    assert ("暂无待办" in html) == (shown is None)


def test_a_head_sees_proposals_waiting_for_approval(client, users, cadre_a):
    reason = InterviewReason.objects.filter(audience="leader").first()
    interview = svc.yuetan_propose(
        actor=users[Role.STAFF], subject_type="cadre", cadre=cadre_a, reasons=[reason]
    )
    client.force_login(users[Role.HEAD])
    html = client.get(reverse("home")).content.decode()
    assert "待审批" in html and "约谈提议：张三" in html
    assert 'data-testid="todo-count">1<' in html
    assert reverse("supervision:interview_detail", args=[interview.pk]) in html
    _cared_for(users, cadre_a, datetime.date.today())
    client.force_login(users[Role.STAFF])
    html = client.get(reverse("home")).content.decode()
    assert "待审批" not in html and "暂无待办" in html
