"""Bonus bases and team pools: the pool follows the team's tier (base × the tier's coefficient),
and its shares add up to the total to the fen (largest remainder, ties by weight, then by the
order the members are listed)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import given
from hypothesis import strategies as st

from assessment.models import PolicyRule, TeamAssessment
from audit.models import AuditAction, AuditEntry
from incentives.models import BonusBase, PoolShare, TeamPool
from incentives.services_pools import (
    TIE_RULE,
    bonus_base_remove,
    bonus_base_set,
    largest_remainder,
    pool_create,
    pool_delete,
    pool_shares_set,
    pool_update,
)
from tests.factories import CadreFactory, make_period

D = Decimal


def amounts(total, weights):
    return [str(step.amount) for step in largest_remainder(D(total), [D(w) for w in weights])]


# --------------------------------------------------------------------------- the arithmetic


def test_ten_thousand_over_three_equal_weights_gives_the_first_listed_the_extra_fen():
    assert amounts("10000.00", [1, 1, 1]) == ["3333.34", "3333.33", "3333.33"]


def test_two_fen_left_over_go_to_the_first_two_listed_of_equal_weights():
    assert amounts("0.05", [1, 1, 1]) == ["0.02", "0.02", "0.01"]


def test_equal_remainders_go_to_the_larger_weight_before_the_one_listed_first():
    # 0.02 over 1 : 3 is 0.5 fen and 1.5 fen: the same remainder, the fen goes to weight 3
    assert amounts("0.02", [1, 3]) == ["0.00", "0.02"]
    assert amounts("0.02", [3, 1]) == ["0.02", "0.00"]


def test_the_largest_remainder_wins_before_the_weight():
    # 100 fen over 2 : 5 : 5 is 16⅔, 41⅔, 41⅔ fen → 16, 41, 41 and 2 fen left; the remainders
    # are all ⅔, so the larger weights take them
    assert amounts("1.00", [2, 5, 5]) == ["0.16", "0.42", "0.42"]
    # 0.10 over 1 : 2 is 3.33 / 6.67 fen: the remainder of 2/3 beats the 1/3 of the other
    assert amounts("0.10", [1, 2]) == ["0.03", "0.07"]


def test_a_member_of_weight_zero_gets_nothing():
    assert amounts("100.00", [0, 1, 2]) == ["0.00", "33.33", "66.67"]


def test_the_tie_rule_is_stated():
    assert "权重大" in TIE_RULE and "先后顺序" in TIE_RULE


@given(
    total=st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False),
    weights=st.lists(st.decimals(min_value=0, max_value=1000, places=2), min_size=1, max_size=30).filter(
        lambda ws: any(w > 0 for w in ws)
    ),
)
def test_the_shares_always_add_up_to_the_total_to_the_fen(total, weights):
    steps = largest_remainder(total, weights)
    assert sum(s.amount for s in steps) == total.quantize(D("0.01"))
    whole = sum(weights)
    for step, weight in zip(steps, weights, strict=True):
        # nobody is more than a fen away from the exact share
        assert abs(step.amount - total * weight / whole) < D("0.01")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def period(db):
    return make_period(year=2025, status="published")


@pytest.fixture
def graded(period, tree):
    """甲镇's leadership team was graded 优秀 in 2025."""
    return TeamAssessment.objects.create(period=period, unit=tree["town_a"], final_grade="优秀")


@pytest.fixture
def members(tree):
    return [CadreFactory(unit=tree["town_a"], name=name) for name in ("赵一", "钱二", "孙三")]


def unit_pool(user, period, unit, **kw):
    return pool_create(
        actor=user, period=period, unit=unit, kind="unit", name="甲镇领导班子", base="50000", **kw
    )


# --------------------------------------------------------------------------- pools


def test_a_unit_team_pool_is_its_base_times_the_coefficient_of_its_leadership_teams_grade(
    users, period, tree, graded
):
    pool = unit_pool(users["staff"], period, tree["town_a"])
    assert (pool.tier, pool.total) == ("优秀", D("60000.00"))
    steps = {a["label"]: a for a in pool.arithmetic}
    assert steps["团队年度等次"]["value"] == "优秀" and "领导班子" in steps["团队年度等次"]["note"]
    assert steps["等次系数"]["value"] == "1.2"
    assert steps["奖金池总额"]["note"].startswith("50000.00 × 1.2 = 60000.00")
    assert AuditEntry.objects.filter(model="incentives.teampool", action=AuditAction.CREATE).count() == 1


