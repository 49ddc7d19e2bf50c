"""The tally: the case load of [002] (黔西南州) and the adjustments of [003] (舟山), built through
the services step by step, and every figure of the statistics equal to the source's.

[002]: 1334 recalled, 59 处级 + 269 科级 + 1006 一般; 1080 back to their posts, 165 转岗或免职,
67 待岗, 22 辞退; apart from those, 退居二线 65 免职 + 33 改任非领导职务 + 99 退休; 州人社局
recalled 26 of its 175 cadres and withheld 4.05万元 of the bonus of 5 of them.
[003]: 31 adjusted = 16 平职交流 + 4 改任非领导职务 + 9 免职 + 2 降职.
"""

import datetime
import random
from collections import Counter
from decimal import Decimal

import pytest

from accounts.roles import Role
from cadres.models import Rank, Unit, UnitKind
from recall import services_flags
from recall.models import AdjustmentMethod, Outcome
from recall.statistics import recall_statistics
from recall.tasks import flags_deferred
from tests.factories import make_user, unit_child, unit_root
from tests.recall.statistics_world import bulk_cadres, recall_case, situation

pytestmark = pytest.mark.django_db

YEAR = datetime.date(2014, 1, 1), datetime.date(2014, 12, 31)

# 转岗或免职 165: the split is ours, the source gives only the sum
OUTCOMES_002 = {
    Outcome.BACK_TO_POST: 1080,
    Outcome.TRANSFER: 110,
    Outcome.REMOVAL: 55,
    Outcome.AWAITING: 67,
    Outcome.DISMISSAL: 22,
}
LEVELS_002 = {"chu": 59, "ke": 269, "general": 1006}
STEP_BACK_002 = {AdjustmentMethod.REMOVAL: 65, AdjustmentMethod.NON_LEADING: 33, AdjustmentMethod.RETIRE: 99}
ADJUSTMENTS_003 = {
    AdjustmentMethod.LATERAL: 16,
    AdjustmentMethod.NON_LEADING: 4,
    AdjustmentMethod.REMOVAL: 9,
    AdjustmentMethod.DEMOTION: 2,
}

# 州人社局: 175 cadres, 26 recalled (their levels and outcomes are ours), 5 fined 8100 元 each
BUREAU_CADRES = {"chu": 2, "ke": 20, "general": 153}
BUREAU_RECALLED = {"chu": 1, "ke": 5, "general": 20}
BUREAU_OUTCOMES = {
    Outcome.BACK_TO_POST: 20,
    Outcome.TRANSFER: 2,
    Outcome.REMOVAL: 1,
    Outcome.AWAITING: 2,
    Outcome.DISMISSAL: 1,
}
FINE = Decimal("8100.00")


def _spread(counts: dict) -> list:
    return [key for key, n in counts.items() for _ in range(n)]


def adjust(actor, cadre, method, *, step_back=False):
    extra = {}
    if method == AdjustmentMethod.LATERAL:
        extra = {"new_post_title": "县政协办公室副主任"}
    elif method == AdjustmentMethod.DEMOTION:
        extra = {"new_post_title": "副局长", "new_rank": Rank.FU_KE}
    decision = services_flags.adjustment_propose(
        actor=actor,
        cadre=cadre,
        method=method,
        reason="年龄偏大，不适宜继续担任领导职务" if step_back else "不适宜担任现职",
        step_back=step_back,
        **extra,
    )
    return services_flags.adjustment_approve(actor=actor, decision=decision, note="同意")


@pytest.fixture
def world(clock):
    """示范省 > 黔西南州 > 州人社局, 兴仁县, 兴义市; 示范省 > 舟山市 > 定海区."""
    clock.set("2014-12-31")  # adjustments are approved "today"
    province = unit_root("P52", "示范省", UnitKind.PROVINCE)
    state = unit_child(province, "P5223", "黔西南州", UnitKind.CITY)
    for code, name, kind in (
        ("P522301", "州人社局", UnitKind.DEPARTMENT),
        ("P522302", "兴仁县", UnitKind.COUNTY),
        ("P522303", "兴义市", UnitKind.COUNTY),
    ):
        unit_child(state, code, name, kind)
    zhoushan = unit_child(province, "P3309", "舟山市", UnitKind.CITY)
    unit_child(zhoushan, "P330902", "定海区", UnitKind.COUNTY)
    # the tree keeps its children in code order: 舟山市 went in before 黔西南州, moving its path
    units = {u.name: u for u in Unit.objects.all()}
    return {
        "province": units["示范省"],
        "state": units["黔西南州"],
        "bureau": units["州人社局"],
        "counties": [units["兴仁县"], units["兴义市"]],
        "zhoushan": units["舟山市"],
        "dinghai": units["定海区"],
        "head": make_user("province_head", Role.HEAD, units["示范省"]),
        "state_staff": make_user("state_staff", Role.STAFF, units["黔西南州"]),
        "zhoushan_staff": make_user("zhoushan_staff", Role.STAFF, units["舟山市"]),
    }


