"""预警研判 pages: the queue (the longest waiting first, with days shown), a flag's facts and its
two outcomes, and the adjustment decisions a head approves or rejects."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from cadres.models import CadreStatus
from recall.models import AdjustmentDecision, DecisionStatus, Flag, FlagStatus, RecallCase
from tests.factories import CadreFactory

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


def raise_flag(
    cadre, *, days_ago=3, rule="flag_grade:incompetent", name="最近一个年度考核为不称职", anchor="2025"
):
    """A flag as the flag job leaves it (the job itself is tested in test_flags.py)."""
    raised = timezone.now() - datetime.timedelta(days=days_ago)
    return Flag.objects.create(
        cadre=cadre,
        unit=cadre.unit,
        rule_key=rule,
        rule_name=name,
        anchor=anchor,
        facts=[{"label": "2025年度考核", "value": "不称职"}],
        raised_at=raised,
    )


def flag_url(flag, name="recall:flag_detail"):
    return reverse(name, args=[flag.pk])


# ---------------------------------------------------------------- the queue


def test_the_queue_shows_open_flags_oldest_first_with_days_waited(client, users, tree, staff):
    late = raise_flag(CadreFactory(unit=tree["town_a"], name="后预警"), days_ago=2)
    early = raise_flag(CadreFactory(unit=tree["town_a"], name="先预警"), days_ago=40)
    raise_flag(CadreFactory(unit=tree["town_b"], name="乙县的人"), days_ago=50)
    client.force_login(staff)
    response = client.get(reverse("recall:flags"))
    assert [f.pk for f in response.context["page"]] == [early.pk, late.pk]
    page = response.content.decode()
    assert "40天" in page and "2天" in page and "乙县的人" not in page
    assert "rc-waited-long" in page  # more than 30 days


def test_the_queue_filters_by_rule_unit_and_status(client, tree, staff):
    a = raise_flag(CadreFactory(unit=tree["town_a"], name="甲"))
    b = raise_flag(
        CadreFactory(unit=tree["county_a"], name="乙"),
        rule="flag_interviews:2",
        name="一年内被约谈或诫勉两次",
    )
    b.status = FlagStatus.DISMISSED
    b.save()
    client.force_login(staff)
    url = reverse("recall:flags")

    def pks(query):
        return [f.pk for f in client.get(url, query).context["page"]]

    assert pks({}) == [a.pk]  # open flags by default
    assert pks({"status": ""}) == [a.pk, b.pk]
    assert pks({"status": "", "rule": "flag_interviews:2"}) == [b.pk]
    assert pks({"status": "", "unit": tree["town_a"].pk}) == [a.pk]
    assert pks({"status": FlagStatus.DISMISSED}) == [b.pk]
    rules = dict(client.get(url).context["form"].fields["rule"].choices)
    assert rules["flag_interviews:2"] == "一年内被约谈或诫勉两次"


@pytest.mark.parametrize("count", [3, 30])
def test_the_queue_costs_the_same_queries_for_3_or_30_flags(
    client, tree, staff, count, django_assert_num_queries
):
    for n in range(count):
        raise_flag(CadreFactory(unit=tree["town_a"], name=f"干部{n}"), days_ago=n)
    client.force_login(staff)
    # session, user, the user's unit (scope), the rules for the filter, units for the filter
    # select, COUNT for the paginator, the page of flags (with cadre and unit label), open count
    with django_assert_num_queries(8):
        response = client.get(reverse("recall:flags"))
    assert response.context["page"].paginator.count == count


# ---------------------------------------------------------------- a flag


@pytest.mark.parametrize("role", [Role.STAFF, Role.HEAD, Role.AUDITOR])
def test_the_flag_page_shows_its_facts(client, users, cadre_a, role):
    flag = raise_flag(cadre_a, days_ago=5)
    client.force_login(users[role])
    response = client.get(flag_url(flag))
    page = response.content.decode()
    assert response.status_code == 200
    assert "2025年度考核" in page and "不称职" in page and "已等待 5 天" in page
    assert (response.context["dismiss_form"] is not None) == (role != Role.AUDITOR)


def test_staff_dismiss_a_flag_with_a_reason(client, staff, cadre_a):
    flag = raise_flag(cadre_a)
    client.force_login(staff)
    response = client.post(flag_url(flag, "recall:flag_dismiss"), {"reason": ""})
    assert response.status_code == 200
    assert response.context["dismiss_form"].errors["reason"] == ["请填写排除理由。"]
    response = client.post(flag_url(flag, "recall:flag_dismiss"), {"reason": "因病休假，客观原因"})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == FlagStatus.DISMISSED and flag.reviewed_by == staff


def test_dismissing_a_reviewed_flag_shows_the_step_error(client, staff, cadre_a):
    flag = raise_flag(cadre_a)
    client.force_login(staff)
    client.post(flag_url(flag, "recall:flag_dismiss"), {"reason": "客观原因"})
    response = client.post(flag_url(flag, "recall:flag_dismiss"), {"reason": "又一次"})
    assert response.status_code == 409
    assert "该预警当前为“已排除”" in response.content.decode()


def test_an_adjustment_is_proposed_from_a_flag_and_approved_by_a_head(client, staff, head, cadre_a):
    flag = raise_flag(cadre_a)
    client.force_login(staff)
    assert client.get(flag_url(flag, "recall:flag_adjust")).status_code == 200
    response = client.post(
        flag_url(flag, "recall:flag_adjust"),
        {
            "method": "lateral",
            "reason": "不称职，平职交流",
            "new_post_title": "镇人大副主席",
            "effective_on": "2026-06-20",
        },
    )
    decision = AdjustmentDecision.objects.get(cadre=cadre_a)
    assert response.status_code == 302 and response["Location"] == reverse(
        "recall:decision_detail", args=[decision.pk]
    )
    flag.refresh_from_db()
    assert flag.status == FlagStatus.DECIDED

    page = client.get(reverse("recall:decision_detail", args=[decision.pk]))
    assert page.context["form"] is None and "待部长审批" in page.content.decode()
    assert (
        client.post(
            reverse("recall:decision_decide", args=[decision.pk]), {"decision": "approve"}
        ).status_code
        == 403
    )

    client.force_login(head)
    assert client.get(reverse("recall:decision_detail", args=[decision.pk])).context["form"] is not None
    response = client.post(
        reverse("recall:decision_decide", args=[decision.pk]), {"decision": "approve", "note": "同意"}
    )
    assert response.status_code == 302
    decision.refresh_from_db()
    cadre_a.refresh_from_db()
    assert decision.status == DecisionStatus.APPROVED and decision.approved_by == head
    assert cadre_a.post_title == "镇人大副主席" and cadre_a.status == CadreStatus.ON_POST


def test_an_adjustment_missing_its_new_post_shows_the_services_message(client, staff, cadre_a):
    flag = raise_flag(cadre_a)
    client.force_login(staff)
    response = client.post(flag_url(flag, "recall:flag_adjust"), {"method": "lateral", "reason": "平职交流"})
    assert response.status_code == 200
    assert response.context["form"].errors["new_post_title"]
    assert not AdjustmentDecision.objects.exists()


def test_a_head_rejects_an_adjustment_with_a_reason(client, staff, head, cadre_a):
    flag = raise_flag(cadre_a)
    client.force_login(staff)
    client.post(flag_url(flag, "recall:flag_adjust"), {"method": "removal", "reason": "免职"})
    decision = AdjustmentDecision.objects.get(cadre=cadre_a)
    client.force_login(head)
    url = reverse("recall:decision_decide", args=[decision.pk])
    response = client.post(url, {"decision": "reject", "note": ""})
    assert response.status_code == 200 and response.context["form"].errors["note"]
    client.post(url, {"decision": "reject", "note": "依据不足"})
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.REJECTED
    response = client.post(url, {"decision": "approve"})
    assert response.status_code == 409 and "不能" in response.content.decode()


def test_a_flag_can_be_turned_into_a_recall_proposal(client, staff, cadre_a):
    flag = raise_flag(cadre_a)
    client.force_login(staff)
    form = client.get(reverse("recall:case_propose"), {"flag": flag.pk})
    assert form.status_code == 200 and "2025年度考核" in form.content.decode()
    client.post(
        reverse("recall:case_propose") + f"?flag={flag.pk}",
        {
            "cadre": cadre_a.pk,
            "flag": flag.pk,
            "source": "flag",
            "cause": "ability",
            "reason": "依据预警召回",
        },
    )
    case = RecallCase.objects.get(cadre=cadre_a)
    assert case.flag == flag and case.facts[0]["value"] == "不称职"


def test_flags_and_decisions_outside_the_scope_are_not_found(client, users, staff, head, cadre_b):
    flag = raise_flag(cadre_b)
    decision = AdjustmentDecision.objects.create(
        cadre=cadre_b,
        unit=cadre_b.unit,
        method="removal",
        reason="x",
        proposed_by=users["city_staff"],
        proposed_on=TODAY,
    )
    for user in (staff, head):
        client.force_login(user)
        assert client.get(flag_url(flag)).status_code == 404
        assert client.post(flag_url(flag, "recall:flag_dismiss"), {"reason": "x"}).status_code == 404
        assert client.get(flag_url(flag, "recall:flag_adjust")).status_code == 404
        assert client.get(reverse("recall:decision_detail", args=[decision.pk])).status_code == 404
        assert (
            client.post(
                reverse("recall:decision_decide", args=[decision.pk]), {"decision": "approve"}
            ).status_code
            == 404
        )
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.COUNTY_ADMIN, Role.API_READER])
def test_roles_without_recall_rights_cannot_review(client, users, cadre_a, role):
    flag = raise_flag(cadre_a)
    client.force_login(users[role])
    assert client.post(flag_url(flag, "recall:flag_dismiss"), {"reason": "x"}).status_code == 403
    assert client.get(flag_url(flag, "recall:flag_adjust")).status_code == 403
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


# ---------------------------------------------------------------- decisions list


def test_the_decision_list_filters_by_status(client, users, staff, tree):
    a = AdjustmentDecision.objects.create(
        cadre=CadreFactory(unit=tree["town_a"], name="甲"), unit=tree["town_a"], method="removal", reason="x",
        proposed_by=staff, proposed_on=TODAY,
    )  # fmt: skip
    b = AdjustmentDecision.objects.create(
        cadre=CadreFactory(unit=tree["town_a"], name="乙"), unit=tree["town_a"], method="lateral", reason="x",
        proposed_by=staff, proposed_on=TODAY, status=DecisionStatus.APPROVED,
    )  # fmt: skip
    client.force_login(users[Role.AUDITOR])
    url = reverse("recall:decisions")
    assert {d.pk for d in client.get(url).context["page"]} == {a.pk, b.pk}
    assert [d.pk for d in client.get(url, {"status": "approved"}).context["page"]] == [b.pk]
    assert [d.pk for d in client.get(url, {"method": "removal"}).context["page"]] == [a.pk]


@pytest.mark.parametrize("count", [3, 30])
def test_the_decision_list_costs_the_same_queries_for_3_or_30(
    client, staff, tree, count, django_assert_num_queries
):
    for n in range(count):
        AdjustmentDecision.objects.create(
            cadre=CadreFactory(unit=tree["town_a"], name=f"干部{n}"), unit=tree["town_a"], method="removal",
            reason="x", proposed_by=staff, proposed_on=TODAY,
        )  # fmt: skip
    client.force_login(staff)
    # session, user, the user's unit (scope), units for the filter select, COUNT for the
    # paginator, the page of decisions (with cadre, proposer and unit label)
    with django_assert_num_queries(6):
        response = client.get(reverse("recall:decisions"))
    assert response.context["page"].paginator.count == count