@pytest.mark.parametrize(
    ("tier", "total"),
    [("优秀", "60000.00"), ("良好", "50000.00"), ("一般", "40000.00"), ("较差", "25000.00")],
)
def test_a_project_team_pool_follows_the_tier_entered(users, period, tree, tier, total):
    pool = pool_create(
        actor=users["staff"],
        period=period,
        unit=tree["town_a"],
        kind="project",
        name="重点项目组",
        base="50000",
        tier=tier,
    )
    assert pool.total == D(total)


def test_a_units_own_rule_changes_the_coefficient(users, period, tree, graded):
    PolicyRule.objects.create(
        unit=tree["county_a"],
        kind="team_pool",
        key="",
        params={"excellent": 1.5, "good": 1, "average": 0.8, "poor": 0},
    )
    assert unit_pool(users["staff"], period, tree["town_a"]).total == D("75000.00")


def test_the_total_is_rounded_half_up_to_the_fen(users, period, tree):
    pool = pool_create(
        actor=users["staff"],
        period=period,
        unit=tree["town_a"],
        kind="project",
        name="项目组",
        base="0.05",
        tier="一般",
    )
    assert pool.total == D("0.04")  # 0.05 × 0.8 = 0.04 exactly
    pool = pool_update(actor=users["staff"], pool=pool, base="0.03")
    assert pool.total == D("0.02")  # 0.024 → 0.02
    pool = pool_update(actor=users["staff"], pool=pool, base="0.07", tier="优秀")
    assert pool.total == D("0.08")  # 0.084 → 0.08


def test_a_unit_team_without_a_grade_gets_no_pool(users, period, tree):
    with pytest.raises(ValidationError) as exc:
        unit_pool(users["staff"], period, tree["town_a"])
    assert "尚无年度考核等次" in exc.value.message_dict["tier"][0]
    assert not TeamPool.objects.exists()


def test_a_unit_teams_tier_cannot_be_entered_otherwise(users, period, tree, graded):
    with pytest.raises(ValidationError) as exc:
        unit_pool(users["staff"], period, tree["town_a"], tier="良好")
    assert "取自领导班子年度考核结果（优秀）" in exc.value.message_dict["tier"][0]


@pytest.mark.parametrize("tier", ["", "称职", "优"])
def test_a_project_team_needs_a_tier_of_the_team_scale(users, period, tree, tier):
    with pytest.raises(ValidationError) as exc:
        pool_create(
            actor=users["staff"],
            period=period,
            unit=tree["town_a"],
            kind="project",
            name="项目组",
            base="1",
            tier=tier,
        )
    assert "tier" in exc.value.message_dict


@pytest.mark.parametrize(
    ("base", "message"),
    [("-1", "不能为负数"), ("1.234", "最多保留 2 位小数"), ("abc", "须为数字"), ("", "请填写")],
)
def test_a_bad_base_is_refused(users, period, tree, base, message):
    with pytest.raises(ValidationError) as exc:
        pool_create(
            actor=users["staff"],
            period=period,
            unit=tree["town_a"],
            kind="project",
            name="项目组",
            base=base,
            tier="良好",
        )
    assert message in exc.value.message_dict["base"][0]


@pytest.mark.parametrize(("year", "quarter", "status"), [(2024, None, "grading"), (2025, 4, "published")])
def test_a_pool_needs_a_published_annual_period(users, tree, year, quarter, status):
    other = make_period(year=year, quarter=quarter, status=status)
    with pytest.raises(ValidationError) as exc:
        pool_create(
            actor=users["staff"],
            period=other,
            unit=tree["town_a"],
            kind="project",
            name="组",
            base="1",
            tier="良好",
        )
    assert "period" in exc.value.message_dict


def test_two_teams_of_one_name_in_a_unit_are_refused(users, period, tree, graded):
    unit_pool(users["staff"], period, tree["town_a"])
    with pytest.raises(ValidationError) as exc:
        unit_pool(users["staff"], period, tree["town_a"])
    assert "已有同名团队" in exc.value.message_dict["name"][0]


def test_pools_are_written_only_by_staff_in_scope(users, period, tree, graded):
    with pytest.raises(PermissionDenied):
        unit_pool(users["auditor"], period, tree["town_a"])
    with pytest.raises(PermissionDenied):
        pool_create(
            actor=users["staff"],
            period=period,
            unit=tree["town_b"],
            kind="project",
            name="组",
            base="1",
            tier="良好",
        )
    assert not TeamPool.objects.exists()


