"""The 容错纠错 pages: the decisions list (scoped, filtered, paged, a fixed number of queries), the
decision form reached from each matter's page (a head's; staff 403; outside the subtree 404),
the decision with its classification, basis, who and when and what it lifted, its revision and
revocation; the matter pages' links, the cadre profile's section and timeline, the hub's card."""

import datetime

import pytest
from django.urls import reverse

from accounts.roles import Role
from assessment.models import Assessment, PeriodStatus
from assessment.services.recompute import period_recompute
from audit.models import AuditEntry
from recall.flags import flags_evaluate
from recall.models import Flag, FlagStatus
from supervision.models import Exemption, MatterType, Sanction
from tests.factories import CadreFactory, make_exemption, make_period
from tests.recall.flag_facts import case, grade, talk

TODAY = datetime.date(2026, 6, 15)
CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]
FORM = {
    "intent": "negligent",
    "motive": "public",
    "nature": "trial",
    "verdict": "tolerable",
    "basis": "属推进改革中的探索性失误，未谋取私利。",
    "decided_on": "2026-04-01",
}


@pytest.fixture(autouse=True)
def today(clock):
    return clock.set(TODAY)


@pytest.fixture
def head(users):
    return users[Role.HEAD]


@pytest.fixture
def staff(users):
    return users[Role.STAFF]


def decide_url(matter_type, matter) -> str:
    return reverse("incentives:exemption_decide", args=[matter_type, matter.pk])


# --------------------------------------------------------------------------- the list


def test_the_list_shows_the_decisions_in_scope_with_their_matters(client, head, staff, cadre_a, cadre_b):
    mine = make_exemption(head, MatterType.INTERVIEW, talk(cadre_a, "yuetan", "2026-03-10"))
    make_exemption(head, MatterType.INTERVIEW, talk(cadre_b, "yuetan", "2026-03-11"))
    client.force_login(staff)
    page = client.get(reverse("incentives:exemptions")).content.decode()
    assert reverse("incentives:exemption_detail", args=[mine.pk]) in page
    assert "约谈（2026-03-10）：张三" in page
    assert "李四" not in page and "2026-03-11" not in page
    assert "共 <strong>1</strong> 项认定" in page


def test_the_list_filters_by_matter_type_verdict_unit_and_year(client, head, tree, cadre_a):
    yuetan = make_exemption(head, MatterType.INTERVIEW, talk(cadre_a, "yuetan", "2026-03-10"))
    sanction = Sanction.objects.create(
        cadre=cadre_a, kind="warning", decided_on=datetime.date(2025, 5, 1), reason="迟到", created_by=head
    )
    refused = make_exemption(head, MatterType.SANCTION, sanction, verdict="intolerable")
    client.force_login(head)
    url = reverse("incentives:exemptions")

    def shown(**filters):
        rows = client.get(url, filters).context["page"].object_list
        return [e.pk for e in rows]

    assert shown() == [yuetan.pk, refused.pk]
    assert shown(matter_type="sanction") == [refused.pk]
    assert shown(verdict="tolerable") == [yuetan.pk]
    assert shown(year=2025) == [refused.pk]
    assert shown(unit=tree["town_a"].pk) == [yuetan.pk, refused.pk]
    assert shown(unit=tree["county_b"].pk) == [yuetan.pk, refused.pk]  # outside: not a choice, ignored
    response = client.get(url, {"year": "abc"})
    assert response.status_code == 200 and "年度应为四位数字。" in response.content.decode()


def test_the_list_pages_by_fifty(client, head, cadre_a):
    for _ in range(51):
        make_exemption(head, MatterType.INTERVIEW, talk(cadre_a, "talk", "2026-03-01"), on=TODAY)
    client.force_login(head)
    first = client.get(reverse("incentives:exemptions"))
    assert len(first.context["page"].object_list) == 50
    assert len(client.get(reverse("incentives:exemptions"), {"page": 2}).context["page"].object_list) == 1


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_the_same_queries_for_3_or_30(client, head, cadre_a, count, django_assert_num_queries):
    for n in range(count):
        matter = talk(cadre_a, "talk", "2026-03-01") if n % 2 else case(cadre_a, proposed_on="2025-01-05")
        make_exemption(head, MatterType.INTERVIEW if n % 2 else MatterType.RECALL_CASE, matter, on=TODAY)
    client.force_login(head)
    url = reverse("incentives:exemptions")
    client.get(url)
    # session, user, the user's unit (indentation of the unit filter), the unit options, count,
    # the page's decisions (cadre, unit, who decided), the talks of the page, the recall cases
    with django_assert_num_queries(8):
        response = client.get(url)
    assert len(response.context["page"].object_list) == count


# --------------------------------------------------------------------------- deciding


