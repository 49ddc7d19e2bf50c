"""The results page of a unit subtree: distribution, quota rule in words, table, teams."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from assessment.models import Assessment, PolicyRule, RuleKind
from assessment.services.scores import assessment_override
from cadres.models import TeamMembership
from tests.assessment.test_api import all_scores, grade, open_period
from tests.factories import CadreFactory


@pytest.fixture
def graded(users, tree, cadre_a, cadre_b):
    """甲镇: 张三 95 (优秀), 甲0–甲3 at 80 (称职), 甲4 at 65 (基本称职); 张三 and 甲0 form 甲镇's
    leadership team. 乙镇: 李四."""
    actor = users["city_staff"]
    town = [cadre_a, *(CadreFactory(unit=tree["town_a"], name=f"甲{i}") for i in range(5))]
    TeamMembership.objects.create(
        unit=tree["town_a"], cadre=cadre_a, role_title="党委书记", is_main_leader=True
    )
    TeamMembership.objects.create(unit=tree["town_a"], cadre=town[1], role_title="镇长")
    period = open_period(actor)
    scores = {c: all_scores(80) for c in town[1:5]}
    scores.update({cadre_a: all_scores(95), town[5]: all_scores(65), cadre_b: all_scores(99)})
    grade(actor, period, scores)
    return period


def url(period, unit, query="") -> str:
    return reverse("assessment:results", args=[period.pk, unit.pk]) + query


@pytest.fixture
def staff(client, users):
    client.force_login(users[Role.STAFF])
    return client


def test_the_page_shows_the_grade_distribution_with_counts_and_percentages(staff, tree, graded):
    response = staff.get(url(graded, tree["county_a"]))
    assert response.status_code == 200
    bars = {b["label"]: (b["count"], b["percent"]) for b in response.context["distribution"]["bars"]}
    assert bars == {
        "优秀": (1, 16.7),
        "称职": (4, 66.7),
        "基本称职": (1, 16.7),
        "不称职": (0, 0),
        "不定等次": (0, 0),
        "不参加考核": (0, 0),
    }
    html = response.content.decode()
    assert "4 人 · 66.7%" in html
    assert 'pct-67"' in html  # 66.7% rounded: bar widths are whole-percent classes (CSP)
    assert "乙镇" not in html and "李四" not in html


def test_the_quota_rule_is_stated_in_words_from_the_units_effective_policy(staff, tree, graded):
    html = staff.get(url(graded, tree["town_a"])).content.decode()
    assert "优秀名额 = 参加考核人数 × 20%，向下取整" in html
    assert "依次比较“绩”得分、“德”得分" in html


def test_a_unit_override_of_the_quota_shows_on_its_page_only(staff, tree, graded):
    PolicyRule.objects.create(
        unit=tree["town_a"], kind=RuleKind.QUOTA, params={"ratio": 0.15, "rounding": "ceil", "tie_break": []}
    )
    assert "参加考核人数 × 15%，向上取整" in staff.get(url(graded, tree["town_a"])).content.decode()
    assert "参加考核人数 × 20%，向下取整" in staff.get(url(graded, tree["county_a"])).content.decode()


def test_the_table_filters_by_grade_name_and_review(staff, tree, graded):
    def names(query):
        return [a.cadre.name for a in staff.get(url(graded, tree["county_a"], query)).context["page"]]

    assert names("?grade=优秀") == ["张三"]
    assert names("?grade=基本称职") == ["甲4"]
    assert names("?name=甲1") == ["甲1"]
    assert names("?review=on") == []
    Assessment.objects.filter(cadre__name="甲2").update(review_required=True)
    assert names("?review=on") == ["甲2"]
    assert (
        'class="badge r-review ms-1">待复核'
        in staff.get(url(graded, tree["county_a"], "?review=on")).content.decode()
    )


def test_a_row_whose_final_grade_differs_from_the_computed_one_is_highlighted(users, staff, tree, graded):
    record = Assessment.objects.get(period=graded, cadre__name="甲0")
    assessment_override(actor=users[Role.STAFF], assessment=record, grade="基本称职", reason="通报批评")
    html = staff.get(url(graded, tree["county_a"], "?name=甲")).content.decode()
    assert html.count('class="r-diff"') == 1
    assert "（已调整）" in html


def test_explanations_are_collapsible_and_the_team_grades_are_listed(staff, tree, graded):
    response = staff.get(url(graded, tree["county_a"]))
    html = response.content.decode()
    assert "<details" in html and "优秀比例" in html
    zhang = Assessment.objects.get(period=graded, cadre__name="张三")
    assert f'href="{reverse("assessment:assessment_detail", args=[zhang.pk])}"' in html
    teams = response.context["teams"]
    assert [(t.unit.name, t.total_score) for t in teams] == [("甲镇", 87.5)]
    assert "领导班子考核结果" in html and teams[0].final_grade in html


def test_the_download_button_points_to_the_xlsx_report_of_the_same_unit(staff, tree, graded):
    response = staff.get(url(graded, tree["town_a"], "?grade=优秀"))
    assert response.context["xlsx_url"] == (
        f"/api/v1/grade-reports/?period={graded.pk}&unit={tree['town_a'].pk}&format=xlsx&grade=%E4%BC%98%E7%A7%80"
    )
    download = staff.get(response.context["xlsx_url"])
    assert download.status_code == 200
    assert download["Content-Type"].endswith("spreadsheetml.sheet")


def test_an_out_of_scope_unit_is_404(staff, tree, graded):
    assert staff.get(url(graded, tree["town_b"])).status_code == 404


def test_an_unknown_period_is_404(staff, tree, graded):
    assert (
        staff.get(reverse("assessment:results", args=[graded.pk + 100, tree["town_a"].pk])).status_code == 404
    )


def test_anonymous_visitors_are_sent_to_the_login_page(client, tree, graded):
    response = client.get(url(graded, tree["town_a"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_results_page_query_count_does_not_grow_with_rows(staff, tree, graded, django_assert_num_queries):
    # session, user, period, the user's unit (scope), the page's unit, count, distribution,
    # policy rules, the quotas of the unit and its subtree and the unit's 优秀比例上调 (the
    # 优秀名额 panel), team assessments joined to unit, one page joined to cadre and unit
    with django_assert_num_queries(12):
        staff.get(url(graded, tree["county_a"]))
    Assessment.objects.bulk_create(
        Assessment(period=graded, cadre=c, unit=c.unit)
        for c in (CadreFactory(unit=tree["town_a"], name=f"新{i}") for i in range(30))
    )
    with django_assert_num_queries(12):
        response = staff.get(url(graded, tree["county_a"]))
    assert response.context["page"].paginator.count == 36