# --------------------------------------------------------------------------- shares


@pytest.fixture
def pool(users, period, tree):
    return pool_create(
        actor=users["staff"],
        period=period,
        unit=tree["town_a"],
        kind="project",
        name="重点项目组",
        base="8333.33",
        tier="良好",
    )


def test_shares_of_ten_thousand_over_one_one_one_add_up_to_the_fen(users, pool, members):
    pool = pool_update(actor=users["staff"], pool=pool, base="10000")
    shares = pool_shares_set(actor=users["staff"], pool=pool, shares=[(m, 1) for m in members])
    assert [(s.cadre.name, str(s.amount)) for s in shares] == [
        ("赵一", "3333.34"),
        ("钱二", "3333.33"),
        ("孙三", "3333.33"),
    ]
    stored = PoolShare.objects.filter(pool=pool).order_by("id")
    assert sum(s.amount for s in stored) == D("10000.00")
    step = TeamPool.objects.get(pk=pool.pk).arithmetic[-1]
    assert step["label"] == "分配" and "剩余 1 分，补给：赵一" in step["note"] and TIE_RULE in step["note"]


def test_changing_the_base_shares_the_new_total_out_again(users, pool, members):
    pool_shares_set(actor=users["staff"], pool=pool, shares=[(members[0], 2), (members[1], 1)])
    pool = pool_update(actor=users["staff"], pool=pool, base="100.00")
    assert [str(s.amount) for s in PoolShare.objects.filter(pool=pool).order_by("id")] == ["66.67", "33.33"]
    update = (
        AuditEntry.objects.filter(model="incentives.teampool", action=AuditAction.UPDATE)
        .order_by("id")
        .last()
    )
    assert update.changes["total"] == ["8333.33", "100.00"]


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([0, 0, 0], "不能全为零"),
        ([1, -1, 1], "不能为负数"),
        ([1, "x", 1], "须为数字"),
        ([1, "1.234", 1], "最多保留 2 位小数"),
        ([1, "", 1], "请填写钱二的分配权重"),
    ],
)
def test_bad_weights_are_refused_and_nothing_changes(users, pool, members, weights, message):
    pool_shares_set(actor=users["staff"], pool=pool, shares=[(members[0], 1)])
    with pytest.raises(ValidationError) as exc:
        pool_shares_set(actor=users["staff"], pool=pool, shares=list(zip(members, weights, strict=True)))
    assert message in exc.value.message_dict["shares"][0]
    assert list(PoolShare.objects.filter(pool=pool).values_list("cadre__name", "amount")) == [
        ("赵一", D("8333.33"))
    ]


def test_no_members_is_refused(users, pool):
    with pytest.raises(ValidationError) as exc:
        pool_shares_set(actor=users["staff"], pool=pool, shares=[])
    assert "至少填写一名成员" in exc.value.message_dict["shares"][0]


def test_a_member_out_of_scope_or_listed_twice_is_refused(users, pool, members, cadre_b):
    with pytest.raises(ValidationError) as exc:
        pool_shares_set(actor=users["staff"], pool=pool, shares=[(members[0], 1), (cadre_b.pk, 1)])
    assert exc.value.message_dict["shares"] == ["第 2 位成员不存在或不在您的管辖范围内。"]
    with pytest.raises(ValidationError) as exc:
        pool_shares_set(actor=users["staff"], pool=pool, shares=[(members[0], 1), (members[0].pk, 2)])
    assert exc.value.message_dict["shares"] == ["成员重复：赵一。"]


def test_a_unit_teams_members_are_cadres_of_the_unit(users, period, tree, graded, members):
    county_cadre = CadreFactory(unit=tree["county_a"], name="县里人")
    pool = unit_pool(users["staff"], period, tree["town_a"])
    with pytest.raises(ValidationError) as exc:
        pool_shares_set(actor=users["staff"], pool=pool, shares=[(members[0], 1), (county_cadre, 1)])
    assert "须为甲镇（含下级单位）的干部：县里人不是" in exc.value.message_dict["shares"][0]


