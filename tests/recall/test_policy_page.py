"""The grading policy page lists the recall kinds too, in a section of their own."""

from django.urls import reverse

from accounts.roles import Role
from assessment.models import RuleKind


def test_recall_and_flag_rules_have_their_own_section_on_the_policy_page(client, users):
    client.force_login(users[Role.STAFF])
    response = client.get(reverse("assessment:policy"))
    sections = {s["anchor"]: s for s in response.context["sections"]}
    assert [s["title"] for s in response.context["sections"]] == [
        "考核评定规则",
        "召回与预警规则",
        "激励规则",
        "民情工单规则",
    ]
    recall_kinds = {r["kind"] for r in sections["recall-rules"]["rows"]}
    grading_kinds = {r["kind"] for r in sections["grading-rules"]["rows"]}
    assert {RuleKind.RECALL_POINTS, RuleKind.RECALL_LIMITS, RuleKind.FLAG_GRADE} <= recall_kinds
    assert RuleKind.THRESHOLDS in grading_kinds and not recall_kinds & grading_kinds
    page = response.content.decode()
    grading, recall = page.index('id="grading-rules-title"'), page.index('id="recall-rules-title"')
    assert grading < page.index("年度等次分数线") < recall
    assert recall < page.index("最近 12 个月内累计记分达到 12 分的，提议召回")


def test_new_flag_rules_are_offered_in_the_recall_section(client, users, tree):
    client.force_login(users[Role.STAFF])
    response = client.get(reverse("assessment:policy"), {"unit": tree["county_a"].pk})
    sections = {s["anchor"]: s for s in response.context["sections"]}
    assert RuleKind.FLAG_GRADE in dict(sections["recall-rules"]["multi_kinds"])
    assert RuleKind.FLAG_GRADE not in dict(sections["grading-rules"]["multi_kinds"])