def build_002(w) -> dict:
    """1334 cases and 197 step-back decisions in 黔西南州; returns what was built, for the
    figures the source does not give (study days, headcounts of the counties)."""
    head, bureau, counties = w["head"], w["bureau"], w["counties"]
    rng = random.Random(2014)
    # 州人社局: all 175 on the register, 26 of them recalled
    bureau_cadres = {level: bulk_cadres(bureau, n, level) for level, n in BUREAU_CADRES.items()}
    plan = []  # (cadre, outcome, penalty)
    bureau_levels = _spread(BUREAU_RECALLED)
    bureau_outcomes = _spread(BUREAU_OUTCOMES)
    rng.shuffle(bureau_outcomes)
    taken = Counter()
    for i, (level, outcome) in enumerate(zip(bureau_levels, bureau_outcomes, strict=True)):
        cadre = bureau_cadres[level][taken[level]]
        taken[level] += 1
        plan.append((cadre, outcome, FINE if i % 5 == 0 and i < 25 else None))
    # the two counties: the rest of the 1334
    rest_levels = _spread({k: LEVELS_002[k] - BUREAU_RECALLED[k] for k in LEVELS_002})
    rest_outcomes = _spread({k: OUTCOMES_002[k] - BUREAU_OUTCOMES[k] for k in OUTCOMES_002})
    rng.shuffle(rest_outcomes)
    places = [(i % 2, level) for i, level in enumerate(rest_levels)]  # the counties take turns
    county_cadres = {
        (c, level): iter(bulk_cadres(counties[c], n, level)) for (c, level), n in Counter(places).items()
    }
    for place, outcome in zip(places, rest_outcomes, strict=True):
        plan.append((next(county_cadres[place]), outcome, None))
    assert len(plan) == 1334 and sum(1 for p in plan if p[2]) == 5

    found = situation()
    with flags_deferred(actor=head):
        for i, (cadre, outcome, penalty) in enumerate(plan):
            on = datetime.date(2014, 1, 6) + datetime.timedelta(days=i % 340)
            recall_case(head, cadre, on=on, outcome=outcome, penalty=penalty, situation_=found)
        # 退居二线: older leaders of the counties, apart from the recalled cadres
        older = [bulk_cadres(county, 99, "ke", born_from=1956) for county in counties]
        older = [c for pair in zip(*older, strict=True) for c in pair]
        for cadre, method in zip(older, _spread(STEP_BACK_002), strict=False):
            adjust(head, cadre, method, step_back=True)
    return {"plan": plan}


def build_003(w) -> None:
    head, dinghai = w["head"], w["dinghai"]
    with flags_deferred(actor=head):
        for method in _spread(ADJUSTMENTS_003):
            rank = Rank.ZHENG_KE if method == AdjustmentMethod.DEMOTION else None
            (cadre,) = bulk_cadres(dinghai, 1, "ke", born_from=1968, rank=rank)
            adjust(head, cadre, method)


