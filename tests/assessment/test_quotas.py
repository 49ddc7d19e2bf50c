"""The 优秀 quota's two numbers (the exact value beside the places) as the recomputation stores
them and the results page, the quota list and the API show them; who is left out of the base and
why; 优秀比例上调 (recorded, changed, withdrawn) and the regrading it causes. Units of cadres
are built in the database and graded by the real recomputation."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.roles import Role
from assessment.models import Assessment, PeriodStatus, PolicyRule, QuotaRaise, RuleKind, UnitQuota
from assessment.services import quotas as services
from assessment.services.recompute import period_recompute
from audit.models import AuditAction, AuditEntry
from cadres.models import UnitKind
from core.models import Job
from tests.factories import CadreFactory, make_period, unit_child

CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]
TODAY = "2026-01-20"


def scores(value, **missing) -> dict:
    """Every indicator at ``value``; ``missing`` names indicators left out (民主测评=None)."""
    return {code: value for code in CODES if code not in missing}


def make_unit(period, unit, totals, prefix="甲"):
    """Cadres of ``unit`` named ``prefix``1, 2, … with a row each scored ``totals[i]`` on
    every indicator (a dict: those scores as given). Returns {name: assessment}."""
    rows = {}
    for i, total in enumerate(totals, start=1):
        cadre = CadreFactory(unit=unit, name=f"{prefix}{i}")
        rows[cadre.name] = Assessment.objects.create(
            period=period,
            cadre=cadre,
            unit=unit,
            scores=total if isinstance(total, dict) else scores(total),
        )
    return rows


def top3(count):
    """``count`` cadres: three above the 优秀 line (95, 94, 93), the rest at 80."""
    return [95, 94, 93, *([80] * (count - 3))]


def quota_rule(unit, **params):
    PolicyRule.objects.create(
        unit=unit,
        kind=RuleKind.QUOTA,
        params={"ratio": 0.2, "rounding": "floor", "tie_break": ["绩", "德"], **params},
    )


def graded(period, unit=None):
    period_recompute(period_id=period.pk, force=True)
    return {a.cadre.name: a for a in Assessment.objects.filter(period=period).select_related("cadre")}


def quota_of(period, unit) -> UnitQuota:
    return UnitQuota.objects.get(period=period, unit=unit)


@pytest.fixture
def town(tree):
    return tree["town_a"]


@pytest.fixture
def period(db):
    return make_period(year=2025, status="collecting")


@pytest.fixture
def staff(users):
    return users[Role.STAFF]


@pytest.fixture
def today(clock):
    return clock.set(TODAY)


def add_raise(actor, period, unit, **kw):
    fields = {
        "reason": "完成防汛抢险任务",
        "approved_by": "县委常委会",
        "approved_on": datetime.date(2026, 1, 10),
    }
    return services.quota_raise_create(actor=actor, period=period, unit=unit, **{**fields, **kw})


# --------------------------------------------------------------------------- the two numbers


@pytest.mark.parametrize(("count", "exact", "places"), [(10, "2.00", 2), (9, "1.80", 1), (15, "3.00", 3)])
def test_the_exact_value_is_stored_with_two_decimals_beside_the_places(period, town, count, exact, places):
    make_unit(period, town, top3(count))
    graded(period)
    q = quota_of(period, town)
    assert (q.assessed, q.ratio, q.exact, q.rounding, q.places) == (
        count,
        Decimal("0.2"),
        Decimal(exact),
        "floor",
        places,
    )
    assert str(q.exact) == exact


@pytest.mark.parametrize(("rounding", "places"), [("floor", 1), ("round", 2), ("ceil", 2)])
def test_exactly_half_a_place_under_each_rounding(period, town, rounding, places):
    # 5 × 30% = 1.50: floor gives 1, round (half up) and ceil give 2
    quota_rule(town, ratio=0.3, rounding=rounding)
    rows = make_unit(period, town, [96, 95, 80, 80, 80])
    people = graded(period)
    q = quota_of(period, town)
    assert (q.exact, q.places, q.awarded) == (Decimal("1.50"), places, places)
    assert people["甲2"].final_grade == ("优秀" if places == 2 else "称职")
    assert rows  # the unit was built


def test_just_under_half_a_place_rounds_down_even_when_rounding_half_up(period, town):
    # 7 × 35% = 2.45: 四舍五入 gives 2, not 3 (the exact value is not rounded twice)
    quota_rule(town, ratio=0.35, rounding="round")
    make_unit(period, town, [96, 95, 94, 80, 80, 80, 80])
    graded(period)
    q = quota_of(period, town)
    assert (q.exact, q.places) == (Decimal("2.45"), 2)


# --------------------------------------------------------------------------- who is not in the base


def test_a_cadre_without_a_democratic_score_is_out_of_the_base_under_missing_scores(period, town):
    make_unit(period, town, [95, 94, scores(93, 民主测评=None), *([80] * 7)])
    people = graded(period)
    q = quota_of(period, town)
    # 9 in the base: 9 × 20% = 1.80 → 1 place
    assert (q.assessed, q.excluded, q.exact, q.places) == (9, {"缺少指标得分": 1}, Decimal("1.80"), 1)
    assert people["甲3"].final_grade == ""
    found, more = services.excluded_cadres(period=period, unit=town)
    assert [(c.name, c.reason) for c in found] == [("甲3", "缺少指标得分")] and more == 0


def test_probation_and_missing_scores_are_counted_apart_and_named(period, town):
    rows = make_unit(period, town, [95, 94, scores(93, 民主测评=None), *([80] * 9)])
    on_probation = rows["甲5"].cadre
    on_probation.probation_end = datetime.date(2025, 12, 31)  # the last day of the year: still on it
    on_probation.save(update_fields=["probation_end"])
    graded(period)
    q = quota_of(period, town)
    assert (q.assessed, q.excluded) == (10, {"缺少指标得分": 1, "试用期": 1})
    found, _ = services.excluded_cadres(period=period, unit=town)
    assert sorted((c.name, c.reason) for c in found) == [("甲3", "缺少指标得分"), ("甲5", "试用期")]


def test_probation_ending_the_day_before_the_year_end_keeps_the_cadre_in_the_base(period, town):
    rows = make_unit(period, town, top3(10))
    cadre = rows["甲5"].cadre
    cadre.probation_end = datetime.date(2025, 12, 30)
    cadre.save(update_fields=["probation_end"])
    graded(period)
    assert (quota_of(period, town).assessed, quota_of(period, town).excluded) == (10, {})
    assert services.excluded_cadres(period=period, unit=town) == ([], 0)


def test_a_probation_rule_counting_in_the_base_names_nobody_as_left_out(period, town):
    PolicyRule.objects.create(
        unit=town, kind=RuleKind.PROBATION, params={"effect": "undetermined", "in_quota_base": "yes"}
    )
    rows = make_unit(period, town, top3(10))
    cadre = rows["甲5"].cadre
    cadre.probation_end = datetime.date(2026, 3, 1)
    cadre.save(update_fields=["probation_end"])
    people = graded(period)
    assert people["甲5"].final_grade == "不定等次"
    assert (quota_of(period, town).assessed, quota_of(period, town).excluded) == (10, {})
    assert services.excluded_cadres(period=period, unit=town) == ([], 0)


# --------------------------------------------------------------------------- 优秀比例上调


def test_a_raise_with_a_raised_ratio_gives_the_third_place(
    period, town, staff, today, django_capture_on_commit_callbacks
):
    quota_rule(town, raised_ratio=0.25)
    make_unit(period, town, top3(12))
    people = graded(period)
    q = quota_of(period, town)
    # 12 × 20% = 2.40 → 2: the third candidate is not 优秀
    assert (q.ratio, q.exact, q.places, q.raised) == (Decimal("0.2"), Decimal("2.40"), 2, False)
    assert people["甲3"].final_grade == "称职"

    with django_capture_on_commit_callbacks(execute=True):
        add_raise(staff, period, town)
    people = {a.cadre.name: a for a in Assessment.objects.filter(period=period).select_related("cadre")}
    q = quota_of(period, town)
    # 12 × 25% = 3.00 → 3
    assert (q.ratio, q.exact, q.places, q.raised, q.awarded) == (Decimal("0.25"), Decimal("3.00"), 3, True, 3)
    note = "完成重大任务（完成防汛抢险任务），经县委常委会于 2026-01-10 批准，优秀比例按 25%"
    assert q.raise_note == note
    third = people["甲3"]
    assert third.final_grade == "优秀"
    facts = [e["facts"] for e in third.explanation if e["rule"] == "优秀比例"]
    assert facts and note in facts[0] and "12 人 × 25% = 3" in facts[0]


def test_a_raise_without_a_raised_ratio_keeps_the_ratio_and_says_so(
    period, town, staff, today, django_capture_on_commit_callbacks
):
    make_unit(period, town, top3(12))
    graded(period)
    with django_capture_on_commit_callbacks(execute=True):
        add_raise(staff, period, town)
    q = quota_of(period, town)
    assert (q.ratio, q.exact, q.places, q.raised) == (Decimal("0.2"), Decimal("2.40"), 2, False)
    assert q.raise_note == "已登记完成重大任务，但评定规则未设上调比例，按一般比例"
    assert Assessment.objects.get(period=period, cadre__name="甲3").final_grade == "称职"
    ratios = services.ratios_for(town)
    assert ratios.raised is None
    assert "须由管理员在评定规则页面设置该比例后才生效" in services.raise_effect(ratios)


def test_withdrawing_the_raise_regrades_at_the_ordinary_ratio(
    period, town, staff, today, django_capture_on_commit_callbacks
):
    quota_rule(town, raised_ratio=0.25)
    make_unit(period, town, top3(12))
    with django_capture_on_commit_callbacks(execute=True):
        raise_ = add_raise(staff, period, town)
    assert Assessment.objects.get(period=period, cadre__name="甲3").final_grade == "优秀"
    with django_capture_on_commit_callbacks(execute=True):
        services.quota_raise_delete(actor=staff, raise_=raise_)
    q = quota_of(period, town)
    assert (q.ratio, q.exact, q.places, q.raised, q.raise_note) == (
        Decimal("0.2"),
        Decimal("2.40"),
        2,
        False,
        "",
    )
    third = Assessment.objects.get(period=period, cadre__name="甲3")
    assert third.final_grade == "称职"
    assert "批准" not in str(third.explanation)
    assert not QuotaRaise.objects.exists()
    entry = AuditEntry.objects.filter(model="assessment.quotaraise", action=AuditAction.DELETE).get()
    assert "撤销优秀比例上调" in entry.reason


def test_a_raise_in_a_published_period_regrades_that_unit_at_once_and_only_it(tree, town, staff, today):
    county = tree["county_a"]
    quota_rule(county, raised_ratio=0.25)  # inherited by the town
    period = make_period(year=2025, status="collecting")
    make_unit(period, town, top3(12))
    make_unit(period, county, top3(12), prefix="县")
    graded(period)
    period.status = PeriodStatus.PUBLISHED
    period.save(update_fields=["status"])
    # a later change the published county's grades must not pick up from the town's raise
    Assessment.objects.filter(period=period, cadre__name="县4").update(scores=scores(99))

    add_raise(staff, period, town)  # no commit needed: a published period is regraded at once

    people = {a.cadre.name: a for a in Assessment.objects.filter(period=period).select_related("cadre")}
    assert people["甲3"].final_grade == "优秀"
    assert quota_of(period, town).places == 3
    assert people["县4"].final_grade == "称职" and quota_of(period, county).places == 2
    entry = AuditEntry.objects.filter(model="assessment.quotaraise", action=AuditAction.CREATE).get()
    assert "已公布，已重新评定该单位等次" in entry.reason and entry.scope_path == town.path


def test_a_raise_in_an_open_period_queues_a_recomputation_of_the_unit(period, town, staff, today):
    add_raise(staff, period, town)
    job = Job.objects.get(kind="assessment.recompute")
    assert (job.params["period"], job.params["unit_path"], job.params["reason"]) == (
        period.pk,
        town.path,
        "登记优秀比例上调",
    )


def test_a_raise_in_a_draft_period_queues_nothing(town, staff, today):
    period = make_period(year=2025, status="draft")
    add_raise(staff, period, town)
    assert QuotaRaise.objects.count() == 1 and not Job.objects.exists()


def test_changing_the_raise_rewrites_the_note_in_the_explanations(
    period, town, staff, today, django_capture_on_commit_callbacks
):
    quota_rule(town, raised_ratio=0.25)
    make_unit(period, town, top3(12))
    with django_capture_on_commit_callbacks(execute=True):
        raise_ = add_raise(staff, period, town)
    with django_capture_on_commit_callbacks(execute=True):
        services.quota_raise_update(actor=staff, raise_=raise_, approved_by="县政府")
    assert "经县政府于 2026-01-10 批准" in quota_of(period, town).raise_note
    entry = AuditEntry.objects.filter(model="assessment.quotaraise", action=AuditAction.UPDATE).get()
    assert entry.changes["approved_by"] == ["县委常委会", "县政府"]


def test_saving_a_raise_unchanged_writes_nothing(period, town, staff, today):
    raise_ = add_raise(staff, period, town)
    Job.objects.all().delete()
    before = AuditEntry.objects.count()
    services.quota_raise_update(actor=staff, raise_=raise_, reason=" 完成防汛抢险任务 ")
    assert AuditEntry.objects.count() == before and not Job.objects.exists()


# --------------------------------------------------------------------------- refusals


def test_one_raise_per_unit_and_period(period, town, staff, today):
    add_raise(staff, period, town)
    with pytest.raises(ValidationError) as caught:
        add_raise(staff, period, town)
    assert "已登记优秀比例上调" in caught.value.message_dict["unit"][0]
    assert QuotaRaise.objects.count() == 1


@pytest.mark.parametrize(
    ("day", "ok"),
    [("2026-01-20", True), ("2026-01-21", False), ("2025-01-01", True), ("2024-12-31", False)],
)
def test_the_approval_date_is_today_at_the_latest_and_in_the_year_at_the_earliest(
    period, town, staff, today, day, ok
):
    approved_on = datetime.date.fromisoformat(day)
    if ok:
        assert add_raise(staff, period, town, approved_on=approved_on).approved_on == approved_on
        return
    with pytest.raises(ValidationError) as caught:
        add_raise(staff, period, town, approved_on=approved_on)
    message = caught.value.message_dict["approved_on"][0]
    assert ("不能晚于今天（2026-01-20）" if day > TODAY else "不能早于考核年度（2025年1月1日）") in message
    assert not QuotaRaise.objects.exists()


def test_reason_approver_and_date_are_required_and_the_reason_has_a_limit(period, town, staff, today):
    with pytest.raises(ValidationError) as caught:
        add_raise(staff, period, town, reason="  ", approved_by="", approved_on=None)
    assert set(caught.value.message_dict) == {"reason", "approved_by", "approved_on"}
    with pytest.raises(ValidationError) as caught:
        add_raise(staff, period, town, reason="任" * 201)
    assert "不能超过 200 字" in caught.value.message_dict["reason"][0]
    assert add_raise(staff, period, town, reason="任" * 200).reason == "任" * 200


def test_a_quarterly_or_archived_period_is_refused(town, staff, today):
    quarter = make_period(year=2025, quarter=1, status="collecting")
    with pytest.raises(ValidationError) as caught:
        add_raise(staff, quarter, town)
    assert "只有年度考核可以上调优秀比例" in caught.value.message_dict["period"][0]
    archived = make_period(year=2024, status="archived")
    with pytest.raises(ValidationError) as caught:
        add_raise(staff, archived, town, approved_on=datetime.date(2025, 3, 1))
    assert "已归档" in caught.value.message_dict["period"][0]
    assert not QuotaRaise.objects.exists()


def test_deleting_a_raise_of_an_archived_period_is_refused(period, town, staff, today):
    raise_ = add_raise(staff, period, town)
    period.status = PeriodStatus.ARCHIVED
    period.save(update_fields=["status"])
    with pytest.raises(ValidationError):
        services.quota_raise_delete(actor=staff, raise_=raise_)
    assert QuotaRaise.objects.count() == 1


@pytest.mark.parametrize("role", [Role.COUNTY_ADMIN, Role.API_READER, Role.AUDITOR])
def test_roles_without_manage_assessment_cannot_record_a_raise(period, town, users, today, role):
    with pytest.raises(PermissionDenied):
        add_raise(users[role], period, town)
    assert not QuotaRaise.objects.exists()


def test_a_unit_outside_the_scope_is_refused(period, tree, staff, today):
    with pytest.raises(PermissionDenied):
        add_raise(staff, period, tree["town_b"])
    # the county itself is in the county user's scope, one level above the town
    assert add_raise(staff, period, tree["county_a"]).unit == tree["county_a"]


# --------------------------------------------------------------------------- pages


def results_url(period, unit):
    return reverse("assessment:results", args=[period.pk, unit.pk])


def test_the_results_panel_shows_both_numbers_the_rule_and_who_is_left_out(
    client, users, period, town, staff, today, django_capture_on_commit_callbacks
):
    quota_rule(town, raised_ratio=0.25)
    rows = make_unit(period, town, [*top3(12), scores(93, 民主测评=None)])
    cadre = rows["甲5"].cadre
    cadre.probation_end = datetime.date(2026, 6, 30)
    cadre.save(update_fields=["probation_end"])
    with django_capture_on_commit_callbacks(execute=True):
        add_raise(staff, period, town)
    client.force_login(users[Role.AUDITOR])
    html = client.get(results_url(period, town)).content.decode()
    # 13 cadres, 1 on probation, 1 without 民主测评: 11 × 25% = 2.75 → 2
    assert (
        "参加考核（计入基数）<strong>11</strong> 人 × <strong>25%</strong> = <strong>2.75</strong>，向下取整 → 优秀名额 <strong>2</strong> 名"
        in html
    )
    assert "不计入基数：缺少指标得分 1 人、试用期 1 人（共 2 人）" in html
    assert ">甲13</a>：缺少指标得分" in html and ">甲5</a>：试用期" in html
    assert "完成重大任务（完成防汛抢险任务），经县委常委会于 2026-01-10 批准，优秀比例按 25%" in html
    assert "评为优秀：<strong>2</strong> 人" in html
    assert "经复核决定占用名额：0 名" in html
    assert f'href="{reverse("assessment:quota_raises", args=[period.pk])}?unit={town.pk}"' in html


def test_the_panel_of_a_county_lists_its_units_quotas_with_links(client, users, tree, period, town):
    make_unit(period, town, top3(10))
    make_unit(period, tree["town_b"], top3(10), prefix="乙")
    graded(period)
    client.force_login(users[Role.STAFF])
    response = client.get(results_url(period, tree["county_a"]))
    html = response.content.decode()
    panel = response.context["quota"]
    assert panel.own is None and [q.unit_id for q in panel.others] == [town.pk]
    assert "本单位没有直接参加本次考核的干部" in html
    assert f'href="{results_url(period, town)}#quota">甲镇</a>' in html
    assert "乙镇" not in html


def test_a_long_subtree_shows_ten_units_and_links_to_the_whole_list(client, users, tree, period):
    county = tree["county_a"]
    towns = [unit_child(county, f"C01A{i + 10:02d}", f"第{i}镇", UnitKind.TOWNSHIP) for i in range(11)]
    for i, unit in enumerate(towns):
        make_unit(period, unit, [80, 80], prefix=f"镇{i}_")
    graded(period)
    client.force_login(users[Role.STAFF])
    response = client.get(results_url(period, county))
    panel = response.context["quota"]
    assert (len(panel.others), panel.others_total) == (10, 11)
    html = response.content.decode()
    assert "查看全部 11 个单位的优秀名额" in html
    listing = client.get(reverse("assessment:unit_quotas", args=[period.pk, county.pk]))
    assert listing.status_code == 200 and listing.context["page"].paginator.count == 11
    assert "第10镇" in listing.content.decode()


def test_the_quota_list_filters_raised_units(
    client, users, tree, period, town, staff, today, django_capture_on_commit_callbacks
):
    quota_rule(tree["county_a"], raised_ratio=0.25)
    town_c = unit_child(tree["county_a"], "C01A09", "丙镇", UnitKind.TOWNSHIP)
    make_unit(period, town, top3(12))
    make_unit(period, town_c, top3(12), prefix="丙")
    with django_capture_on_commit_callbacks(execute=True):
        add_raise(staff, period, town)
    period_recompute(period_id=period.pk)
    client.force_login(users[Role.AUDITOR])
    url = reverse("assessment:unit_quotas", args=[period.pk, tree["county_a"].pk])
    assert [q.unit.name for q in client.get(url).context["page"]] == ["甲镇", "丙镇"]
    page = client.get(url + "?show=raised").context["page"]
    assert [(q.unit.name, q.places, str(q.exact)) for q in page] == [("甲镇", 3, "3.00")]


def test_results_page_query_count_with_the_panel(
    client, users, tree, period, town, django_assert_num_queries
):
    make_unit(period, town, [*top3(10), scores(90, 民主测评=None)])
    graded(period)
    client.force_login(users[Role.STAFF])
    url = results_url(period, town)
    # session, user, period, the user's unit (scope), the page's unit, count, distribution,
    # policy rules, the unit's and its subtree's quotas, the unit's raise, the cadres left out
    # of its base, team assessments, one page of assessments
    with django_assert_num_queries(13):
        client.get(url)
    make_unit(period, town, [80] * 20, prefix="新")
    graded(period)
    with django_assert_num_queries(13):
        client.get(url)


def test_the_raise_page_shows_the_raised_ratio_in_force_for_the_unit(client, users, tree, period, town):
    client.force_login(users[Role.STAFF])
    url = reverse("assessment:quota_raises", args=[period.pk])
    html = client.get(url + f"?unit={town.pk}").content.decode()
    assert "评定规则未设“完成重大任务单位的优秀比例”" in html
    assert f"{reverse('assessment:policy')}?unit={town.pk}" in html
    quota_rule(tree["county_a"], raised_ratio=0.25)
    html = client.get(url + f"?unit={town.pk}").content.decode()
    assert "登记上调后，本单位优秀名额按 25% 计算（一般比例为 20%）" in html


def test_recording_a_raise_on_the_page(client, users, period, town, today):
    client.force_login(users[Role.STAFF])
    url = reverse("assessment:quota_raises", args=[period.pk])
    data = {
        "unit": town.pk,
        "reason": "完成防汛抢险任务",
        "approved_by": "县委常委会",
        "approved_on": "2026-01-21",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and not QuotaRaise.objects.exists()
    html = response.content.decode()
    assert "批准日期不能晚于今天（2026-01-20）" in html and "完成防汛抢险任务" in html  # input kept
    response = client.post(url, {**data, "approved_on": "2026-01-20"})
    assert response.status_code == 302 and response["Location"] == f"{url}?unit={town.pk}"
    raise_ = QuotaRaise.objects.get()
    assert (raise_.unit, raise_.created_by) == (town, users[Role.STAFF])
    html = client.get(response["Location"]).content.decode()
    assert "已登记甲镇的优秀比例上调" in html and "县委常委会" in html


def test_a_published_period_warns_that_the_unit_will_be_regraded(client, users, town):
    period = make_period(year=2025, status="published")
    client.force_login(users[Role.STAFF])
    html = client.get(reverse("assessment:quota_raises", args=[period.pk])).content.decode()
    assert "该考核期已公布：保存后将立即按新的比例重新评定该单位的等次" in html
    assert 'data-confirm="该考核期已公布' in html


def test_read_only_roles_see_the_raises_without_the_form(client, users, period, town, staff, today):
    add_raise(staff, period, town)
    client.force_login(users[Role.AUDITOR])
    url = reverse("assessment:quota_raises", args=[period.pk])
    response = client.get(url)
    assert response.context["form"] is None and "完成防汛抢险任务" in response.content.decode()
    assert client.post(url, {"unit": town.pk}).status_code == 403


def test_editing_and_withdrawing_on_the_page(client, users, period, town, staff, today):
    raise_ = add_raise(staff, period, town)
    client.force_login(users[Role.HEAD])
    edit = reverse("assessment:quota_raise_edit", args=[raise_.pk])
    response = client.post(edit, {"reason": "", "approved_by": "县政府", "approved_on": "2026-01-15"})
    assert response.status_code == 200 and "请填写理由" in response.content.decode()
    response = client.post(
        edit, {"reason": "完成抗旱任务", "approved_by": "县政府", "approved_on": "2026-01-15"}
    )
    assert response.status_code == 302
    raise_.refresh_from_db()
    assert (raise_.reason, raise_.approved_by, raise_.approved_on) == (
        "完成抗旱任务",
        "县政府",
        datetime.date(2026, 1, 15),
    )
    response = client.post(reverse("assessment:quota_raise_delete", args=[raise_.pk]))
    assert response.status_code == 302 and not QuotaRaise.objects.exists()


def test_the_raise_list_query_count_does_not_grow_with_rows(
    client, users, tree, period, staff, today, django_assert_num_queries
):
    client.force_login(users[Role.AUDITOR])
    url = reverse("assessment:quota_raises", args=[period.pk])
    add_raise(staff, period, tree["town_a"])
    # session, user, period, the user's unit (scope), policy rules, count, one page joined to
    # period, unit and creator, the units of the filter's select
    with django_assert_num_queries(8):
        client.get(url)
    for i in range(5):
        add_raise(staff, period, unit_child(tree["county_a"], f"C01A{i + 20}", f"新{i}镇", UnitKind.TOWNSHIP))
    with django_assert_num_queries(8):
        assert client.get(url).context["page"].paginator.count == 6


# --------------------------------------------------------------------------- API


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_unit_quotas_give_both_numbers_and_the_rounding_label(users, tree, period, town):
    quota_rule(town, ratio=0.3, rounding="round")
    make_unit(period, town, [96, 95, 80, 80, scores(80, 民主测评=None), 80])
    make_unit(period, tree["town_b"], top3(10), prefix="乙")
    graded(period)
    body = api(users[Role.API_READER]).get(f"/api/v1/unit-quotas/?period={period.pk}").json()
    assert body["count"] == 1  # 乙镇 is outside the county user's scope
    row = body["results"][0]
    assert {k: row[k] for k in ("period", "unit", "unit_name", "assessed", "excluded", "excluded_total")} == {
        "period": period.pk,
        "unit": town.pk,
        "unit_name": "甲镇",
        "assessed": 5,
        "excluded": {"缺少指标得分": 1},
        "excluded_total": 1,
    }
    assert (row["ratio"], row["ratio_percent"], row["exact"], row["rounding"], row["rounding_code"]) == (
        "0.3000",
        "30%",
        "1.50",
        "四舍五入",
        "round",
    )
    assert (row["places"], row["fixed"], row["awarded"], row["raised"], row["raise_note"]) == (
        2,
        0,
        2,
        False,
        "",
    )
    detail = api(users[Role.API_READER]).get(f"/api/v1/unit-quotas/{row['id']}/")
    assert detail.json()["exact"] == "1.50"


def test_unit_quotas_need_a_period_and_keep_to_the_scope(users, tree, period, town):
    make_unit(period, tree["town_b"], top3(10), prefix="乙")
    graded(period)
    client = api(users[Role.STAFF])
    response = client.get("/api/v1/unit-quotas/")
    assert response.status_code == 400 and "period" in response.json()["error"]["fields"]
    assert client.get(f"/api/v1/unit-quotas/?period={period.pk}&unit={tree['town_b'].pk}").status_code == 404
    outside = UnitQuota.objects.get(unit=tree["town_b"])
    assert client.get(f"/api/v1/unit-quotas/{outside.pk}/").status_code == 404
    assert api(users["city_staff"]).get(f"/api/v1/unit-quotas/{outside.pk}/").status_code == 200
    assert client.get(f"/api/v1/unit-quotas/?period={period.pk}&raised=maybe").status_code == 400


def test_unit_quota_list_query_count_does_not_grow_with_units(users, tree, period, django_assert_num_queries):
    for i in range(3):
        make_unit(
            period,
            unit_child(tree["county_a"], f"C01A{i + 30}", f"测{i}镇", UnitKind.TOWNSHIP),
            [80, 80],
            prefix=f"测{i}_",
        )
    graded(period)
    client = api(users[Role.STAFF])
    url = f"/api/v1/unit-quotas/?period={period.pk}"
    # user (scope) is forced; period, count, one page joined to unit with its label
    with django_assert_num_queries(3):
        assert client.get(url).json()["count"] == 3
    for i in range(3, 8):
        make_unit(
            period,
            unit_child(tree["county_a"], f"C01A{i + 30}", f"测{i}镇", UnitKind.TOWNSHIP),
            [80],
            prefix=f"测{i}_",
        )
    graded(period)
    with django_assert_num_queries(3):
        assert client.get(url).json()["count"] == 8


def test_quota_raises_through_the_api(users, tree, period, town, today, django_capture_on_commit_callbacks):
    quota_rule(town, raised_ratio=0.25)
    make_unit(period, town, top3(12))
    graded(period)
    client = api(users[Role.STAFF])
    body = {
        "period": period.pk,
        "unit": town.pk,
        "reason": "完成防汛抢险任务",
        "approved_by": "县委常委会",
        "approved_on": "2026-01-10",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/quota-raises/", body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["unit_name"], created["raised_ratio"], created["created_by"]) == (
        "甲镇",
        "0.25",
        users[Role.STAFF].username,
    )
    assert "按 25% 计算" in created["effect"]
    quota = client.get(f"/api/v1/unit-quotas/?period={period.pk}").json()["results"][0]
    assert (quota["exact"], quota["places"], quota["raised"]) == ("3.00", 3, True)

    again = client.post("/api/v1/quota-raises/", body, format="json")
    assert again.status_code == 400 and "unit" in again.json()["error"]["fields"]

    url = f"/api/v1/quota-raises/{created['id']}/"
    assert client.patch(url, {"unit": tree["town_b"].pk}, format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(url, {"approved_by": "县政府"}, format="json")
    assert response.status_code == 200 and response.json()["approved_by"] == "县政府"
    listed = client.get(f"/api/v1/quota-raises/?period={period.pk}&unit={tree['county_a'].pk}").json()
    assert [r["id"] for r in listed["results"]] == [created["id"]]

    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(url).status_code == 204
    quota = client.get(f"/api/v1/unit-quotas/?period={period.pk}").json()["results"][0]
    assert (quota["exact"], quota["places"], quota["raised"]) == ("2.40", 2, False)


def test_quota_raise_api_refusals(users, tree, period, town, staff, today):
    body = {
        "period": period.pk,
        "unit": town.pk,
        "reason": "完成任务",
        "approved_by": "县委",
        "approved_on": "2026-01-21",
    }
    response = api(users[Role.STAFF]).post("/api/v1/quota-raises/", body, format="json")
    assert response.status_code == 400
    assert "不能晚于今天" in response.json()["error"]["fields"]["approved_on"][0]
    response = api(users[Role.STAFF]).post(
        "/api/v1/quota-raises/", {**body, "unit": tree["town_b"].pk}, format="json"
    )
    assert response.status_code == 400 and "管辖范围" in response.json()["error"]["fields"]["unit"][0]
    response = api(users[Role.API_READER]).post("/api/v1/quota-raises/", body, format="json")
    assert response.status_code == 403 and "不能登记" in response.json()["error"]["message"]
    outside = add_raise(users["city_staff"], period, tree["town_b"])
    assert api(users[Role.STAFF]).get(f"/api/v1/quota-raises/{outside.pk}/").status_code == 404
    assert api(users[Role.STAFF]).delete(f"/api/v1/quota-raises/{outside.pk}/").status_code == 404
    assert QuotaRaise.objects.count() == 1


def test_quota_raise_list_query_count_does_not_grow_with_rows(
    users, tree, period, staff, today, django_assert_num_queries
):
    client = api(users[Role.AUDITOR])
    add_raise(staff, period, tree["town_a"])
    # count, one page joined to period, unit and creator, the policy rules (for raised_ratio)
    with django_assert_num_queries(3):
        client.get("/api/v1/quota-raises/")
    for i in range(4):
        add_raise(staff, period, unit_child(tree["county_a"], f"C01A{i + 40}", f"列{i}镇", UnitKind.TOWNSHIP))
    with django_assert_num_queries(3):
        assert client.get("/api/v1/quota-raises/").json()["count"] == 5
