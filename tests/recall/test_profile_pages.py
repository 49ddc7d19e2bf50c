"""Recall on the cadre profile (section and timeline), in the home page's 待办, in the sidebar,
and in the demo data."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from recall import services
from recall.models import (
    AdjustmentDecision,
    CaseSource,
    DecisionStatus,
    Flag,
    FlagStatus,
    Outcome,
    PointRecord,
    RecallCase,
    Situation,
    Stage,
)
from recall.selectors_pages import profile_context
from recall.services_flags import adjustment_propose

TODAY = datetime.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def day(clock):
    return clock.set(TODAY)


@pytest.fixture
def staff(users):
    return users[Role.STAFF]


@pytest.fixture
def head(users):
    return users[Role.HEAD]


def propose(staff, cadre, on="2026-06-01"):
    return services.case_propose(
        actor=staff,
        cadre=cadre,
        source=CaseSource.SITUATION,
        situation=Situation.objects.get(code="C01"),
        reason="业务不熟",
        on=on,
    )


def raise_flag(cadre, days_ago=3):
    return Flag.objects.create(
        cadre=cadre,
        unit=cadre.unit,
        rule_key="flag_grade:incompetent",
        rule_name="最近一个年度考核为不称职",
        anchor="2025",
        facts=[{"label": "2025年度考核", "value": "不称职"}],
        raised_at=timezone.now() - datetime.timedelta(days=days_ago),
    )


# ---------------------------------------------------------------- profile


def test_the_profile_shows_cases_flags_adjustments_and_points(client, staff, head, cadre_a):
    case = propose(staff, cadre_a)
    services.case_reject(actor=head, case=case, note="事实不清", on="2026-06-02")
    services.points_record(
        actor=staff,
        cadre=cadre_a,
        situation=Situation.objects.get(code="S01"),
        detail="迟到",
        occurred_on=TODAY,
    )
    flag = raise_flag(cadre_a, days_ago=4)
    adjustment_propose(actor=staff, cadre=cadre_a, method="removal", reason="免职")
    client.force_login(staff)
    page = client.get(reverse("cadres:detail", args=[cadre_a.pk])).content.decode()
    assert 'id="recall"' in page
    assert reverse("recall:case_detail", args=[case.pk]) in page and "未获批准" in page
    assert reverse("recall:flag_detail", args=[flag.pk]) in page and "已等待4天" in page
    assert "免职" in page and "不准上班迟到早退" in page
    assert f"{reverse('recall:case_propose')}?cadre={cadre_a.pk}" in page


def test_the_profile_section_is_left_out_for_a_reader_with_nothing_to_see(client, users, cadre_a):
    client.force_login(users[Role.AUDITOR])
    page = client.get(reverse("cadres:detail", args=[cadre_a.pk])).content.decode()
    assert 'id="recall"' not in page


def test_the_profile_context_takes_a_fixed_number_of_queries(staff, cadre_a, django_assert_num_queries):
    for n in range(3):
        case = propose(staff, cadre_a, on=f"2026-0{n + 1}-01")
        RecallCase.objects.filter(pk=case.pk).update(stage=Stage.CLOSED, outcome=Outcome.BACK_TO_POST)
        raise_flag(cadre_a).delete()
    raise_flag(cadre_a)
    # cases (with situation), flags, adjustment decisions, point records (with situation)
    with django_assert_num_queries(4):
        context = profile_context(staff, cadre_a)
    assert len(context["recall_cases"]) == 3 and len(context["recall_open_flags"]) == 1


def test_the_timeline_shows_case_steps_flags_and_decisions(client, staff, head, cadre_a, cadre_b):
    case = propose(staff, cadre_a)
    services.case_approve(actor=head, case=case, on="2026-06-02")
    raise_flag(cadre_a)
    adjustment_propose(actor=staff, cadre=cadre_a, method="removal", reason="免职")
    client.force_login(staff)
    events = client.get(reverse("cadres:detail", args=[cadre_a.pk])).context["events"]
    kinds = {(e.kind, e.title) for e in events}
    assert ("召回", "提议召回") in kinds and ("召回", "批准召回") in kinds
    assert ("预警", "最近一个年度考核为不称职") in kinds
    assert ("调整决定", "免职") in kinds


# ---------------------------------------------------------------- 待办


def test_heads_see_recall_proposals_and_adjustments_waiting_for_them(client, staff, head, cadre_a, tree):
    from tests.factories import CadreFactory

    propose(staff, cadre_a)
    other = CadreFactory(unit=tree["town_a"], name="王五")
    decision = adjustment_propose(actor=staff, cadre=other, method="removal", reason="免职")
    raise_flag(cadre_a)
    client.force_login(head)
    titles = [i.title for i in client.get(reverse("home")).context["todo"]]
    assert "召回提议：张三" in titles and "调整决定：王五（免职）" in titles
    assert not any(t.startswith("不适宜担任现职预警") for t in titles)
    assert decision.status == DecisionStatus.PROPOSED


def test_staff_see_the_open_flags_to_review_the_oldest_first(client, staff, cadre_a, tree):
    from tests.factories import CadreFactory

    raise_flag(cadre_a, days_ago=2)
    raise_flag(CadreFactory(unit=tree["town_a"], name="王五"), days_ago=40)
    propose(staff, cadre_a)
    client.force_login(staff)
    todo = client.get(reverse("home")).context["todo"]
    flags = [i for i in todo if i.kind == "待研判"]
    assert [i.title for i in flags] == ["不适宜担任现职预警：王五", "不适宜担任现职预警：张三"]
    assert flags[0].overdue and flags[0].note == "已等待40天"
    assert not any(i.title.startswith("召回提议") for i in todo)


# ---------------------------------------------------------------- navigation


def test_the_sidebar_links_recall_and_flag_review(client, staff):
    client.force_login(staff)
    items = {i["label"]: i for i in client.get(reverse("recall:flags")).context["nav_items"]}
    assert items["召回管理"]["url"] == reverse("recall:cases")
    assert items["预警研判"]["url"] == reverse("recall:flags") and items["预警研判"]["active"]
    assert not items["召回管理"]["active"]


# ---------------------------------------------------------------- demo data


def test_the_demo_has_cases_in_every_stage_points_flags_and_adjustments(db, clock):
    clock.set(datetime.date(2026, 11, 30))
    call_command("seed_demo", cadres=300, verbosity=0)
    assert set(RecallCase.objects.values_list("stage", flat=True)) == set(Stage.values)
    outcomes = set(RecallCase.objects.filter(stage=Stage.CLOSED).values_list("outcome", flat=True))
    assert {
        Outcome.BACK_TO_POST,
        Outcome.AWAITING,
        Outcome.REMOVAL,
        Outcome.STEP_BACK_NON_LEADING,
    } <= outcomes
    assert RecallCase.objects.filter(source=CaseSource.POINTS).exists()
    assert PointRecord.objects.count() >= 10
    statuses = set(Flag.objects.values_list("status", flat=True))
    assert {FlagStatus.OPEN, FlagStatus.DISMISSED, FlagStatus.DECIDED} <= statuses
    assert set(AdjustmentDecision.objects.values_list("status", flat=True)) == {
        DecisionStatus.PROPOSED,
        DecisionStatus.APPROVED,
    }
    before = RecallCase.objects.count()
    call_command("seed_demo", cadres=300, verbosity=0)
    assert RecallCase.objects.count() == before
