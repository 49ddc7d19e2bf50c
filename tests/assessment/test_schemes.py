"""Indicator schemes: every row checked, weights summing to 100 per track, edits audited."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.roles import Role
from assessment.models import Assessment, Indicator, PeriodStatus, Scheme
from assessment.services.periods import period_create, period_transition, scheme_add_category, scheme_save
from assessment.services.recompute import period_recompute
from assessment.services.scores import scores_save
from audit.models import AuditEntry
from cadres.models import CadreKind
from core.models import Job
from tests.factories import CadreFactory


def ind(code, weight, group="common", track="", dimension="绩", min_score=0, max_score=100):
    return {
        "code": code,
        "name": f"{code}指标",
        "group": group,
        "track": track,
        "dimension": dimension,
        "weight": weight,
        "min_score": min_score,
        "max_score": max_score,
        "order": 0,
    }


def codes(scheme):
    return list(
        Indicator.objects.filter(scheme=scheme).order_by("order", "id").values_list("code", flat=True)
    )


def refused(staff, scheme, rows) -> list[str]:
    before = codes(scheme)
    with pytest.raises(ValidationError) as exc:
        scheme_save(actor=staff, scheme=scheme, indicators=rows)
    assert codes(scheme) == before, "nothing may be written on error"
    return exc.value.messages


def test_saving_replaces_the_indicators(staff, annual_period):
    scheme_save(actor=staff, scheme=annual_period.scheme, indicators=[ind("实绩", 70), ind("测评", 30)])
    assert codes(annual_period.scheme) == ["实绩", "测评"]


def test_the_audit_keeps_the_indicators_before_and_after(staff, annual_period):
    scheme_save(actor=staff, scheme=annual_period.scheme, indicators=[ind("实绩", 70), ind("测评", 30)])
    entry = AuditEntry.objects.get(model="assessment.scheme", object_id=str(annual_period.scheme.pk))
    old, new = entry.changes["indicators"]
    assert [i["code"] for i in old] == ["德", "能", "勤", "绩", "廉", "民主测评"]
    assert [(i["code"], i["weight"]) for i in new] == [("实绩", "70.00"), ("测评", "30.00")]


def test_common_weights_not_summing_to_100_are_refused(staff, annual_period):
    messages = refused(staff, annual_period.scheme, [ind("实绩", 70), ind("测评", 20)])
    assert messages == ["共性指标权重合计为 90，应为 100。"]


def test_common_plus_each_tracks_individual_weights_must_make_100(staff, annual_period):
    rows = [
        ind("共性", 60),
        ind("振兴", 40, group="individual", track="rural"),
        ind("项目", 30, group="individual", track="project"),
    ]
    messages = refused(staff, annual_period.scheme, rows)
    assert messages == ["共性指标与“项目建设”赛道个性指标权重合计为 90，应为 100。"]


def test_two_tracks_each_making_100_with_the_common_weights_are_accepted(staff, annual_period):
    rows = [
        ind("共性", 60),
        ind("振兴", 40, group="individual", track="rural"),
        ind("项目甲", 25, group="individual", track="project"),
        ind("项目乙", 15, group="individual", track="project"),
    ]
    scheme_save(actor=staff, scheme=annual_period.scheme, indicators=rows)
    assert codes(annual_period.scheme) == ["共性", "振兴", "项目甲", "项目乙"]


def test_an_individual_indicator_without_a_track_is_refused(staff, annual_period):
    messages = refused(staff, annual_period.scheme, [ind("共性", 60), ind("个性", 40, group="individual")])
    assert messages == ["指标“个性”：个性指标必须选择适用赛道。"]


def test_duplicate_codes_are_refused(staff, annual_period):
    messages = refused(staff, annual_period.scheme, [ind("绩", 50), ind("绩", 50)])
    assert messages == ["指标“绩”：列名与第1行重复，同一方案内列名必须唯一。"]


def test_an_empty_code_is_refused(staff, annual_period):
    assert "第1行：请填写列名。" in refused(staff, annual_period.scheme, [ind("", 100)])


def test_a_minimum_not_below_the_maximum_is_refused(staff, annual_period):
    messages = refused(staff, annual_period.scheme, [ind("绩", 100, min_score=100, max_score=100)])
    assert messages == ["指标“绩”：最低分必须小于满分。"]


@pytest.mark.parametrize("weight", [0, -5, "abc"])
def test_a_weight_that_is_not_positive_is_refused(staff, annual_period, weight):
    messages = refused(staff, annual_period.scheme, [ind("绩", weight)])
    assert any(m.startswith("指标“绩”：权重") for m in messages)


def test_an_unknown_dimension_is_refused(staff, annual_period):
    messages = refused(staff, annual_period.scheme, [ind("绩", 100, dimension="智")])
    assert messages == ["指标“绩”：请选择维度（德、能、勤、绩、廉或综合）。"]


def test_an_empty_scheme_is_refused(staff, annual_period):
    assert refused(staff, annual_period.scheme, []) == ["方案至少需要一个指标。"]


def test_the_scheme_of_a_grading_period_cannot_change(staff, annual_period):
    period_transition(actor=staff, period=annual_period, to=PeriodStatus.GRADING)
    messages = refused(staff, annual_period.scheme, [ind("绩", 100)])
    assert messages == ["考核期已进入“评定等次”阶段，考核方案不能再修改。"]


def test_a_county_admin_cannot_edit_a_scheme(users, annual_period):
    with pytest.raises(PermissionDenied):
        scheme_save(actor=users[Role.COUNTY_ADMIN], scheme=annual_period.scheme, indicators=[ind("绩", 100)])


def test_only_a_superuser_edits_the_template_scheme(staff, head):
    template = Scheme.objects.get(period__isnull=True, quarterly=True)
    with pytest.raises(PermissionDenied, match="方案模板只能由系统管理员修改"):
        scheme_save(actor=head, scheme=template, indicators=[ind("得分", 100)])
    head.is_superuser = True
    scheme_save(actor=head, scheme=template, indicators=[ind("季度得分", 100)])
    assert codes(template) == ["季度得分"]


def test_saving_queues_a_recompute_of_the_period(staff, annual_period):
    scheme_save(actor=staff, scheme=annual_period.scheme, indicators=[ind("绩", 100)])
    assert Job.objects.filter(params__period=annual_period.pk, params__reason="考核方案已修改").exists()


def test_a_new_weighting_changes_the_total_once_recomputed(staff, annual_period, cadre_a):
    scores = {"德": 100, "能": 100, "勤": 100, "绩": 50, "廉": 100, "民主测评": 100}
    scores_save(actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": scores}])
    rows = [
        ind(c, w) for c, w in (("德", 10), ("能", 10), ("勤", 10), ("绩", 50), ("廉", 10), ("民主测评", 10))
    ]
    scheme_save(actor=staff, scheme=annual_period.scheme, indicators=rows)
    period_recompute(period_id=annual_period.pk)
    assert Assessment.objects.get(period=annual_period, cadre=cadre_a).total_score == 75


# ---------------------------------------------------------------- category schemes


def test_a_category_scheme_is_a_copy_of_the_base_scheme(staff, annual_period):
    scheme = scheme_add_category(actor=staff, period=annual_period, category=CadreKind.VILLAGE)
    assert scheme.category == CadreKind.VILLAGE and scheme.name.endswith("（村（社区）干部）")
    assert codes(scheme) == codes(annual_period.scheme)


def test_a_second_scheme_for_the_same_category_is_refused(staff, annual_period):
    scheme_add_category(actor=staff, period=annual_period, category=CadreKind.VILLAGE)
    with pytest.raises(ValidationError, match="分类方案已存在"):
        scheme_add_category(actor=staff, period=annual_period, category=CadreKind.VILLAGE)


def test_an_unknown_category_is_refused(staff, annual_period):
    with pytest.raises(ValidationError, match="请选择干部类别"):
        scheme_add_category(actor=staff, period=annual_period, category="martian")


def test_cadres_of_the_category_are_scored_with_its_scheme(staff, tree):
    villager = CadreFactory(unit=tree["town_a"], kind=CadreKind.VILLAGE)
    period = period_create(actor=staff, name="2025年度", year=2025)
    scheme = scheme_add_category(actor=staff, period=period, category=CadreKind.VILLAGE)
    scheme_save(actor=staff, scheme=scheme, indicators=[ind("村务", 100)])
    period_transition(actor=staff, period=period, to=PeriodStatus.COLLECTING)
    scores_save(actor=staff, period=period, entries=[{"cadre": villager, "scores": {"村务": 80}}])
    period_recompute(period_id=period.pk)
    assert Assessment.objects.get(period=period, cadre=villager).total_score == 80
