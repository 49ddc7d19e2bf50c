"""Demo data for ``seed_demo`` (after the lists, 340, and the 赛马 rankings, 360): bonus bases for
the city, its counties and a few units of their own; the lists computed again with them; granted and
declined decisions on every list (and a left-out cadre granted with the reason why); a unit team's
pool (its leadership team's tier) and a project team's pool, each shared out. Everything goes
through the services, so the audit trail and the rules hold as for real data."""

from __future__ import annotations

import random
from decimal import Decimal

from django.db import transaction
from django.db.models import F

from accounts.models import User
from assessment.models import TEAM_SCALE, Assessment, Grade, Period, PeriodStatus, TeamAssessment
from assessment.services.scores import assessment_correct
from cadres.models import Cadre, CadreKind, CadreStatus, Rank, Unit, UnitKind

from .lists import lists_compute
from .models import Decision, Entry, ListKind, PoolKind, TeamPool
from .services_decisions import decision_record
from .services_pools import bonus_base_set, pool_create, pool_shares_set

ORDER = 380

GRANTED = {
    ListKind.BONUS: ["按年度考核等次系数发放。", "经部务会研究，同意按系数发放绩效奖金。"],
    ListKind.COMMENDATION: [
        "年度考核优秀，群众公认，同意推荐评先评优。",
        "经考察，同意列为年度先进个人人选。",
    ],
    ListKind.JIAJIANG: ["同意给予嘉奖。", "年度考核优秀，同意嘉奖。"],
    ListKind.MERIT3: ["连续三年考核优秀，同意记三等功。"],
    ListKind.PRIORITY: [
        "实绩突出、一线经历丰富，同意列入优先使用人选。",
        "经研判，同意在提拔使用中优先考虑。",
    ],
    ListKind.RESERVED_POST: ["任乡镇党政正职满八年，实绩突出，同意列入定向选拔人选。"],
    ListKind.YOUNG_SELECTION: ["综合素质好，基层经历丰富，同意进入比选。"],
    ListKind.RANK_PROMOTION: ["任职年限、考核结果符合规定，同意晋升职级。"],
    ListKind.RANK_DROP: ["年度考核不称职，按规定降低一个职级。"],
}
DECLINED = {
    ListKind.BONUS: ["召回期间，按规定暂缓发放。", "本人受到诫勉，经研究暂缓发放。"],
    ListKind.COMMENDATION: ["名额有限，经综合比较未推荐。", "群众反映有待核实，暂缓推荐。"],
    ListKind.JIAJIANG: ["名额有限，经研究本年度不予嘉奖。"],
    ListKind.MERIT3: ["经研究，本年度给予嘉奖，不再记三等功。"],
    ListKind.PRIORITY: ["岗位调整未满一年，暂不列入。", "经研判，暂不列入优先使用人选。"],
    ListKind.RESERVED_POST: ["本人申请继续留任乡镇工作。"],
    ListKind.YOUNG_SELECTION: ["本人放弃比选。"],
    ListKind.RANK_PROMOTION: ["职数已满，待有空缺时再晋升。"],
    ListKind.RANK_DROP: ["已召回学习并经跟踪考察合格，暂不降低职级。"],
}
AGAINST_THE_LIST = "在防汛抢险中表现突出，经部务会研究，破格同意。"
KEEP_LEFT_OUT = "经复核，维持不列入。"
GRANTS_PER_LIST = 8
REVIEWED = "部务会复议：有群众来信反映问题待核实，暂缓推荐。"


def _latest_period() -> Period | None:
    return (
        Period.objects.filter(quarter__isnull=True, status=PeriodStatus.PUBLISHED).order_by("-year").first()
    )


CORRECTION = (
    "经核实，该同志全年多次无故缺席重点工作推进会、负责事项严重滞后，经考核委员会复议，更正为不称职。"
)


def _incompetent(staff, period) -> int:
    """Two 不称职 years, so that 降低一个职级 has entries to grant and to decline: the demo's
    scores give no such grade, so two 基本称职 general cadres' results are corrected (更正,
    audited with the reason), as a department does when facts come to light after publication."""
    if Assessment.objects.filter(period=period, final_grade=Grade.INCOMPETENT).exists():
        return 0
    candidates = Assessment.objects.filter(
        period=period,
        cadre__kind=CadreKind.GENERAL,
        cadre__rank__in=[Rank.LEVEL_1_CLERK, Rank.LEVEL_2_CLERK, Rank.LEVEL_1_STAFF],
        cadre__status=CadreStatus.ON_POST,
    ).order_by("cadre_id")
    # 基本称职 ones first; a small demo city may have none
    targets = [*candidates.filter(final_grade=Grade.BASIC)[:2]]
    targets += candidates.filter(final_grade=Grade.COMPETENT)[: 2 - len(targets)]
    for target in targets:
        assessment_correct(actor=staff, assessment=target, grade=Grade.INCOMPETENT, reason=CORRECTION)
    return len(targets)


def _bases(staff, period, rng) -> int:
    written = 0
    root = Unit.objects.get_first_root_node()
    if root is None:
        return 0
    bonus_base_set(actor=staff, period=period, unit=root, amount="30000", note="全市统一基数")
    written += 1
    for county in Unit.objects.filter(kind=UnitKind.COUNTY).order_by("path"):
        amount = Decimal(rng.choice([28000, 30000, 32000, 33500]))
        bonus_base_set(actor=staff, period=period, unit=county, amount=amount, note="县（市、区）部务会确定")
        written += 1
    for unit in Unit.objects.filter(kind=UnitKind.DEPARTMENT).order_by("path")[:2]:
        bonus_base_set(actor=staff, period=period, unit=unit, amount="31200.50", note="本单位经费单列")
        written += 1
    return written


