"""Demo recall data for ``seed_demo``: cases in every stage (and closed with several outcomes),
point records (one cadre reaching the recall threshold), flags raised by the flag rules over the
demo record, some reviewed, and adjustment decisions proposed and approved. Everything goes
through the services, so the audit trail, the registry and the rules hold as for real data."""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from assessment.models import Assessment, Grade, Period, PeriodStatus
from cadres.models import Cadre, CadreKind, CadreStatus, Rank

from . import services
from .models import (
    OPEN_STAGES,
    AdjustmentMethod,
    CaseSource,
    Flag,
    FlagStatus,
    Outcome,
    RecallCase,
    Situation,
    Stage,
)
from .tasks import flags_deferred

REASONS = {
    "ability": "业务不熟、能力不足，连续两个月未完成重点工作目标任务。",
    "lax": "工作散漫、得过且过，群众办事多次反映推诿扯皮。",
    "disunity": "与班子成员闹不团结，干部群众反映较大。",
    "absenteeism": "长期不在岗，经多次提醒仍不能正常履职。",
    "discipline": "违反作风要求，工作日午间饮酒后上岗。",
}


def _days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


class _Run:
    """One pass of the demo: who acts, which cadres are still free, the steps of a case."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.staff = User.objects.get(username="zzb_staff")
        self.head = User.objects.get(username="zzb_head")
        self.situations = {s.code: s for s in Situation.objects.filter(active=True)}
        self.used: set[int] = set()
        pool = list(
            Cadre.objects.filter(status=CadreStatus.ON_POST)
            .select_related("unit")
            .order_by("id")
            .values_list("id", "kind", "rank")
        )
        self.pool = {kind: [pk for pk, k, _ in pool if k == kind] for kind in CadreKind.values}
        self.everyone = [pk for pk, _, _ in pool]
        self.zheng_ke = [pk for pk, k, r in pool if k == CadreKind.LEADER_KE and r == Rank.ZHENG_KE]

    def cadre(self, kind: str | None = None, *, ids: list[int] | None = None) -> Cadre:
        if ids is None:
            kind = kind or self.rng.choice(
                [CadreKind.GENERAL] * 5
                + [CadreKind.LEADER_KE] * 3
                + [CadreKind.VILLAGE]
                + [CadreKind.LEADER_CHU]
            )
            ids = self.pool[kind] or self.pool[CadreKind.GENERAL]
        free = [pk for pk in ids[:600] if pk not in self.used]
        # a small demo city runs out of one kind: anyone still on post will do
        pk = self.rng.choice(free or [pk for pk in self.everyone if pk not in self.used])
        self.used.add(pk)
        return Cadre.objects.select_related("unit").get(pk=pk)

    # ------------------------------------------------------------ one case, step by step

    def propose(self, cadre, code: str, ago: int) -> RecallCase:
        situation = self.situations[code]
        return services.case_propose(
            actor=self.staff,
            cadre=cadre,
            source=CaseSource.SITUATION,
            situation=situation,
            reason=REASONS[situation.cause],
            on=_days_ago(ago),
        )

    def run(self, cadre, code: str, stage: str, ago: int, **outcome) -> RecallCase:
        """A case proposed ``ago`` days ago, taken to ``stage``; the steps a few days apart."""
        case = self.propose(cadre, code, ago)
        if stage == Stage.PROPOSED:
            return case
        if stage == Stage.REJECTED:
            note = "经核实，所反映问题属偶发情况，改为提醒谈话。"
            return services.case_reject(actor=self.head, case=case, note=note, on=_days_ago(ago - 2))
        services.case_approve(actor=self.head, case=case, note="同意召回。", on=_days_ago(ago - 2))
        if stage == Stage.APPROVED:
            return case
        where = self.rng.choice(["本单位公示栏、县电视台", "政府门户网站、机关单位公示栏", "报刊、网络媒体"])
        services.case_publicize(actor=self.staff, case=case, where=where, on=_days_ago(ago - 3))
        if stage == Stage.PUBLICIZED:
            return case
        days = self.rng.randint(2, 5)
        services.case_study(
            actor=self.staff,
            case=case,
            start=_days_ago(ago - 5),
            end=_days_ago(ago - 5 - days + 1),
            content="谈心谈话、业务培训、思想道德教育，并到信访窗口体验艰苦岗位。",
            attendance="full",
            fee=self.rng.choice([300, 450, 600]),
        )
        if stage == Stage.STUDIED:
            return case
        if stage != Stage.FOLLOWED_UP or self.rng.random() < 0.7:
            full = self.rng.random() < 0.2
            services.case_penalize(
                actor=self.staff,
                case=case,
                amount=self.rng.choice([1500, 3000, 4050]) if not full else 12000,
                full=full,
                note="按规定扣发召回期间绩效奖励。",
                on=_days_ago(ago - 12),
            )
        if stage == Stage.PENALIZED:
            return case
        services.case_follow_up(
            actor=self.staff,
            case=case,
            result=outcome.pop("result", "passed"),
            discipline_officer="县纪委 周明",
            org_officer="组织部 刘芳",
            note="返岗后工作状态明显好转。" if outcome.get("outcome") != Outcome.REMOVAL else "整改不到位。",
            on=_days_ago(ago - 20),
        )
        if stage == Stage.FOLLOWED_UP:
            return case
        return services.case_outcome(actor=self.staff, case=case, on=_days_ago(ago - 22), **outcome)


@transaction.atomic
def seed_recall(*, seed: int = 20261122) -> dict[str, int]:
    """Idempotent: does nothing if the demo already has recall cases."""
    if RecallCase.objects.exists():
        return {}
    r = _Run(random.Random(seed))
    with flags_deferred(actor=r.staff, reason="演示数据"):
        _cases(r)
        _admonished(r)
        points = _points(r)
    flags = _flags(r)
    return {
        "recall_cases": RecallCase.objects.count(),
        "recall_points": points,
        "flags": Flag.objects.count(),
        **flags,
    }


def _cases(r: _Run) -> None:
    # one in each open stage, the oldest proposal waiting long enough for the 不作为 rule
    r.run(r.cadre(), "U02", Stage.PROPOSED, 3)
    r.run(r.cadre(CadreKind.LEADER_KE), "L02", Stage.PROPOSED, 24)
    r.run(r.cadre(), "S01", Stage.REJECTED, 30)
    r.run(r.cadre(), "C02", Stage.APPROVED, 6)
    r.run(r.cadre(CadreKind.VILLAGE), "L04", Stage.PUBLICIZED, 9)
    r.run(r.cadre(), "C01", Stage.STUDIED, 15)
    r.run(r.cadre(CadreKind.LEADER_KE), "S03", Stage.PENALIZED, 25)
    r.run(r.cadre(), "U01", Stage.FOLLOWED_UP, 40)
    # on the front line now, and one whose stint is over and closed
    r.run(
        r.cadre(),
        "C03",
        Stage.FRONTLINE,
        60,
        outcome=Outcome.FRONTLINE,
        frontline_post="县重点项目建设指挥部",
        frontline_months=3,
        note="考察合格但能力尚有不足，选派到重点项目锻炼。",
    )
    stint = r.run(
        r.cadre(),
        "C01",
        Stage.FRONTLINE,
        200,
        outcome=Outcome.FRONTLINE,
        frontline_post="乡镇信访接待窗口",
        frontline_months=2,
    )
    ends = services.add_months(stint.frontline_start, stint.frontline_months)
    services.case_follow_up(
        actor=r.staff,
        case=stint,
        result="passed",
        discipline_officer="县纪委 周明",
        org_officer="组织部 刘芳",
        note="锻炼期间表现良好。",
        on=ends + datetime.timedelta(days=2),
    )
    services.case_outcome(
        actor=r.staff, case=stint, outcome=Outcome.BACK_TO_POST, on=ends + datetime.timedelta(days=4)
    )
    # closed with several outcomes
    for code, ago in (("U01", 120), ("L01", 150), ("S04", 90)):
        r.run(r.cadre(), code, Stage.CLOSED, ago, outcome=Outcome.BACK_TO_POST, note="考察合格，回原岗位。")
    # (the demo keeps every cadre's post title: the recall services change a title without a post
    # record, which would break the registry's history; 转岗 and 降职 are left to real cases)
    r.run(
        r.cadre(), "U03", Stage.CLOSED, 100, result="failed", outcome=Outcome.STEP_BACK_NON_LEADING,
        note="考察不合格，年龄偏大，退居二线。",
    )  # fmt: skip
    if any(pk not in r.used for pk in r.zheng_ke):
        r.run(
            r.cadre(ids=r.zheng_ke), "L03", Stage.CLOSED, 110, outcome=Outcome.GRADE_DOWN,
            new_rank=Rank.FU_KE, note="长期不能正常履职，降级使用。",
        )  # fmt: skip
    r.run(
        r.cadre(),
        "S09",
        Stage.CLOSED,
        130,
        result="failed",
        outcome=Outcome.AWAITING,
        note="待岗期间只发基本工资。",
    )
    # recalled a second time within three years (the recalled_times rule)
    again = r.cadre()
    r.run(again, "S02", Stage.CLOSED, 300, outcome=Outcome.BACK_TO_POST)
    r.run(again, "L02", Stage.APPROVED, 12)
    r.run(
        r.cadre(),
        "L05",
        Stage.CLOSED,
        140,
        result="failed",
        outcome=Outcome.REMOVAL,
        note="考察不合格，免职。",
    )
    r.run(r.cadre(CadreKind.LEADER_KE), "U01", Stage.CLOSED, 160, outcome=Outcome.STEP_BACK_RETIRE)
    r.run(r.cadre(CadreKind.VILLAGE), "S05", Stage.CLOSED, 170, result="failed", outcome=Outcome.TERMINATION)
    # 依据考核等次: a cadre graded 基本称职 or 不称职 in the published annual assessment
    period = (
        Period.objects.filter(quarter__isnull=True, status=PeriodStatus.PUBLISHED).order_by("-year").first()
    )
    if period is not None:
        weak = (
            Assessment.objects.filter(
                period=period,
                final_grade__in=[Grade.BASIC, Grade.INCOMPETENT],
                cadre__status=CadreStatus.ON_POST,
            )
            .exclude(cadre_id__in=r.used)
            .order_by("cadre_id")
            .values_list("cadre_id", flat=True)
            .first()
        )
        if weak is not None:
            r.used.add(weak)
            services.case_propose(
                actor=r.staff,
                cadre=Cadre.objects.select_related("unit").get(pk=weak),
                source=CaseSource.GRADE,
                period=period,
                cause="ability",
                reason=f"{period.name}等次为基本称职及以下，工作能力与岗位要求差距较大。",
                on=_days_ago(8),
            )


def _admonished(r: _Run) -> None:
    """Two leaders admonished (诫勉) twice this year: the interviews rule flags them."""
    from supervision.models import InterviewKind, InterviewReason, ReasonAudience, SubjectType
    from supervision.services.interviews import interview_record

    reasons = list(InterviewReason.objects.filter(audience=ReasonAudience.LEADER).order_by("id")[:3])
    today = timezone.localdate()
    for _ in range(2):
        cadre = r.cadre(CadreKind.LEADER_KE)
        # both in this calendar year: the rule counts a year's talks
        start_of_year = today.timetuple().tm_yday - 1
        for ago in (min(150, start_of_year), min(30, start_of_year)):
            interview_record(
                actor=r.staff,
                kind=InterviewKind.ADMONISH,
                subject_type=SubjectType.CADRE,
                cadre=cadre,
                reasons=reasons[:1],
                conducted_on=_days_ago(ago),
                location="组织部谈话室",
                interviewers="组织部副部长 王明",
                record="对其履职不力问题进行诫勉，责令作出书面检查。",
            )


def _points(r: _Run) -> int:
    """记分: scattered records, and one cadre whose points reach the threshold (a case proposed)."""
    count = 0
    for n in range(10):
        cadre = r.cadre(CadreKind.GENERAL)
        code = r.rng.choice(["S01", "S02", "S04", "L01", "L04"])
        services.points_record(
            actor=r.staff,
            cadre=cadre,
            situation=r.situations[code],
            detail="考勤抽查发现。" if code.startswith("S") else "工作督查发现。",
            occurred_on=_days_ago(10 + 17 * n),
        )
        count += 1
    repeat = r.cadre(CadreKind.GENERAL)
    for code, ago in (("S03", 150), ("S06", 80), ("U02", 20)):
        services.points_record(
            actor=r.staff,
            cadre=repeat,
            situation=r.situations[code],
            detail="督查通报。",
            occurred_on=_days_ago(ago),
        )
        count += 1
    return count


def _flags(r: _Run) -> dict[str, int]:
    """Raise the flags the demo record fires, then review some: one dismissed, adjustments
    proposed (one approved, one waiting for the head), one turned into a recall; the rest wait."""
    from .flags import flags_evaluate
    from .services_flags import adjustment_approve, adjustment_propose, flag_dismiss

    flags_evaluate()
    waiting = list(
        Flag.objects.filter(status=FlagStatus.OPEN).select_related("cadre").order_by("raised_at", "id")
    )
    busy = set(RecallCase.objects.filter(stage__in=OPEN_STAGES).values_list("cadre_id", flat=True))

    def take(rule: str, *, free: bool = False):
        for flag in waiting:
            if flag.rule_key.startswith(rule) and not (free and flag.cadre_id in busy):
                waiting.remove(flag)
                return flag
        return None

    counts = {"flags_dismissed": 0, "adjustments": 0, "flags_recalled": 0}
    flag = take("flag_inaction")
    if flag is not None:
        flag_dismiss(actor=r.staff, flag=flag, reason="已督促该单位主要负责人限期办理召回提议，暂不作调整。")
        counts["flags_dismissed"] += 1
    flag = take("flag_interviews")
    if flag is not None:
        decision = adjustment_propose(
            actor=r.staff, cadre=flag.cadre, flag=flag, method=AdjustmentMethod.NON_LEADING,
            effective_on=timezone.localdate(), reason="一年内两次被诫勉，经研判不适宜担任领导职务，建议改任非领导职务。",
        )  # fmt: skip
        adjustment_approve(actor=r.head, decision=decision, note="同意。")
        counts["adjustments"] += 1
    flag = take("flag_recall:followup") or take("flag_recall")
    if flag is not None:
        adjustment_propose(
            actor=r.staff, cadre=flag.cadre, flag=flag, method=AdjustmentMethod.LATERAL,
            new_post_title="县档案馆科员", reason="召回后跟踪考察不合格，建议平职交流到适合的岗位。",
        )  # fmt: skip
        counts["adjustments"] += 1
    flag = take("flag_interviews", free=True)
    if flag is not None:
        services.case_propose(
            actor=r.staff, cadre=flag.cadre, source=CaseSource.FLAG, flag=flag, cause="lax",
            reason="一年内两次被诫勉，作风问题突出，依据预警提议召回学习。",
        )  # fmt: skip
        counts["flags_recalled"] += 1
    return counts