def test_a_head_decides_from_the_form_and_is_told_what_follows(client, head, cadre_a):
    yuetan = talk(cadre_a, "yuetan", "2026-03-10")
    client.force_login(head)
    page = client.get(decide_url("interview", yuetan)).content.decode()
    assert "约谈（2026-03-10）：张三" in page and "故意或过失" in page
    response = client.post(decide_url("interview", yuetan), FORM, follow=True)
    decision = Exemption.objects.get()
    assert response.redirect_chain[-1][0] == reverse("incentives:exemption_detail", args=[decision.pk])
    text = response.content.decode()
    assert "已认定“约谈（2026-03-10）：张三”为可容。进行中的年度考核将重新计算等次" in text
    assert (decision.verdict, decision.decided_by, decision.decided_on) == (
        "tolerable",
        head,
        datetime.date(2026, 4, 1),
    )


def test_the_message_says_a_published_result_needs_its_correction_procedure(client, head, cadre_a):
    make_period(year=2026, status=PeriodStatus.PUBLISHED)
    yuetan = talk(cadre_a, "yuetan", "2026-03-10")
    client.force_login(head)
    text = client.post(decide_url("interview", yuetan), FORM, follow=True).content.decode()
    assert "2026年度已公布，已公布的考核结果需经更正程序" in text
    assert "已公布的考核结果不随认定自动改变，需经更正程序" in text  # the decision page says it too


def test_bad_input_is_shown_in_chinese_and_nothing_is_written(client, head, cadre_a):
    yuetan = talk(cadre_a, "yuetan", "2026-03-10")
    client.force_login(head)
    response = client.post(decide_url("interview", yuetan), {"decided_on": "2026-03-01", "basis": " "})
    text = response.content.decode()
    assert response.status_code == 200
    assert "请选择故意或过失。" in text and "请写明认定依据。" in text and "请选择认定结论。" in text
    response = client.post(decide_url("interview", yuetan), FORM | {"decided_on": "2026-03-01"})
    assert "认定日期（2026-03-01）不能早于事项发生日期（2026-03-10）。" in response.content.decode()
    assert not Exemption.objects.exists()


def test_staff_may_not_decide_and_a_matter_outside_is_not_found(client, head, staff, cadre_a, cadre_b):
    yuetan = talk(cadre_a, "yuetan", "2026-03-10")
    client.force_login(staff)
    assert client.get(decide_url("interview", yuetan)).status_code == 403
    assert client.post(decide_url("interview", yuetan), FORM).status_code == 403
    client.force_login(head)
    outside = talk(cadre_b, "yuetan", "2026-03-10")
    assert client.get(decide_url("interview", outside)).status_code == 404
    assert client.post(decide_url("interview", outside), FORM).status_code == 404
    assert client.get(reverse("incentives:exemption_decide", args=["nothing", yuetan.pk])).status_code == 404
    assert not Exemption.objects.exists()


def test_a_matter_already_decided_leads_to_its_decision(client, head, cadre_a):
    yuetan = talk(cadre_a, "yuetan", "2026-03-10")
    decision = make_exemption(head, MatterType.INTERVIEW, yuetan)
    client.force_login(head)
    response = client.post(decide_url("interview", yuetan), FORM)
    assert response.status_code == 302
    assert response["Location"] == reverse("incentives:exemption_detail", args=[decision.pk])
    assert Exemption.objects.count() == 1


# --------------------------------------------------------------------------- a decision


def test_the_decision_page_shows_what_it_lifted(client, head, tree, django_capture_on_commit_callbacks):
    period = make_period(year=2026, status="collecting")
    cadres = [CadreFactory(unit=tree["town_a"]) for _ in range(5)]
    for n, cadre in enumerate(cadres):
        Assessment.objects.create(
            period=period, cadre=cadre, unit=cadre.unit, scores=dict.fromkeys(CODES, 95 - n)
        )
    yuetan = talk(cadres[0], "yuetan", "2026-03-10")
    period_recompute(period_id=period.pk)
    client.force_login(head)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(decide_url("interview", yuetan), FORM)
    decision = Exemption.objects.get()
    page = client.get(reverse("incentives:exemption_detail", args=[decision.pk])).content.decode()
    assert "过失" in page and "因公" in page and "探索试错" in page and FORM["basis"] in page
    assert "2026-04-01" in page and head.get_username() in page
    row = Assessment.objects.get(period=period, cadre=cadres[0])
    assert row.final_grade == "优秀"
    assert reverse("assessment:assessment_detail", args=[row.pk]) in page
    assert (
        f"2026-03-10 约谈经容错纠错认定为可容（2026-04-01，{head.get_username()}认定，认定编号 {decision.pk}）"
        in page
    )


