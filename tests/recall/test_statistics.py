"""Recall statistics: which date puts a record in the period, whose subtree is counted, the
page, the workbook and the API saying the same, and how many queries they take."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from recall import services_flags
from recall.models import AdjustmentMethod, Flag, FlagStatus, Outcome
from recall.statistics import recall_statistics
from tests.factories import make_period, make_user
from tests.recall.statistics_world import bulk_cadres, recall_case
from tests.scope.conftest import token_client

D = datetime.date
PAGE = "recall_stats:index"
API = "recall-statistics"


@pytest.fixture
def today(clock):
    return clock.set("2026-06-15")


@pytest.fixture
def head(users):
    return users["head"]  # 甲县


@pytest.fixture
def city_head(tree):
    return make_user("city_head", Role.HEAD, tree["city"])


def stats_for(user, start, end, **kw):
    return recall_statistics(user, date_from=start, date_to=end, **kw)


def total(stats) -> int:
    return stats["recalls"]["total"]


def line(stats, key) -> int:
    return next(x["count"] for x in stats["outcomes"]["lines"] if x["key"] == key)


# ---------------------------------------------------------------- which date counts


def test_a_case_approved_on_the_last_day_is_in_and_one_approved_the_day_after_is_not(
    today, head, tree, users
):
    on_the_day, day_after = bulk_cadres(tree["town_a"], 2)
    recall_case(head, on_the_day, on=D(2026, 3, 31), outcome=Outcome.BACK_TO_POST)
    recall_case(head, day_after, on=D(2026, 4, 1), outcome=Outcome.BACK_TO_POST)
    staff = users["staff"]
    assert total(stats_for(staff, D(2026, 1, 1), D(2026, 3, 31))) == 1
    assert total(stats_for(staff, D(2026, 4, 1), D(2026, 4, 30))) == 1
    assert total(stats_for(staff, D(2026, 4, 2), D(2026, 4, 30))) == 0
    assert total(stats_for(staff, D(2026, 3, 31), D(2026, 4, 1))) == 2


def test_the_outcome_counts_on_its_own_date_in_the_year_after_the_recall(today, head, tree, users):
    (cadre,) = bulk_cadres(tree["town_a"], 1)
    recall_case(head, cadre, on=D(2025, 12, 27), outcome=Outcome.AWAITING)  # outcome 2026-01-03
    last_year = stats_for(users["staff"], D(2025, 1, 1), D(2025, 12, 31))
    this_year = stats_for(users["staff"], D(2026, 1, 1), D(2026, 12, 31))
    assert (total(last_year), line(last_year, "awaiting")) == (1, 0)
    assert (total(this_year), line(this_year, "awaiting")) == (0, 1)
    # the study class ended on 2025-12-30: it belongs to the year of the recall
    assert last_year["study"] == {"classes": 1, "cadre_days": 3}
    assert this_year["study"] == {"classes": 0, "cadre_days": 0}


def test_a_refused_or_pending_proposal_is_no_recall(today, head, tree, users):
    from recall import services
    from recall.models import CaseSource, Situation

    refused, pending = bulk_cadres(tree["town_a"], 2)
    for cadre in (refused, pending):
        case = services.case_propose(
            actor=head,
            cadre=cadre,
            source=CaseSource.SITUATION,
            situation=Situation.objects.get(code="C01"),
            reason="上班时间打瞌睡",
            on="2026-03-01",
        )
    services.case_reject(actor=head, case=case, note="情节轻微，批评教育", on="2026-03-02")
    assert total(stats_for(users["staff"], D(2026, 1, 1), D(2026, 12, 31))) == 0


def test_a_penalty_counts_on_the_day_it_was_recorded_and_each_cadre_once(today, head, tree, users):
    (cadre,) = bulk_cadres(tree["town_a"], 1)
    recall_case(head, cadre, on=D(2026, 1, 5), outcome=Outcome.BACK_TO_POST, penalty="1000")  # 01-09
    recall_case(head, cadre, on=D(2026, 2, 2), outcome=Outcome.BACK_TO_POST, penalty="500.50")
    (free,) = bulk_cadres(tree["town_a"], 1)
    recall_case(head, free, on=D(2026, 1, 5), outcome=Outcome.BACK_TO_POST, penalty="0")
    year = stats_for(users["staff"], D(2026, 1, 1), D(2026, 12, 31))
    assert total(year) == 3
    assert year["penalties"] == {"cadres": 1, "amount": Decimal("1500.50")}
    january = stats_for(users["staff"], D(2026, 1, 1), D(2026, 1, 31))
    assert january["penalties"] == {"cadres": 1, "amount": Decimal("1000.00")}
    # the penalty recorded on 01-09 of a case approved on 01-05: not in a period from 01-06
    assert stats_for(users["staff"], D(2026, 1, 10), D(2026, 1, 31))["penalties"]["cadres"] == 0


def test_a_front_line_stint_counts_when_it_starts_and_the_case_by_its_final_outcome(today, head, tree, users):
    from recall import services
    from recall.models import Result

    (cadre,) = bulk_cadres(tree["town_a"], 1)
    case = recall_case(head, cadre, on=D(2026, 1, 5), outcome=Outcome.BACK_TO_POST)
    # (a second case, to a stint: the first was closed back on post)
    (other,) = bulk_cadres(tree["town_a"], 1)
    case = services.case_propose(
        actor=head,
        cadre=other,
        source="situation",
        situation=case.situation,
        reason="业务不熟",
        on="2026-02-02",
    )
    services.case_approve(actor=head, case=case, on="2026-02-02")
    services.case_publicize(actor=head, case=case, where="公示栏", on="2026-02-02")
    services.case_study(
        actor=head, case=case, start="2026-02-03", end="2026-02-04", content="培训", attendance="full", fee=0
    )
    services.case_follow_up(
        actor=head,
        case=case,
        result=Result.PASSED,
        discipline_officer="王",
        org_officer="李",
        on="2026-02-05",
    )
    services.case_outcome(
        actor=head,
        case=case,
        outcome=Outcome.FRONTLINE,
        on="2026-02-06",
        frontline_post="易地扶贫搬迁项目",
        frontline_months=1,
    )
    during = stats_for(users["staff"], D(2026, 1, 1), D(2026, 3, 1))
    assert (during["frontline"], during["outcomes"]["total"], during["back_to_post"]) == (1, 1, 1)
    services.case_follow_up(
        actor=head,
        case=case,
        result=Result.PASSED,
        discipline_officer="王",
        org_officer="李",
        on="2026-03-06",
    )
    services.case_outcome(actor=head, case=case, outcome=Outcome.BACK_TO_POST, on="2026-03-07")
    after = stats_for(users["staff"], D(2026, 1, 1), D(2026, 3, 31))
    assert (after["frontline"], after["outcomes"]["total"], after["back_to_post"]) == (1, 2, 2)


def test_step_back_adds_recall_outcomes_and_step_back_decisions_but_not_other_decisions(
    today, head, tree, users
):
    recalled, stepped_back, removed = bulk_cadres(tree["town_a"], 3, "ke", born_from=1964)
    recall_case(head, recalled, on=D(2026, 3, 2), outcome=Outcome.STEP_BACK_RETIRE)
    for cadre, method, step_back in ((stepped_back, "retire", True), (removed, "removal", False)):
        decision = services_flags.adjustment_propose(
            actor=head, cadre=cadre, method=method, reason="年龄偏大", step_back=step_back
        )
        services_flags.adjustment_approve(actor=head, decision=decision)
    stats = stats_for(users["staff"], D(2026, 1, 1), D(2026, 12, 31))
    rows = {r["key"]: (r["recalls"], r["adjustments"], r["count"]) for r in stats["step_back"]["rows"]}
    assert rows == {"removal": (0, 0, 0), "non_leading": (0, 0, 0), "retire": (1, 1, 2), "other": (0, 0, 0)}
    assert line(stats, "step_back") == 1  # the recall outcome is among the outcomes too
    assert line(stats, "transfer_or_removal") == 0
    by_method = {r["method"]: (r["count"], r["step_back"]) for r in stats["adjustments"]["by_method"]}
    assert by_method["retire"] == (1, 1) and by_method["removal"] == (1, 0)
    # decisions are approved "today" (2026-06-15): not in a period that ends the day before
    assert stats_for(users["staff"], D(2026, 1, 1), D(2026, 6, 14))["adjustments"]["total"] == 0


def test_flags_count_when_raised_and_when_reviewed(today, head, tree, users):
    first, second, third = bulk_cadres(tree["town_a"], 3, "ke")
    tz = timezone.get_current_timezone()

    def flag(cadre, raised, key):
        return Flag.objects.create(
            cadre=cadre,
            unit=cadre.unit,
            rule_key=key,
            rule_name="连续两年基本称职",
            anchor="2025",
            facts=[],
            raised_at=datetime.datetime(*raised, tzinfo=tz),
        )

    # the period's days are local days: 00:10 on 1 January in Beijing is still 31 December in UTC
    late = flag(first, (2025, 12, 31, 23, 30), "grade")
    flag(second, (2026, 1, 1, 0, 10), "grade")
    decided = flag(third, (2026, 2, 1, 9, 0), "grade")
    services_flags.flag_dismiss(actor=head, flag=late, reason="已整改到位")  # reviewed 2026-06-15
    services_flags.adjustment_propose(
        actor=head, cadre=third, method=AdjustmentMethod.REMOVAL, reason="不适宜担任现职", flag=decided
    )
    assert Flag.objects.filter(status=FlagStatus.OPEN).count() == 1
    last_year = stats_for(users["staff"], D(2025, 1, 1), D(2025, 12, 31))
    this_year = stats_for(users["staff"], D(2026, 1, 1), D(2026, 12, 31))
    assert last_year["flags"] == {"raised": 1, "reviewed": 0, "dismissed": 0, "decided": 0}
    assert this_year["flags"] == {"raised": 2, "reviewed": 2, "dismissed": 1, "decided": 1}
    # a proposed (not yet approved) adjustment is no adjustment
    assert this_year["adjustments"]["total"] == 0


def test_an_assessment_period_means_its_calendar_year(today, head, tree, users):
    early, late, outside = bulk_cadres(tree["town_a"], 3)
    recall_case(head, early, on=D(2025, 1, 1), outcome=Outcome.BACK_TO_POST)
    recall_case(head, late, on=D(2025, 12, 31), outcome=Outcome.BACK_TO_POST)
    recall_case(head, outside, on=D(2026, 1, 1), outcome=Outcome.BACK_TO_POST)
    stats = recall_statistics(users["staff"], period=make_period(year=2025, status="published"))
    assert (stats["date_from"], stats["date_to"], total(stats)) == (D(2025, 1, 1), D(2025, 12, 31), 2)


# ---------------------------------------------------------------- whose subtree


@pytest.fixture
def two_counties(today, city_head, tree):
    """Three recalls in 甲县 (two in 甲镇, one in the county itself), one in 乙县."""
    in_town = bulk_cadres(tree["town_a"], 2, "ke")
    (in_county,) = bulk_cadres(tree["county_a"], 1, "chu")
    (in_b,) = bulk_cadres(tree["town_b"], 1)
    bulk_cadres(tree["town_b"], 4)  # on the register, never recalled
    recall_case(city_head, in_town[0], on=D(2026, 3, 2), outcome=Outcome.BACK_TO_POST, penalty="800")
    recall_case(city_head, in_town[1], on=D(2026, 3, 2), outcome=Outcome.TRANSFER)
    recall_case(city_head, in_county, on=D(2026, 3, 2), outcome=Outcome.REMOVAL)
    recall_case(city_head, in_b, on=D(2026, 3, 2), outcome=Outcome.DISMISSAL, penalty="1200")


def test_the_city_sees_both_counties_row_by_row(two_counties, users):
    stats = stats_for(users["city_staff"], D(2026, 1, 1), D(2026, 12, 31))
    assert stats["scope"] == "示范市" and total(stats) == 4
    rows = [
        (r["name"], r["headcount"], r["recalled"], r["penalized"], r["penalty_amount"])
        for r in stats["units"]
    ]
    assert rows == [("甲县", 3, 3, 1, Decimal("800.00")), ("乙县", 5, 1, 1, Decimal("1200.00"))]
    assert stats["penalties"] == {"cadres": 2, "amount": Decimal("2000.00")}


def test_a_user_one_level_below_sees_only_its_own_subtree(two_counties, users):
    stats = stats_for(users["staff"], D(2026, 1, 1), D(2026, 12, 31))
    assert stats["scope"] == "甲县" and total(stats) == 3
    assert {r["label"]: r["count"] for r in stats["recalls"]["by_level"]} == {
        "处级": 1,
        "科级": 2,
        "一般干部": 0,
    }
    assert line(stats, "transfer_or_removal") == 2 and line(stats, "dismissal") == 0
    # the county's own cadre has a row of its own (本级), then its township
    rows = [(r["name"], r["own"], r["headcount"], r["recalled"]) for r in stats["units"]]
    assert rows == [("甲县（本级）", True, 1, 1), ("甲镇", False, 2, 2)]
    assert stats["penalties"] == {"cadres": 1, "amount": Decimal("800.00")}


def test_a_unit_narrows_the_report_to_its_subtree(two_counties, users, tree):
    stats = stats_for(users["city_staff"], D(2026, 1, 1), D(2026, 12, 31), unit=tree["town_a"])
    assert (stats["scope"], total(stats)) == ("甲镇", 2)


def test_a_unit_outside_the_users_subtree_is_not_found(two_counties, users, tree):
    from django.http import Http404

    with pytest.raises(Http404):
        stats_for(users["staff"], D(2026, 1, 1), D(2026, 12, 31), unit=tree["county_b"])


# ---------------------------------------------------------------- the page


def test_the_page_shows_the_figures_and_defaults_to_this_year(two_counties, client, users):
    client.force_login(users["city_staff"])
    response = client.get(reverse(PAGE))
    assert response.status_code == 200
    stats = response.context["stats"]
    assert (stats["date_from"], stats["date_to"]) == (D(2026, 1, 1), D(2026, 12, 31))
    text = response.content.decode()
    assert "示范市干部召回情况统计（2026年）" in text
    assert 'data-testid="recalls-total">4<' in text
    assert "转岗或免职" in text and "不计入召回处理结果" in text


@pytest.mark.parametrize(
    "query, message",
    [
        ({"year": "二〇一四"}, "年份应为四位数字"),
        ({"year": "1999"}, "年份应在 2000 至 2100 之间"),
        ({"date_from": "2026-02-30", "date_to": "2026-03-01"}, "开始日期格式不正确"),
        ({"date_from": "2026-03-01"}, "请同时填写开始日期和结束日期"),
        ({"date_from": "2026-03-02", "date_to": "2026-03-01"}, "结束日期不能早于开始日期"),
        ({"year": "2026", "date_from": "2026-01-01", "date_to": "2026-03-01"}, "只能选择一种"),
    ],
)
def test_bad_parameters_are_form_errors_on_the_page(today, client, users, query, message):
    client.force_login(users["staff"])
    response = client.get(reverse(PAGE), query)
    assert response.status_code == 200
    assert response.context["stats"] is None
    assert message in response.content.decode()


def test_the_page_answers_404_for_a_unit_outside_the_subtree(today, client, users, tree):
    client.force_login(users["staff"])
    assert client.get(reverse(PAGE), {"unit": tree["county_b"].pk}).status_code == 404
    assert client.get(reverse(PAGE), {"unit": "乙县"}).status_code == 404


def _sheet(content: bytes, name: str) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return list(book[name].iter_rows(min_row=4, values_only=True))


def test_the_workbook_holds_the_same_figures_as_the_page(two_counties, client, users):
    client.force_login(users["city_staff"])
    response = client.get(reverse(PAGE), {"year": "2026", "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    content = response.content
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["汇总", "层级与处理结果", "退居二线", "分单位", "组织调整", "统计口径"]
    assert book["汇总"]["A1"].value == "示范市干部召回情况统计（2026年）——汇总"
    summary = {item.strip("\u3000"): value for item, value in _sheet(content, "汇总")}
    assert summary["召回干部（人次）"] == 4
    assert summary["转岗或免职"] == 2
    assert summary["扣发绩效奖励金额（元）"] == 2000
    units = _sheet(content, "分单位")
    assert units == [("甲县", 3, 3, 1, 800), ("乙县", 5, 1, 1, 1200), ("合计", 8, 4, 2, 2000)]
    cross = {row[0]: row[1:] for row in _sheet(content, "层级与处理结果")}
    assert cross["合计"][-1] == 4 and cross["处级"][-1] == 1


def test_a_unit_name_that_looks_like_a_formula_stays_text_in_the_workbook(today, client, users, tree):
    from cadres.models import Unit

    Unit.objects.filter(pk=tree["town_a"].pk).update(name="=1+1")
    client.force_login(users["staff"])
    (cadre,) = bulk_cadres(Unit.objects.get(pk=tree["town_a"].pk), 1)
    recall_case(users["head"], cadre, on=D(2026, 3, 2), outcome=Outcome.BACK_TO_POST)
    content = client.get(reverse(PAGE), {"format": "xlsx"}).content
    cell = openpyxl.load_workbook(io.BytesIO(content))["分单位"]["A4"]
    assert cell.value == "=1+1" and cell.data_type == "s"


# ---------------------------------------------------------------- the API


def test_the_api_returns_the_same_figures(two_counties, users, tree):
    api = token_client(users["city_staff"])
    answer = api.get(reverse(API), {"year": 2026})
    assert answer.status_code == 200
    body = answer.json()
    stats = stats_for(users["city_staff"], D(2026, 1, 1), D(2026, 12, 31))
    assert body["recalls"]["total"] == 4
    assert body["recalls"]["by_level"] == stats["recalls"]["by_level"]
    assert body["outcomes"]["lines"] == stats["outcomes"]["lines"]
    assert body["level_outcome"] == stats["level_outcome"]
    assert body["step_back"] == stats["step_back"]
    assert body["penalties"] == {"cadres": 2, "amount": 2000.0}
    assert [(u["name"], u["headcount"], u["recalled"]) for u in body["units"]] == [
        ("甲县", 3, 3),
        ("乙县", 5, 1),
    ]
    assert body["date_from"] == "2026-01-01"
    assert body["unit"] == {"id": tree["city"].pk, "name": "示范市"}  # the caller's own unit
    narrowed = api.get(
        reverse(API), {"unit": tree["county_a"].pk, "date_from": "2026-03-02", "date_to": "2026-03-02"}
    )
    assert narrowed.json()["recalls"]["total"] == 3
    assert narrowed.json()["unit"] == {"id": tree["county_a"].pk, "name": "甲县"}


def test_the_api_workbook_is_the_pages(two_counties, users, client):
    api = token_client(users["city_staff"])
    answer = api.get(reverse(API), {"year": 2026, "format": "xlsx"})
    assert answer.status_code == 200
    client.force_login(users["city_staff"])
    page = client.get(reverse(PAGE), {"year": 2026, "format": "xlsx"})
    for sheet in ("汇总", "分单位", "层级与处理结果"):
        assert _sheet(answer.content, sheet) == _sheet(page.content, sheet)


@pytest.mark.parametrize(
    "query, field, message",
    [
        ({"year": "abc"}, "year", "年份应为四位数字，如 2014。"),
        ({"date_to": "2026-03-01"}, "date_from", "按起止日期统计时，请同时填写开始日期和结束日期。"),
        ({"date_from": "2026-03-02", "date_to": "2026-03-01"}, "date_to", "结束日期不能早于开始日期。"),
        ({"period": "999999"}, "period", "考核期不存在。"),
        ({"unit": "甲县"}, "unit", "单位应为整数 id。"),
        (
            {"year": "2026", "format": "xlsx", "date_to": "x"},
            "date_to",
            "结束日期格式不正确，应为 YYYY-MM-DD。",
        ),
    ],
)
def test_bad_api_parameters_are_a_chinese_400_in_the_error_shape(today, users, query, field, message):
    answer = token_client(users["staff"]).get(reverse(API), query)
    assert answer.status_code == 400
    assert answer["Content-Type"].startswith("application/json")
    error = answer.json()["error"]
    assert error["code"] == "invalid" and error["fields"][field] == [message]


def test_two_ways_of_giving_the_period_are_refused(today, users):
    answer = token_client(users["staff"]).get(reverse(API), {"year": 2026, "date_from": "2026-01-01"})
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == "按年份、按起止日期或按考核期统计，只能选择一种。"


def test_the_api_answers_404_for_a_unit_outside_the_subtree(today, users, tree):
    answer = token_client(users["staff"]).get(reverse(API), {"unit": tree["county_b"].pk})
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


def test_the_api_takes_an_assessment_period(today, users, head, tree):
    (cadre,) = bulk_cadres(tree["town_a"], 1)
    recall_case(head, cadre, on=D(2025, 5, 5), outcome=Outcome.BACK_TO_POST)
    period = make_period(year=2025, status="published")
    body = token_client(users["staff"]).get(reverse(API), {"period": period.pk}).json()
    assert body["recalls"]["total"] == 1
    assert body["period"] == {"id": period.pk, "name": "2025年度"}
    assert (body["date_from"], body["date_to"]) == ("2025-01-01", "2025-12-31")


def test_the_schema_documents_the_endpoint(client):
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/recall-statistics/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"unit", "year", "date_from", "date_to", "format"}
    assert "400" in operation["responses"] and "404" in operation["responses"]


# ---------------------------------------------------------------- queries

# recall_statistics: 1 recalls by level and row, 2 outcomes by level, 3 study/front line/penalty
# totals, 4 penalties by row, 5 headcount by row, 6 the rows' units, 7 adjustments by method,
# 8 flags
STATISTICS_QUERIES = 8


def test_the_figures_take_the_same_queries_however_many_cases(
    two_counties, users, tree, city_head, django_assert_num_queries
):
    with django_assert_num_queries(STATISTICS_QUERIES):
        stats_for(users["city_staff"], D(2026, 1, 1), D(2026, 12, 31))
    for cadre in bulk_cadres(tree["town_b"], 5):
        recall_case(city_head, cadre, on=D(2026, 4, 1), outcome=Outcome.BACK_TO_POST, penalty="100")
    with django_assert_num_queries(STATISTICS_QUERIES):
        assert total(stats_for(users["city_staff"], D(2026, 1, 1), D(2026, 12, 31))) == 9


def test_the_page_query_count(two_counties, client, users, tree, django_assert_num_queries):
    client.force_login(users["city_staff"])
    client.get(reverse(PAGE))  # warm the session
    # session, user, the user's unit (its scope), the unit asked for (unit_get), the form's unit
    # field checking it, the figures, the unit picker's options
    with django_assert_num_queries(3 + 1 + 1 + STATISTICS_QUERIES + 1):
        response = client.get(reverse(PAGE), {"unit": tree["county_a"].pk, "year": 2026})
    assert response.context["stats"]["recalls"]["total"] == 3


def test_the_api_query_count(two_counties, users, tree, django_assert_num_queries):
    api = token_client(users["city_staff"])
    # token with its user and their unit (its scope, one query), the unit asked for, the figures
    with django_assert_num_queries(1 + 1 + STATISTICS_QUERIES):
        answer = api.get(reverse(API), {"unit": tree["county_a"].pk, "year": 2026})
    assert answer.json()["recalls"]["total"] == 3