def test_the_reports_of_qianxinan_and_zhoushan_tally_with_the_sources(world):
    built = build_002(world)
    build_003(world)

    stats = recall_statistics(world["state_staff"], date_from=YEAR[0], date_to=YEAR[1])

    # 召回: 1334 = 59 处级 + 269 科级 + 1006 一般
    assert stats["scope"] == "黔西南州"
    assert stats["recalls"]["total"] == 1334
    assert {r["label"]: r["count"] for r in stats["recalls"]["by_level"]} == {
        "处级": 59,
        "科级": 269,
        "一般干部": 1006,
    }
    # outcomes: 1080 back, 165 转岗或免职 on one line, 67 待岗, 22 辞退 (= 1334)
    lines = {line["label"]: line["count"] for line in stats["outcomes"]["lines"]}
    assert lines == {
        "回原岗位": 1080,
        "转岗或免职": 165,
        "降职": 0,
        "降级": 0,
        "待岗": 67,
        "辞退": 22,
        "解聘": 0,
        "退居二线": 0,
    }
    assert stats["back_to_post"] == 1080
    assert stats["outcomes"]["total"] == 1080 + 165 + 67 + 22 == 1334
    # 退居二线 apart from the 1334: 65 免职, 33 改任非领导职务, 99 退休
    step_back = {r["label"]: (r["recalls"], r["adjustments"], r["count"]) for r in stats["step_back"]["rows"]}
    assert step_back == {
        "免职": (0, 65, 65),
        "改任非领导职务": (0, 33, 33),
        "退休": (0, 99, 99),
        "其他方式": (0, 0, 0),
    }
    assert stats["step_back"]["total"] == 197
    # the level × outcome table adds up both ways, and its cells are the cases built
    table = stats["level_outcome"]
    built_cells = Counter((c.kind, o) for c, o, _ in built["plan"])
    kind_of = {"chu": "leader_chu", "ke": "leader_ke", "general": "general"}
    columns = [c["outcome"] for c in table["columns"]]
    for row in table["rows"]:
        assert row["counts"] == [built_cells[(kind_of[row["level"]], o)] for o in columns]
    assert [r["total"] for r in table["rows"]] == [59, 269, 1006]
    assert dict(zip(columns, table["totals"], strict=True)) == {
        **dict.fromkeys(columns, 0),
        **{str(k): v for k, v in OUTCOMES_002.items()},
    }
    assert table["total"] == 1334
    # 州人社局: 26 of 175 recalled, 5 fined 4.05万元 in all
    units = {r["name"]: r for r in stats["units"]}
    assert list(units) == ["州人社局", "兴仁县", "兴义市"]
    bureau = units["州人社局"]
    assert (bureau["headcount"], bureau["recalled"], bureau["penalized"]) == (175, 26, 5)
    assert bureau["penalty_amount"] == Decimal("40500.00")
    assert stats["penalties"] == {"cadres": 5, "amount": Decimal("40500.00")}
    assert units["兴仁县"]["recalled"] + units["兴义市"]["recalled"] == 1334 - 26
    assert (units["兴仁县"]["penalized"], units["兴义市"]["penalized"]) == (0, 0)
    # the counties' registers: their recalled cadres and the 197 who stepped back
    # (198 older leaders were put on the register, 197 of them stepped back)
    assert units["兴仁县"]["headcount"] + units["兴义市"]["headcount"] == 1308 + 198
    assert stats["units_total"] == {
        "headcount": 175 + 1308 + 198,
        "recalled": 1334,
        "penalized": 5,
        "penalty_amount": Decimal("40500.00"),
    }
    # every case had a three-day study class
    assert stats["study"] == {"classes": 1334, "cadre_days": 1334 * 3}
    # adjustments in 黔西南州: the 197 step-back decisions only
    methods = {
        r["label"]: (r["count"], r["step_back"]) for r in stats["adjustments"]["by_method"] if r["count"]
    }
    assert methods == {"免职": (65, 65), "改任职级/非领导职务": (33, 33), "退休": (99, 99)}
    assert (stats["adjustments"]["total"], stats["adjustments"]["step_back"]) == (197, 197)
    assert stats["flags"] == {"raised": 0, "reviewed": 0, "dismissed": 0, "decided": 0}

    # [003]: 舟山 adjusted 31 = 16 平职交流 + 4 改任非领导职务 + 9 免职 + 2 降职, none stepping back
    zhoushan = recall_statistics(world["zhoushan_staff"], date_from=YEAR[0], date_to=YEAR[1])
    methods = {r["method"]: r["count"] for r in zhoushan["adjustments"]["by_method"] if r["count"]}
    assert methods == {str(k): v for k, v in ADJUSTMENTS_003.items()}
    assert (zhoushan["adjustments"]["total"], zhoushan["adjustments"]["step_back"]) == (31, 0)
    assert zhoushan["recalls"]["total"] == 0 and zhoushan["step_back"]["total"] == 0
    # and the province sees both
    province = recall_statistics(world["head"], date_from=YEAR[0], date_to=YEAR[1])
    assert province["recalls"]["total"] == 1334
    assert (province["adjustments"]["total"], province["adjustments"]["step_back"]) == (197 + 31, 197)
    assert [r["name"] for r in province["units"]] == ["舟山市", "黔西南州"]
