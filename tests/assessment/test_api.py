"""``periods/``, ``periods/{id}/recompute/`` and ``assessments/`` of the public API."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from assessment.models import Assessment, Period, PeriodStatus
from assessment.services.periods import period_create, period_transition
from assessment.services.recompute import period_recompute
from assessment.services.scores import scores_save
from cadres.models import Cadre
from core.models import Job
from tests.factories import CadreFactory

CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]


def all_scores(value) -> dict:
    return dict.fromkeys(CODES, value)


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def open_period(actor, *, year=2025, quarter=None, name=None) -> Period:
    """A period created from the template scheme and opened for scores, with a row for every
    cadre. Opened by hand rather than by period_transition: that one is the period service's
    to test, and this keeps these tests about the API (and runnable on PostgreSQL on their own)."""
    period = period_create(actor=actor, name=name or f"{year}年度考核", year=year, quarter=quarter)
    Assessment.objects.bulk_create(
        Assessment(period=period, cadre=cadre, unit_id=cadre.unit_id)
        for cadre in Cadre.objects.order_by("pk")
    )
    Period.objects.filter(pk=period.pk).update(status=PeriodStatus.COLLECTING)
    period.refresh_from_db()
    return period


def grade(actor, period, scores_by_cadre: dict) -> None:
    """Store the scores and recompute at once (the queued job would run after the test's commit)."""
    scores_save(
        actor=actor,
        period=period,
        entries=[{"cadre": cadre, "scores": scores} for cadre, scores in scores_by_cadre.items()],
    )
    period_recompute(period_id=period.pk)


def publish(actor_head, period) -> Period:
    period = period_transition(actor=actor_head, period=period, to=PeriodStatus.GRADING)
    return period_transition(actor=actor_head, period=period, to=PeriodStatus.PUBLISHED)


@pytest.fixture
def town_a_cadres(tree, cadre_a):
    """张三 and four more cadres in 甲镇."""
    return [cadre_a, *(CadreFactory(unit=tree["town_a"], name=f"甲{i}") for i in range(4))]


@pytest.fixture
def graded(users, town_a_cadres, cadre_b):
    """An open annual period: 张三 95 (the one 优秀 of 5 at 20%), the others 80, 李四 (乙县) 75."""
    actor = users["city_staff"]
    period = open_period(actor)
    scores = {c: all_scores(80) for c in town_a_cadres[1:]}
    scores[town_a_cadres[0]] = all_scores(95)
    scores[cadre_b] = all_scores(75)
    grade(actor, period, scores)
    return period


# ---------------------------------------------------------------- periods


def test_period_list_shows_the_status_label_and_the_scheme_indicators(users, graded):
    body = api(users[Role.API_READER]).get("/api/v1/periods/").json()
    assert body["count"] == 1
    period = body["results"][0]
    assert (period["name"], period["year"], period["quarter"], period["status"]) == (
        "2025年度考核",
        2025,
        None,
        "采集评分",
    )
    assert period["scheme"] == graded.scheme_id
    indicators = period["scheme_detail"]["indicators"]
    assert [i["code"] for i in indicators] == CODES
    assert indicators[3] == {
        "code": "绩",
        "name": "工作实绩",
        "group": "共性指标",
        "track": "",
        "dimension": "绩",
        "weight": 30.0,
        "min_score": 0.0,
        "max_score": 100.0,
    }
    assert period["computed_at"] is not None


def test_period_list_filters_by_year_and_by_status_label_or_code(users, graded):
    actor = users["city_staff"]
    period_create(actor=actor, name="2024年度考核", year=2024)
    client = api(users[Role.STAFF])
    assert [p["year"] for p in client.get("/api/v1/periods/?year=2024").json()["results"]] == [2024]
    assert [p["year"] for p in client.get("/api/v1/periods/?status=草稿").json()["results"]] == [2024]
    assert [p["year"] for p in client.get("/api/v1/periods/?status=collecting").json()["results"]] == [2025]


def test_an_unknown_status_filter_is_a_400_naming_the_choices(users, graded):
    response = api(users[Role.STAFF]).get("/api/v1/periods/?status=进行中")
    assert response.status_code == 400
    assert "已公布" in response.json()["error"]["fields"]["status"][0]


def test_period_list_query_count_does_not_grow_with_periods(users, django_assert_num_queries):
    actor = users["city_staff"]
    period_create(actor=actor, name="2025年度考核", year=2025)
    client = api(users[Role.API_READER])
    # count, page of periods joined to their scheme, the schemes' indicators
    with django_assert_num_queries(3):
        client.get("/api/v1/periods/")
    for quarter in (1, 2, 3, 4):
        period_create(actor=actor, name=f"2025年第{quarter}季度", year=2025, quarter=quarter)
    with django_assert_num_queries(3):
        assert client.get("/api/v1/periods/").json()["count"] == 5


def test_staff_creates_a_draft_period_with_a_copy_of_the_template_scheme(users):
    response = api(users[Role.STAFF]).post(
        "/api/v1/periods/", {"name": "2026年第1季度平时考核", "year": 2026, "quarter": 1}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["quarter"]) == ("草稿", 1)
    assert [i["code"] for i in body["scheme_detail"]["indicators"]] == ["得分"]
    assert Period.objects.get(pk=body["id"]).created_by == users[Role.STAFF]


def test_a_period_created_with_status_collecting_is_opened_at_once(users, cadre_a):
    response = api(users[Role.STAFF]).post(
        "/api/v1/periods/", {"name": "2025年度考核", "year": 2025, "status": "采集评分"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["status"] == "采集评分"
    assert Assessment.objects.filter(period_id=response.json()["id"], cadre=cadre_a).exists()


@pytest.mark.parametrize("role", [Role.COUNTY_ADMIN, Role.API_READER, Role.AUDITOR])
def test_roles_without_manage_assessment_cannot_create_periods(role, users):
    response = api(users[role]).post(
        "/api/v1/periods/", {"name": "2026年度考核", "year": 2026}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Period.objects.exists()


def test_a_second_annual_period_for_a_year_is_a_400_in_the_error_shape(users, graded):
    response = api(users[Role.STAFF]).post(
        "/api/v1/periods/", {"name": "又一个", "year": 2025}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "已存在" in error["fields"]["year"][0]
    assert error["message"].startswith("提交的数据有误")


def test_a_bad_quarter_is_a_400_with_the_field(users):
    response = api(users[Role.STAFF]).post(
        "/api/v1/periods/", {"name": "第五季度", "year": 2025, "quarter": 5}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"quarter"}


def test_patching_the_status_moves_the_period_one_step_and_refuses_a_jump(users, graded):
    client = api(users[Role.HEAD])
    jump = client.patch(f"/api/v1/periods/{graded.pk}/", {"status": "已归档"}, format="json")
    assert jump.status_code == 400
    assert "不能改为“已归档”" in jump.json()["error"]["fields"]["status"][0]
    step = client.patch(f"/api/v1/periods/{graded.pk}/", {"status": "grading"}, format="json")
    assert step.status_code == 200
    assert step.json()["status"] == "评定等次"


def test_publishing_through_the_api_needs_the_heads_approval(users, graded):
    period_transition(actor=users[Role.STAFF], period=graded, to=PeriodStatus.GRADING)
    response = api(users[Role.STAFF]).patch(
        f"/api/v1/periods/{graded.pk}/", {"status": "已公布"}, format="json"
    )
    assert response.status_code == 403
    assert Period.objects.get(pk=graded.pk).status == PeriodStatus.GRADING


# ---------------------------------------------------------------- recompute


def test_recompute_returns_202_and_a_job_that_computes_the_grades(
    users, town_a_cadres, django_capture_on_commit_callbacks
):
    actor = users["city_staff"]
    period = open_period(actor)
    scores_save(actor=actor, period=period, entries=[{"cadre": town_a_cadres[0], "scores": all_scores(95)}])
    Job.objects.all().delete()  # the job scores_save queued would never run inside the test transaction
    assert Assessment.objects.get(period=period, cadre=town_a_cadres[0]).final_grade == ""
    client = api(users[Role.STAFF])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/periods/{period.pk}/recompute/", {}, format="json")
    assert response.status_code == 202
    body = response.json()
    assert body["url"] == f"/api/v1/jobs/{body['job']}/"
    job = client.get(body["url"]).json()
    assert job["state"] == "done"
    assert job["result"]["assessments"] == 5  # 甲县's cadres only: the caller's scope
    assessment = Assessment.objects.get(period=period, cadre=town_a_cadres[0])
    assert (assessment.final_grade, assessment.grade_code) == ("称职", 2)  # 1 scored of 5: no 优秀 slot
    assert Assessment.objects.get(period=period, cadre=town_a_cadres[1]).final_grade == ""


def test_recompute_of_one_unit_covers_only_that_subtree(users, tree, graded):
    Job.objects.all().delete()
    response = api(users["city_staff"]).post(
        f"/api/v1/periods/{graded.pk}/recompute/", {"unit": tree["county_b"].pk}, format="json"
    )
    assert response.status_code == 202
    assert Job.objects.get(pk=response.json()["job"]).params["unit_path"] == tree["county_b"].path


def test_recompute_of_a_unit_outside_the_callers_scope_is_404(users, tree, graded):
    response = api(users[Role.STAFF]).post(
        f"/api/v1/periods/{graded.pk}/recompute/", {"unit": tree["county_b"].pk}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "单位不存在或不在您的管辖范围内。"


def test_recompute_of_a_published_period_is_a_409_with_a_chinese_message(users, graded):
    publish(users[Role.HEAD], graded)
    response = api(users[Role.STAFF]).post(f"/api/v1/periods/{graded.pk}/recompute/", {}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert "已公布" in error["message"]


def test_recompute_of_a_draft_period_is_a_409(users):
    period = period_create(actor=users[Role.STAFF], name="2026年度考核", year=2026)
    response = api(users[Role.STAFF]).post(f"/api/v1/periods/{period.pk}/recompute/", {}, format="json")
    assert response.status_code == 409


@pytest.mark.parametrize("role", [Role.API_READER, Role.AUDITOR, Role.COUNTY_ADMIN])
def test_recompute_is_403_for_roles_without_manage_assessment(role, users, graded):
    Job.objects.all().delete()
    response = api(users[role]).post(f"/api/v1/periods/{graded.pk}/recompute/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "您的角色无权重新计算考核等次。"
    assert not Job.objects.exists()


# ---------------------------------------------------------------- assessments: reading


def test_assessment_rows_carry_scores_grades_and_the_explanation(users, graded, cadre_a):
    rows = api(users[Role.STAFF]).get(f"/api/v1/assessments/?cadre={cadre_a.pk}").json()["results"]
    assert len(rows) == 1
    row = rows[0]
    assert (row["cadre_name"], row["unit_name"], row["period"]) == ("张三", "甲镇", graded.pk)
    assert row["scores"] == all_scores(95)
    assert row["total_score"] == 95.0
    assert (row["rank_in_unit"], row["computed_grade"], row["final_grade"], row["grade_code"]) == (
        1,
        "优秀",
        "优秀",
        1,
    )
    assert {k: row["explanation"][-1][k] for k in ("rule", "effect")} == {
        "rule": "优秀比例",
        "effect": "优秀",
    }
    assert "× 20%" in row["explanation"][-1]["facts"]
    assert row["review_required"] is False


def test_a_county_admin_sees_only_assessments_of_their_county(users, graded, cadre_b):
    body = api(users[Role.COUNTY_ADMIN]).get("/api/v1/assessments/").json()
    assert body["count"] == 5
    assert {r["unit_name"] for r in body["results"]} == {"甲镇"}
    city = api(users["city_staff"]).get("/api/v1/assessments/").json()
    assert city["count"] == 6


@pytest.mark.parametrize("role", [Role.STAFF, Role.COUNTY_ADMIN, Role.API_READER, Role.AUDITOR])
def test_an_out_of_scope_assessment_is_404_for_every_role(role, users, graded, cadre_b):
    other = Assessment.objects.get(period=graded, cadre=cadre_b)
    response = api(users[role]).get(f"/api/v1/assessments/{other.pk}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_assessments_filter_by_final_grade_label(users, graded):
    client = api(users[Role.STAFF])
    assert [r["cadre_name"] for r in client.get("/api/v1/assessments/?grade=优秀").json()["results"]] == [
        "张三"
    ]
    assert client.get("/api/v1/assessments/?grade=称职").json()["count"] == 4
    bad = client.get("/api/v1/assessments/?grade=很好")
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"grade"}


def test_assessments_filter_by_unit_subtree_and_period(users, tree, graded):
    client = api(users["city_staff"])
    assert client.get(f"/api/v1/assessments/?unit={tree['county_b'].pk}").json()["count"] == 1
    assert (
        client.get(f"/api/v1/assessments/?unit={tree['town_a'].pk}&period={graded.pk}").json()["count"] == 5
    )
    assert client.get(f"/api/v1/assessments/?period={graded.pk + 100}").json()["count"] == 0
    # a unit outside the caller's scope filters to nothing, like cadres/?unit=
    assert api(users[Role.STAFF]).get(f"/api/v1/assessments/?unit={tree['county_b'].pk}").json()["count"] == 0


def test_assessment_list_query_count_does_not_grow_with_rows(users, tree, graded, django_assert_num_queries):
    client = api(users[Role.API_READER])
    # count, one page joined to cadre, unit and period
    with django_assert_num_queries(2):
        assert client.get("/api/v1/assessments/").json()["count"] == 5
    for i in range(20):
        CadreFactory(unit=tree["town_a"], name=f"新{i}")
    period_transition(actor=users["city_staff"], period=graded, to=PeriodStatus.GRADING)
    Assessment.objects.bulk_create(
        Assessment(period=graded, cadre=c, unit=c.unit)
        for c in CadreFactory._meta.model.objects.filter(name__startswith="新")
    )
    with django_assert_num_queries(2):
        assert client.get("/api/v1/assessments/").json()["count"] == 25


# ---------------------------------------------------------------- assessments: writing


def test_post_saves_the_scores_of_one_cadre_and_answers_200_for_an_existing_record(
    users, graded, cadre_a, django_capture_on_commit_callbacks
):
    Job.objects.all().delete()  # else the fixture's never-run job would be reused
    with django_capture_on_commit_callbacks(execute=True):
        response = api(users[Role.COUNTY_ADMIN]).post(
            "/api/v1/assessments/",
            {"period": graded.pk, "cadre": cadre_a.pk, "scores": {"绩": 60}},
            format="json",
        )
    assert response.status_code == 200
    assert response.json()["scores"] == {**all_scores(95), "绩": 60}
    # the queued recomputation ran after the commit: 95×70% + 60×30% = 84.50
    assert Assessment.objects.get(period=graded, cadre=cadre_a).total_score == Decimal("84.50")


def test_post_for_a_cadre_without_a_record_creates_it_with_201(users, tree, graded):
    newcomer = CadreFactory(unit=tree["town_a"], name="新来的")
    response = api(users[Role.STAFF]).post(
        "/api/v1/assessments/",
        {"period": graded.pk, "cadre": newcomer.pk, "scores": {"德": 88}, "track": "乡村振兴"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["cadre_name"], body["unit_name"], body["track"], body["scores"]) == (
        "新来的",
        "甲镇",
        "乡村振兴",
        {"德": 88},
    )


def test_an_out_of_range_score_is_a_400_naming_the_indicator_and_nothing_is_written(users, graded, cadre_a):
    response = api(users[Role.STAFF]).post(
        "/api/v1/assessments/",
        {"period": graded.pk, "cadre": cadre_a.pk, "scores": {"德": 120, "能": "abc"}},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"]["scores"] == [
        "指标“德”的得分 120 超出范围（0–100）。",
        "指标“能”的得分“abc”不是数字。",
    ]
    assert Assessment.objects.get(period=graded, cadre=cadre_a).scores == all_scores(95)


def test_post_for_an_out_of_scope_cadre_is_a_400_on_the_cadre_field(users, graded, cadre_b):
    response = api(users[Role.STAFF]).post(
        "/api/v1/assessments/",
        {"period": graded.pk, "cadre": cadre_b.pk, "scores": {"德": 90}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"cadre": ["干部不存在或不在您的管辖范围内。"]}


def test_post_without_period_is_a_400_in_the_error_shape(users, cadre_a):
    response = api(users[Role.STAFF]).post("/api/v1/assessments/", {"cadre": cadre_a.pk}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert "period" in response.json()["error"]["fields"]


@pytest.mark.parametrize("role", [Role.API_READER, Role.AUDITOR])
def test_read_only_roles_may_not_write_assessments(role, users, graded, cadre_a):
    client = api(users[role])
    record = Assessment.objects.get(period=graded, cadre=cadre_a)
    post = client.post(
        "/api/v1/assessments/", {"period": graded.pk, "cadre": cadre_a.pk, "scores": {"德": 1}}, format="json"
    )
    patch = client.patch(f"/api/v1/assessments/{record.pk}/", {"scores": {"德": 1}}, format="json")
    assert (post.status_code, patch.status_code) == (403, 403)
    assert Assessment.objects.get(pk=record.pk).scores == all_scores(95)


def test_patch_scores_changes_only_the_named_indicator(users, graded, cadre_a):
    record = Assessment.objects.get(period=graded, cadre=cadre_a)
    response = api(users[Role.COUNTY_ADMIN]).patch(
        f"/api/v1/assessments/{record.pk}/", {"scores": {"廉": 70}}, format="json"
    )
    assert response.status_code == 200
    assert Assessment.objects.get(pk=record.pk).scores == {**all_scores(95), "廉": 70}


def test_patch_of_an_out_of_scope_assessment_is_404(users, graded, cadre_b):
    record = Assessment.objects.get(period=graded, cadre=cadre_b)
    response = api(users[Role.STAFF]).patch(
        f"/api/v1/assessments/{record.pk}/", {"scores": {"德": 10}}, format="json"
    )
    assert response.status_code == 404
    assert Assessment.objects.get(pk=record.pk).scores == all_scores(75)


def test_staff_overrides_the_final_grade_with_a_reason(users, graded, town_a_cadres):
    record = Assessment.objects.get(period=graded, cadre=town_a_cadres[1])
    response = api(users[Role.STAFF]).patch(
        f"/api/v1/assessments/{record.pk}/",
        {"final_grade": "基本称职", "override_reason": "年度内受到通报批评"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["computed_grade"], body["final_grade"], body["grade_code"]) == ("称职", "基本称职", 3)
    assert body["override_reason"] == "年度内受到通报批评"
    assert body["explanation"][-1]["rule"] == "人工调整"


def test_an_override_without_a_reason_is_a_400_on_override_reason(users, graded, cadre_a):
    record = Assessment.objects.get(period=graded, cadre=cadre_a)
    response = api(users[Role.STAFF]).patch(
        f"/api/v1/assessments/{record.pk}/", {"final_grade": "称职"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"override_reason": ["调整等次必须填写理由。"]}
    assert Assessment.objects.get(pk=record.pk).final_grade == "优秀"


def test_a_county_admin_may_enter_scores_but_not_override_grades(users, graded, cadre_a):
    record = Assessment.objects.get(period=graded, cadre=cadre_a)
    response = api(users[Role.COUNTY_ADMIN]).patch(
        f"/api/v1/assessments/{record.pk}/", {"final_grade": "称职", "override_reason": "x"}, format="json"
    )
    assert response.status_code == 403
    assert Assessment.objects.get(pk=record.pk).final_grade == "优秀"


def test_a_published_result_is_changed_only_as_a_correction_with_a_reason(users, graded, town_a_cadres):
    publish(users[Role.HEAD], graded)
    record = Assessment.objects.get(period=graded, cadre=town_a_cadres[1])
    client = api(users[Role.STAFF])
    refused = client.patch(f"/api/v1/assessments/{record.pk}/", {"scores": {"德": 60}}, format="json")
    assert refused.status_code == 400
    assert "reason" in refused.json()["error"]["fields"]
    corrected = client.patch(
        f"/api/v1/assessments/{record.pk}/",
        {"scores": {"德": 60}, "reason": "德的得分录入错误"},
        format="json",
    )
    assert corrected.status_code == 200
    # corrections recompute at once: 80 everywhere but 德 60 (15%) → 77.00
    assert corrected.json()["total_score"] == 77.0
    assert corrected.json()["scores"]["德"] == 60


def test_post_to_a_published_period_is_a_409(users, graded, cadre_a):
    publish(users[Role.HEAD], graded)
    response = api(users[Role.STAFF]).post(
        "/api/v1/assessments/",
        {"period": graded.pk, "cadre": cadre_a.pk, "scores": {"德": 60}},
        format="json",
    )
    assert response.status_code == 409
    assert "已公布" in response.json()["error"]["message"]