def test_setting_shares_is_audited_with_the_members_before_and_after(users, pool, members):
    pool_shares_set(actor=users["staff"], pool=pool, shares=[(members[0], 1)])
    pool_shares_set(actor=users["staff"], pool=pool, shares=[(members[0], 1), (members[1], 1)])
    last = (
        AuditEntry.objects.filter(model="incentives.teampool", action=AuditAction.UPDATE)
        .order_by("id")
        .last()
    )
    before, after = last.changes["shares"]
    assert before == ["赵一：权重 1，8333.33 元"]
    assert after == ["赵一：权重 1，4166.67 元", "钱二：权重 1，4166.66 元"]


def test_deleting_a_pool_is_audited(users, pool, members):
    pool_shares_set(actor=users["staff"], pool=pool, shares=[(members[0], 1)])
    pool_delete(actor=users["staff"], pool=pool)
    assert not TeamPool.objects.exists() and not PoolShare.objects.exists()
    assert AuditEntry.objects.filter(model="incentives.teampool", action=AuditAction.DELETE).exists()


# --------------------------------------------------------------------------- bonus bases


def test_a_unit_sets_its_bonus_base_and_changing_it_is_audited(users, period, tree):
    bonus_base_set(
        actor=users["staff"], period=period, unit=tree["town_a"], amount="12000", note="部务会确定"
    )
    base = bonus_base_set(actor=users["staff"], period=period, unit=tree["town_a"], amount="12500.50")
    assert BonusBase.objects.get().amount == D("12500.50") and base.set_by == users["staff"]
    update = AuditEntry.objects.get(model="incentives.bonusbase", action=AuditAction.UPDATE)
    assert update.changes["amount"] == ["12000.00", "12500.50"]
    bonus_base_remove(actor=users["staff"], base=base)
    assert not BonusBase.objects.exists()


@pytest.mark.parametrize(
    ("amount", "message"),
    [("-0.01", "不能为负数"), ("1.001", "最多保留 2 位小数"), ("NaN", "须为数字"), (None, "请填写")],
)
def test_a_bad_bonus_base_is_refused(users, period, tree, amount, message):
    with pytest.raises(ValidationError) as exc:
        bonus_base_set(actor=users["staff"], period=period, unit=tree["town_a"], amount=amount)
    assert message in exc.value.message_dict["amount"][0]


def test_a_zero_bonus_base_is_allowed(users, period, tree):
    assert bonus_base_set(actor=users["staff"], period=period, unit=tree["town_a"], amount="0").amount == D(
        "0"
    )


def test_bonus_bases_are_set_by_staff_for_units_in_scope(users, period, tree):
    with pytest.raises(PermissionDenied):
        bonus_base_set(actor=users["county_admin"], period=period, unit=tree["town_a"], amount="1")
    with pytest.raises(PermissionDenied):
        bonus_base_set(actor=users["staff"], period=period, unit=tree["city"], amount="1")
    assert bonus_base_set(actor=users["city_staff"], period=period, unit=tree["city"], amount="1")


def test_a_bonus_base_is_for_an_annual_period(users, tree):
    quarter = make_period(year=2025, quarter=2, status="published")
    with pytest.raises(ValidationError) as exc:
        bonus_base_set(actor=users["staff"], period=quarter, unit=tree["town_a"], amount="1")
    assert "年度考核期" in exc.value.message_dict["period"][0]


def test_the_policy_page_shows_the_team_pool_rule_among_the_incentive_rules(client, users):
    client.force_login(users["staff"])
    page = client.get("/assessment/policy/").content.decode()
    section = page.split('id="incentive-rules"')[1].split("</section>")[0]
    assert "团队奖金池系数" in section and "优秀 × 1.2" in section


def test_a_base_change_in_a_published_period_computes_the_units_lists_again(users, period, tree):
    from core.models import Job

    base = bonus_base_set(actor=users["staff"], period=period, unit=tree["town_a"], amount="1")
    job = Job.objects.get(kind="incentives.lists")
    assert (job.params["period"], job.params["unit"]) == (period.pk, tree["town_a"].pk)
    Job.objects.all().delete()
    bonus_base_remove(actor=users["staff"], base=base)
    assert Job.objects.filter(kind="incentives.lists", params__unit=tree["town_a"].pk).exists()


def test_a_base_for_a_period_not_yet_published_queues_nothing(users, tree):
    from core.models import Job

    bonus_base_set(
        actor=users["staff"],
        period=make_period(year=2026, status="collecting"),
        unit=tree["town_a"],
        amount="1",
    )
    assert not Job.objects.filter(kind="incentives.lists").exists()