def _decide(staff, head, period, rng) -> dict[str, int]:
    counts = {"granted": 0, "declined": 0, "against_the_list": 0}
    for kind in ListKind.values:
        entries = list(
            Entry.objects.filter(period=period, kind=kind)
            .select_related("cadre")
            .order_by("-eligible", F("position").asc(nulls_last=True), "unit__path", "id")[:400]
        )
        eligible = [e for e in entries if e.eligible]
        left_out = [e for e in entries if not e.eligible]
        plan = [(e, "granted", rng.choice(GRANTED[kind])) for e in eligible[:GRANTS_PER_LIST]]
        plan += [
            (e, "declined", rng.choice(DECLINED[kind]))
            for e in eligible[GRANTS_PER_LIST : GRANTS_PER_LIST + 2]
        ]
        if left_out:
            plan.append((left_out[0], "granted", AGAINST_THE_LIST))
            counts["against_the_list"] += 1
            if len(left_out) > 1:
                plan.append((left_out[1], "declined", KEEP_LEFT_OUT))
        if plan and not any(v == "declined" for _, v, _ in plan) and len(plan) > 1:
            last, _, _ = plan.pop()
            plan.append((last, "declined", rng.choice(DECLINED[kind])))
        for entry, verdict, reason in plan:
            decision_record(
                actor=rng.choice([staff, head]),
                period=period,
                cadre=entry.cadre,
                kind=kind,
                verdict=verdict,
                reason=reason,
            )
            counts[verdict] += 1
    # a decision changed after review: the trail keeps the first one
    first = (
        Decision.objects.filter(period=period, verdict="granted", kind=ListKind.COMMENDATION)
        .order_by("id")
        .first()
    )
    if first is not None:
        decision_record(
            actor=head,
            period=period,
            cadre=first.cadre,
            kind=first.kind,
            verdict="declined",
            reason=REVIEWED,
        )
    return counts


def _members(unit: Unit, limit: int) -> list[Cadre]:
    return list(Cadre.objects.filter(unit=unit, status=CadreStatus.ON_POST).order_by("id")[:limit])


def _pools(staff, period) -> int:
    """A township's leadership team (its grade is the tier) and a county's project team."""
    if TeamPool.objects.filter(period=period).exists():
        return TeamPool.objects.filter(period=period).count()
    made = 0
    graded = (
        TeamAssessment.objects.filter(
            period=period, final_grade__in=[str(g) for g in TEAM_SCALE], unit__kind=UnitKind.TOWNSHIP
        )
        .select_related("unit")
        .order_by("unit__path")
    )
    for team in graded:
        members = _members(team.unit, 7)
        if len(members) < 3:
            continue
        pool = pool_create(
            actor=staff, period=period, unit=team.unit, kind=PoolKind.UNIT, name=f"{team.unit.name}领导班子",
            base="100000",
        )  # fmt: skip
        weights = [Decimal("1.5")] + [Decimal("1")] * (len(members) - 1)
        pool_shares_set(actor=staff, pool=pool, shares=list(zip(members, weights, strict=True)))
        made += 1
        break
    county = Unit.objects.filter(kind=UnitKind.COUNTY).order_by("path").first()
    if county is not None:
        # one member from each of the county's first units: a team across units
        members, seen = [], set()
        for cadre in Cadre.objects.filter(
            unit__path__startswith=county.path, status=CadreStatus.ON_POST
        ).order_by("unit__path", "id")[:500]:
            if cadre.unit_id not in seen:
                seen.add(cadre.unit_id)
                members.append(cadre)
            if len(members) == 6:
                break
        if members:
            pool = pool_create(
                actor=staff, period=period, unit=county, kind=PoolKind.PROJECT, name="重点项目攻坚组",
                base="200000", tier="优秀",
            )  # fmt: skip
            weights = [Decimal(w) for w in ("1.5", "1.2", "1", "1", "1", "0.8")][: len(members)]
            pool_shares_set(actor=staff, pool=pool, shares=list(zip(members, weights, strict=True)))
            made += 1
    return made


@transaction.atomic
def seed_decisions(*, seed: int = 20261202) -> dict[str, int]:
    period = _latest_period()
    if period is None:
        return {}
    rng = random.Random(seed)
    staff = User.objects.get(username="zzb_staff")
    head = User.objects.get(username="zzb_head")
    corrected = _incompetent(staff, period)
    bases = _bases(staff, period, rng)
    # the bonus list reads the bases: computed again with them (decisions are kept)
    lists_compute(period=period, actor=staff, reason="演示数据：设定奖金基数后重新计算")
    if Decision.objects.filter(period=period).exists():  # decided once: a second run changes nothing
        counts = {"granted": 0, "declined": 0}
    else:
        counts = _decide(staff, head, period, rng)
    return {
        "corrected_to_incompetent": corrected,
        "bonus_bases": bases,
        "incentive_decisions_granted": counts["granted"],
        "incentive_decisions_declined": counts["declined"],
        "team_pools": _pools(staff, period),
    }
