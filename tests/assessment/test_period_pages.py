"""The period, scheme, grid and result pages, as staff, county admins and read-only roles see them."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from assessment.models import Assessment, Period, PeriodStatus
from assessment.services.periods import period_create, period_transition
from assessment.services.scores import scores_save
from core.models import Job
from tests.factories import CadreFactory, unit_child

FULL = {"德": 95, "能": 95, "勤": 95, "绩": 95, "廉": 95, "民主测评": 95}


def login(client, users, role):
    client.force_login(users[role])
    return client


def grid_url(period, unit):
    return reverse("assessment:grid", args=[period.pk, unit.pk])


# ---------------------------------------------------------------- the list


@pytest.mark.parametrize("role", [Role.STAFF, Role.COUNTY_ADMIN])
def test_the_list_shows_the_periods_with_the_count_assessed_in_the_users_scope(
    client, users, role, annual_period
):
    response = login(client, users, role).get(reverse("assessment:periods"))
    page = response.content.decode()
    assert "2025年度干部考核" in page and "采集评分" in page
    assert response.context["page"][0].assessed == 1  # 张三 in 甲镇; 李四 in 乙县 is not counted


def test_only_roles_that_manage_assessment_see_the_create_form(client, users):
    assert (
        "新建考核期" in login(client, users, Role.STAFF).get(reverse("assessment:periods")).content.decode()
    )
    page = login(client, users, Role.COUNTY_ADMIN).get(reverse("assessment:periods")).content.decode()
    assert "新建考核期" not in page


def test_staff_creates_a_period_from_the_list(client, users):
    response = login(client, users, Role.STAFF).post(
        reverse("assessment:periods"), {"name": "2026年度", "year": "2026", "quarter": ""}
    )
    period = Period.objects.get(year=2026)
    assert response.status_code == 302 and response.url == reverse(
        "assessment:period_detail", args=[period.pk]
    )


def test_a_duplicate_period_is_explained_in_the_form(client, users, annual_period):
    response = login(client, users, Role.STAFF).post(
        reverse("assessment:periods"), {"name": "重复", "year": "2025", "quarter": ""}
    )
    assert response.status_code == 200
    assert "2025年年度考核已存在" in response.content.decode()


def test_a_bad_year_is_explained_not_a_500(client, users):
    response = login(client, users, Role.STAFF).post(
        reverse("assessment:periods"), {"name": "x", "year": "abc", "quarter": "9"}
    )
    assert response.status_code == 200 and "年度必须是数字" in response.content.decode()


def test_a_county_admin_posting_the_create_form_is_forbidden(client, users):
    response = login(client, users, Role.COUNTY_ADMIN).post(
        reverse("assessment:periods"), {"name": "2026年度", "year": "2026"}
    )
    assert response.status_code == 403 and not Period.objects.exists()


@pytest.mark.parametrize("periods", [1, 4])
def test_the_list_takes_a_constant_number_of_queries(client, users, periods, django_assert_num_queries):
    staff = users[Role.STAFF]
    for n in range(periods):
        period_create(actor=staff, name=f"{2020 + n}年度", year=2020 + n)
    login(client, users, Role.STAFF)
    # session, user, the user's unit (scope), count of periods, the page of periods with counts
    with django_assert_num_queries(5):
        response = client.get(reverse("assessment:periods"))
    assert response.content.decode().count("年度</a>") == periods


# ---------------------------------------------------------------- a period


@pytest.mark.parametrize("role", [Role.STAFF, Role.COUNTY_ADMIN])
def test_the_period_page_lists_the_units_in_scope_with_their_grids(client, users, tree, role, annual_period):
    page = login(client, users, role).get(reverse("assessment:period_detail", args=[annual_period.pk]))
    text = page.content.decode()
    assert grid_url(annual_period, tree["town_a"]) in text
    assert grid_url(annual_period, tree["town_b"]) not in text
    assert "民主测评" in text  # the scheme's indicators


def test_the_period_page_offers_staff_the_next_step_but_not_publishing(client, users, annual_period):
    text = login(client, users, Role.STAFF).get(reverse("assessment:period_detail", args=[annual_period.pk]))
    assert "进入评定等次" in text.content.decode()
    period_transition(actor=users[Role.STAFF], period=annual_period, to=PeriodStatus.GRADING)
    text = client.get(reverse("assessment:period_detail", args=[annual_period.pk])).content.decode()
    assert "退回采集评分" in text and "公布结果" not in text


def test_the_head_publishes_from_the_period_page(client, users, annual_period):
    period_transition(actor=users[Role.STAFF], period=annual_period, to=PeriodStatus.GRADING)
    response = login(client, users, Role.HEAD).post(
        reverse("assessment:period_transition", args=[annual_period.pk]), {"to": "published"}, follow=True
    )
    assert "考核期已进入“已公布”阶段" in response.content.decode()


def test_a_refused_step_is_explained_on_the_page(client, users, annual_period):
    response = login(client, users, Role.STAFF).post(
        reverse("assessment:period_transition", args=[annual_period.pk]), {"to": "draft"}, follow=True
    )
    assert "当前为“采集评分”，不能改为“草稿”" in response.content.decode()


def test_a_county_admin_cannot_move_a_period(client, users, annual_period):
    response = login(client, users, Role.COUNTY_ADMIN).post(
        reverse("assessment:period_transition", args=[annual_period.pk]), {"to": "grading"}
    )
    assert response.status_code == 403


def test_staff_queues_a_recompute_and_the_page_shows_its_progress(client, users, annual_period):
    login(client, users, Role.STAFF).post(reverse("assessment:recompute", args=[annual_period.pk]))
    job = Job.objects.get(kind="assessment.recompute", params__period=annual_period.pk)
    text = client.get(reverse("assessment:period_detail", args=[annual_period.pk])).content.decode()
    assert f"/api/v1/jobs/{job.pk}/" in text


def test_a_recompute_of_a_draft_period_is_explained(client, users, quarter_period):
    response = login(client, users, Role.STAFF).post(
        reverse("assessment:recompute", args=[quarter_period.pk]), follow=True
    )
    assert "不重新计算" in response.content.decode()


def test_an_unknown_period_is_not_found(client, users):
    assert (
        login(client, users, Role.STAFF).get(reverse("assessment:period_detail", args=[999])).status_code
        == 404
    )


@pytest.mark.parametrize("units", [1, 3])
def test_the_period_page_takes_a_constant_number_of_queries(
    client, users, tree, annual_period, units, django_assert_num_queries
):
    staff = users[Role.STAFF]
    for n in range(units):
        unit = unit_child(tree["town_a"], f"C01A01{n:02d}", f"村{n}", "village")
        people = [CadreFactory(unit=unit) for _ in range(2)]
        scores_save(
            actor=staff, period=annual_period, entries=[{"cadre": p, "scores": {"德": 90}} for p in people]
        )
    login(client, users, Role.STAFF)
    # session, user, period, schemes, base indicators, the user's unit (scope), count of units,
    # latest recompute job, the page of units with their counts (one aggregate query)
    with django_assert_num_queries(9):
        response = client.get(reverse("assessment:period_detail", args=[annual_period.pk]))
    assert len(response.context["unit_page"].object_list) == units + 1


# ---------------------------------------------------------------- the scheme page


def test_the_scheme_page_saves_the_indicators(client, users, annual_period):
    data = {
        "ind-TOTAL_FORMS": "2",
        "ind-INITIAL_FORMS": "0",
        "ind-MIN_NUM_FORMS": "0",
        "ind-MAX_NUM_FORMS": "1000",
    }
    for i, (code, weight) in enumerate((("实绩", "70"), ("测评", "30"))):
        data.update(
            {
                f"ind-{i}-code": code,
                f"ind-{i}-name": code,
                f"ind-{i}-group": "common",
                f"ind-{i}-dimension": "绩",
                f"ind-{i}-weight": weight,
                f"ind-{i}-min_score": "0",
                f"ind-{i}-max_score": "100",
            }
        )
    response = login(client, users, Role.STAFF).post(
        reverse("assessment:scheme", args=[annual_period.pk]), data
    )
    assert response.status_code == 302
    assert list(annual_period.scheme.indicators.values_list("code", flat=True)) == ["实绩", "测评"]


def test_the_scheme_page_explains_weights_not_making_100(client, users, annual_period):
    data = {
        "ind-TOTAL_FORMS": "1",
        "ind-INITIAL_FORMS": "0",
        "ind-0-code": "绩",
        "ind-0-name": "实绩",
        "ind-0-group": "common",
        "ind-0-dimension": "绩",
        "ind-0-weight": "80",
        "ind-0-min_score": "0",
        "ind-0-max_score": "abc",
    }
    response = login(client, users, Role.STAFF).post(
        reverse("assessment:scheme", args=[annual_period.pk]), data
    )
    assert response.status_code == 200
    assert "指标“绩”：最低分和满分必须是数字。" in response.content.decode()
    assert annual_period.scheme.indicators.count() == 6


def test_the_scheme_page_is_read_only_for_a_county_admin(client, users, annual_period):
    response = login(client, users, Role.COUNTY_ADMIN).get(
        reverse("assessment:scheme", args=[annual_period.pk])
    )
    assert response.status_code == 200 and "保存方案" not in response.content.decode()


# ---------------------------------------------------------------- the grid


@pytest.mark.parametrize("role", [Role.STAFF, Role.COUNTY_ADMIN])
def test_the_grid_has_an_input_per_indicator_for_each_cadre(
    client, users, tree, role, annual_period, cadre_a
):
    text = login(client, users, role).get(grid_url(annual_period, tree["town_a"])).content.decode()
    assert "张三" in text
    assert text.count('inputmode="decimal"') == 6 and 'data-max="100.00"' in text


def test_the_grid_of_a_unit_in_another_county_is_not_found(client, users, tree, annual_period):
    assert login(client, users, Role.STAFF).get(grid_url(annual_period, tree["town_b"])).status_code == 404


def test_the_grid_saves_scores_and_says_how_many_changed(client, users, tree, annual_period, cadre_a):
    data = {f"s-{cadre_a.pk}-{i}": "90" for i in range(6)}
    response = login(client, users, Role.COUNTY_ADMIN).post(
        grid_url(annual_period, tree["town_a"]), data, follow=True
    )
    assert "新增 0 人，修改 1 人，未变化 0 人" in response.content.decode()
    assert Assessment.objects.get(period=annual_period, cadre=cadre_a).scores == dict.fromkeys(FULL, 90)


def test_a_bad_cell_is_highlighted_with_its_message_and_nothing_is_saved(
    client, users, tree, annual_period, cadre_a
):
    other = CadreFactory(unit=tree["town_a"], name="王五")
    Assessment.objects.create(period=annual_period, cadre=other, unit=tree["town_a"])
    data = {f"s-{cadre_a.pk}-0": "88", f"s-{other.pk}-1": "150"}
    response = login(client, users, Role.STAFF).post(grid_url(annual_period, tree["town_a"]), data)
    text = response.content.decode()
    assert response.status_code == 200
    assert "指标“能”的得分 150 超出范围（0–100）。" in text
    assert f'name="s-{other.pk}-1" value="150"' in text  # the typed value is kept
    assert f'name="s-{cadre_a.pk}-0" value="88"' in text
    assert "is-invalid" in text
    assert not Assessment.objects.filter(period=annual_period).exclude(scores={}).exists()


def test_the_grid_is_read_only_for_an_auditor(client, users, tree, annual_period, cadre_a):
    text = login(client, users, Role.AUDITOR).get(grid_url(annual_period, tree["town_a"])).content.decode()
    assert "张三" in text and 'inputmode="decimal"' not in text
    response = client.post(grid_url(annual_period, tree["town_a"]), {f"s-{cadre_a.pk}-0": "90"})
    assert response.status_code == 403


def test_the_grid_of_a_published_period_has_no_inputs(client, users, tree, annual_period, cadre_a):
    period_transition(actor=users[Role.STAFF], period=annual_period, to=PeriodStatus.GRADING)
    period_transition(actor=users[Role.HEAD], period=annual_period, to=PeriodStatus.PUBLISHED)
    text = login(client, users, Role.STAFF).get(grid_url(annual_period, tree["town_a"])).content.decode()
    assert "张三" in text and 'inputmode="decimal"' not in text and "不能录入评分" in text


def test_the_grid_links_to_the_child_units(client, users, tree, annual_period):
    text = login(client, users, Role.STAFF).get(grid_url(annual_period, tree["county_a"])).content.decode()
    assert grid_url(annual_period, tree["town_a"]) in text


@pytest.mark.parametrize("cadres", [2, 20])
def test_the_grid_takes_a_constant_number_of_queries(
    client, users, tree, annual_period, cadres, django_assert_num_queries
):
    people = [CadreFactory(unit=tree["town_a"]) for _ in range(cadres)]
    scores_save(
        actor=users[Role.STAFF], period=annual_period, entries=[{"cadre": p, "scores": FULL} for p in people]
    )
    login(client, users, Role.STAFF)
    # session, user, period, the user's unit (scope), the grid's unit, count of rows, the page of
    # rows with their cadres, the indicators of the period's schemes, child units
    with django_assert_num_queries(9):
        response = client.get(grid_url(annual_period, tree["town_a"]))
    assert len(response.context["table"]) == cadres + 1


# ---------------------------------------------------------------- one assessment


@pytest.fixture
def graded(users, annual_period, cadre_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        scores_save(
            actor=users[Role.STAFF], period=annual_period, entries=[{"cadre": cadre_a, "scores": FULL}]
        )
    return Assessment.objects.get(period=annual_period, cadre=cadre_a)


def test_the_assessment_page_shows_the_scores_grade_and_explanation(client, users, graded):
    text = login(client, users, Role.STAFF).get(reverse("assessment:assessment_detail", args=[graded.pk]))
    text = text.content.decode()
    assert "95.00" in text and "称职" in text and "年度等次分数线" in text and "全程纪实" in text


def test_an_assessment_in_another_county_is_not_found(client, users, annual_period, cadre_b):
    other = Assessment.objects.get(period=annual_period, cadre=cadre_b)
    response = login(client, users, Role.STAFF).get(reverse("assessment:assessment_detail", args=[other.pk]))
    assert response.status_code == 404


def test_an_override_without_a_reason_is_explained_on_the_page(client, users, graded):
    response = login(client, users, Role.STAFF).post(
        reverse("assessment:override", args=[graded.pk]), {"grade": "优秀", "reason": ""}
    )
    assert response.status_code == 200 and "调整等次必须填写理由" in response.content.decode()


def test_an_override_from_the_page_sets_the_final_grade(client, users, graded):
    login(client, users, Role.STAFF).post(
        reverse("assessment:override", args=[graded.pk]), {"grade": "优秀", "reason": "实绩突出"}
    )
    graded.refresh_from_db()
    assert graded.final_grade == "优秀"


def test_a_county_admin_cannot_override_from_the_page(client, users, graded):
    response = login(client, users, Role.COUNTY_ADMIN).post(
        reverse("assessment:override", args=[graded.pk]), {"grade": "优秀", "reason": "实绩突出"}
    )
    assert response.status_code == 403


def test_a_published_result_is_corrected_from_the_page(client, users, graded):
    period_transition(actor=users[Role.STAFF], period=graded.period, to=PeriodStatus.GRADING)
    period_transition(actor=users[Role.HEAD], period=graded.period, to=PeriodStatus.PUBLISHED)
    login(client, users, Role.STAFF)
    assert (
        "提交更正" in client.get(reverse("assessment:assessment_detail", args=[graded.pk])).content.decode()
    )
    data = {"grade": "__keep__", "reason": "录入错误", **{f"score_{i}": "50" for i in range(6)}}
    client.post(reverse("assessment:correct", args=[graded.pk]), data)
    graded.refresh_from_db()
    assert graded.total_score == 50 and graded.final_grade == "不称职"