def test_the_decision_page_lists_the_flag_it_closed(
    client, head, cadre_a, django_capture_on_commit_callbacks
):
    grade(cadre_a, 2025, "不称职")
    flags_evaluate()
    flag = Flag.objects.get(cadre=cadre_a)
    client.force_login(head)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(decide_url("flag", flag), FORM | {"decided_on": "2026-06-15"})
    flag.refresh_from_db()
    assert flag.status == FlagStatus.CLOSED
    decision = Exemption.objects.get()
    page = client.get(reverse("incentives:exemption_detail", args=[decision.pk])).content.decode()
    assert reverse("recall:flag_detail", args=[flag.pk]) in page and flag.close_reason in page
    flag_page = client.get(reverse("recall:flag_detail", args=[flag.pk])).content.decode()
    assert reverse("incentives:exemption_detail", args=[decision.pk]) in flag_page
    assert "该预警关闭" in flag_page


def test_an_intolerable_decision_says_the_matter_still_counts(client, staff, head, cadre_a):
    decision = make_exemption(
        head, MatterType.INTERVIEW, talk(cadre_a, "yuetan", "2026-03-10"), verdict="intolerable"
    )
    client.force_login(staff)
    page = client.get(reverse("incentives:exemption_detail", args=[decision.pk])).content.decode()
    assert "认定为不容：该事项照常限制考核等次" in page
    assert reverse("incentives:exemption_revise", args=[decision.pk]) not in page  # staff may not revise


def test_a_decision_outside_the_subtree_is_not_found(client, head, cadre_b):
    decision = make_exemption(head, MatterType.INTERVIEW, talk(cadre_b, "yuetan", "2026-03-10"))
    client.force_login(head)
    for name in ("incentives:exemption_detail", "incentives:exemption_revise"):
        assert client.get(reverse(name, args=[decision.pk])).status_code == 404
    assert (
        client.post(reverse("incentives:exemption_revoke", args=[decision.pk]), {"reason": "x"}).status_code
        == 404
    )
    assert Exemption.objects.count() == 1


def test_a_head_revises_a_decision_and_the_change_is_audited(client, head, staff, cadre_a):
    decision = make_exemption(head, MatterType.INTERVIEW, talk(cadre_a, "yuetan", "2026-03-10"))
    url = reverse("incentives:exemption_revise", args=[decision.pk])
    client.force_login(staff)
    assert client.post(url, FORM | {"verdict": "intolerable"}).status_code == 403
    client.force_login(head)
    assert "修改容错纠错认定" in client.get(url).content.decode()
    response = client.post(url, FORM | {"verdict": "intolerable", "reason": "复核后改为不容"})
    assert response.status_code == 302
    decision.refresh_from_db()
    assert decision.verdict == "intolerable"
    entry = AuditEntry.objects.get(model="supervision.exemption", action="update")
    assert entry.changes["verdict"] == ["tolerable", "intolerable"] and entry.reason == "复核后改为不容"


def test_a_head_revokes_a_decision_with_a_reason(client, head, cadre_a):
    yuetan = talk(cadre_a, "yuetan", "2026-03-10")
    decision = make_exemption(head, MatterType.INTERVIEW, yuetan)
    url = reverse("incentives:exemption_revoke", args=[decision.pk])
    client.force_login(head)
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200 and "请写明撤销认定的理由。" in response.content.decode()
    assert Exemption.objects.exists()
    response = client.post(url, {"reason": "认定依据不足"})
    assert response["Location"] == reverse("supervision:interview_detail", args=[yuetan.pk])
    assert not Exemption.objects.exists()


# --------------------------------------------------------------------------- elsewhere


def test_a_recall_case_page_offers_a_head_to_decide(client, head, staff, cadre_a):
    recall = case(cadre_a)
    url = reverse("recall:case_detail", args=[recall.pk])
    client.force_login(staff)
    assert decide_url("recall_case", recall) not in client.get(url).content.decode()
    client.force_login(head)
    assert decide_url("recall_case", recall) in client.get(url).content.decode()


def test_the_profile_shows_the_cadres_decisions_and_the_timeline_names_them(
    client, head, staff, cadre_a, cadre_b
):
    decision = make_exemption(head, MatterType.INTERVIEW, talk(cadre_a, "yuetan", "2026-03-10"))
    client.force_login(staff)
    page = client.get(reverse("cadres:detail", args=[cadre_a.pk])).content.decode()
    assert 'id="exemptions"' in page
    assert reverse("incentives:exemption_detail", args=[decision.pk]) in page
    assert "谈话（约谈、诫勉等）认定为可容" in page  # the timeline entry
    # a cadre without decisions: no section for staff
    assert (
        'id="exemptions"'
        not in client.get(
            reverse("cadres:detail", args=[CadreFactory(unit=cadre_a.unit).pk])
        ).content.decode()
    )


def test_the_hub_has_a_card_for_exemptions(client, staff):
    client.force_login(staff)
    page = client.get(reverse("incentives:home")).content.decode()
    assert reverse("incentives:exemptions") in page and "容错纠错" in page
