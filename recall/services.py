"""Every write of a recall case, from proposal to outcome, and of the points system.

A case moves through its stages in order (``Stage``): proposed → approved (department head) →
publicized → studied → (penalized) → followed up → outcome, which closes it or sends the cadre to
a front-line post under a follow-up of its own. A step out of order raises ``StepError`` with a
Chinese message saying what the case waits for. Each step is a ``RecallStep`` row (who, when, what)
and an audit entry; the cadre's status and post follow through ``cadres.services.cadre_update``.
The limits (study days, front-line months, the points threshold) are policy rows of the case's
unit, inherited down the org tree.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from assessment.models import Assessment, Grade, PeriodStatus, RuleKind
from assessment.services.policy import params_for
from audit.models import AuditAction
from audit.services import audit_record, snapshot
from cadres.models import RANKS_BY_KIND, Cadre, CadreStatus, Rank, Unit
from cadres.selectors import unit_in_scope
from cadres.services import cadre_post_change, cadre_update

from .errors import StepError
from .models import (
    LEVEL_OF_KIND,
    OPEN_STAGES,
    Attendance,
    CaseSource,
    Cause,
    Flag,
    FlagStatus,
    Outcome,
    PointRecord,
    RecallCase,
    RecallStep,
    Result,
    Situation,
    Stage,
)
from .tasks import queue_flag_job

# What each stage waits for, for the message of a step out of order.
NEXT_STEP = {
    Stage.PROPOSED: "部长（分管负责人）审批",
    Stage.APPROVED: "公开召回信息",
    Stage.PUBLICIZED: "登记召回学习班",
    Stage.STUDIED: "经济处理或跟踪考察",
    Stage.PENALIZED: "跟踪考察",
    Stage.FOLLOWED_UP: "确定处理结果",
    Stage.FRONTLINE: "一线锻炼期满后的跟踪考察",
    Stage.CLOSED: "无（案件已办结）",
    Stage.REJECTED: "无（召回提议未获批准）",
}

# The registry's status after each outcome ([002]: 待岗 keeps only the basic salary).
STATUS_AFTER = {
    Outcome.BACK_TO_POST: CadreStatus.ON_POST,
    Outcome.FRONTLINE: CadreStatus.FRONTLINE,
    Outcome.TRANSFER: CadreStatus.ON_POST,
    Outcome.REMOVAL: CadreStatus.REMOVED,
    Outcome.DEMOTION: CadreStatus.ON_POST,
    Outcome.GRADE_DOWN: CadreStatus.ON_POST,
    Outcome.AWAITING: CadreStatus.AWAITING,
    Outcome.DISMISSAL: CadreStatus.DISMISSED,
    Outcome.TERMINATION: CadreStatus.DISMISSED,
    Outcome.STEP_BACK_REMOVAL: CadreStatus.REMOVED,
    Outcome.STEP_BACK_NON_LEADING: CadreStatus.NON_LEADING,
    Outcome.STEP_BACK_RETIRE: CadreStatus.RETIRED,
}
NEEDS_POST_TITLE = {Outcome.TRANSFER, Outcome.DEMOTION}
NEEDS_RANK = {Outcome.DEMOTION, Outcome.GRADE_DOWN}

# [002] 分类施策: the treatment that fits the cause, and why.
TREATMENTS = {
    Cause.ABILITY: (
        "集中教育培训",
        "平时工作比较认真但能力不够、素质不高的，采取集中教育培训的方式帮助提升。",
    ),
    Cause.LAX: (
        "跟踪考察，组织优秀干部传帮带",
        "工作散慢、不遵守工作纪律、得过且过的，采取跟踪考察并组织优秀干部进行传帮带。",
    ),
    Cause.DISUNITY: ("转岗", "在单位闹不团结、干部群众反映大的，进行转岗。"),
    Cause.ABSENTEEISM: ("降职、降级", "不能正常履职、长期旷工的，主要采取降职、降级等措施处理。"),
    Cause.DISCIPLINE: (
        "约谈提醒、作风和廉政教育，视情节扣发绩效奖励",
        "违反纪律和作风要求的，通过约谈提醒和作风、廉政教育促其反思，并视情节轻重给予经济处罚。",
    ),
}


def treatment_for(case: RecallCase) -> tuple[str, str]:
    return TREATMENTS.get(case.cause, ("", ""))


# --------------------------------------------------------------------------- helpers


def _today() -> datetime.date:
    return timezone.localdate()


def _require(actor, unit: Unit, capability: str = "manage_recall") -> None:
    if not actor.can(capability):
        if capability == "approve":
            raise PermissionDenied("只有部长（分管负责人）可以审批召回。")
        raise PermissionDenied("您的角色无权办理干部召回。")
    if not unit_in_scope(actor, unit):
        raise PermissionDenied("该单位不在您的管辖范围内。")


def policy_params(unit: Unit, kind: str) -> dict:
    """The rule of ``kind`` in force for ``unit`` (its own, an ancestor's or the default; one
    query), ``{}`` where it is switched off."""
    return params_for(kind, unit) or {}


def _day(value, field: str, label: str, *, not_before: datetime.date | None = None) -> datetime.date:
    if value in (None, ""):
        raise ValidationError({field: f"请填写{label}。"})
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError({field: f"{label}格式不正确，应为 YYYY-MM-DD。"}) from None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if value > _today():
        raise ValidationError({field: f"{label}不能晚于今天。"})
    if not_before and value < not_before:
        raise ValidationError({field: f"{label}不能早于上一环节（{not_before:%Y-%m-%d}）。"})
    return value


def _money(value, field: str, label: str) -> Decimal:
    if value in (None, ""):
        raise ValidationError({field: f"请填写{label}（元，可填 0）。"})
    try:
        amount = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: f"{label}须为金额数字（元）。"}) from None
    if not amount.is_finite() or amount < 0:
        raise ValidationError({field: f"{label}不能为负数。"})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({field: f"{label}最多保留两位小数（分）。"})
    if amount >= Decimal("100000000"):
        raise ValidationError({field: f"{label}金额过大，请核对。"})
    return amount.quantize(Decimal("0.01"))


def _text(value, field: str, label: str, *, required: bool = True, max_length: int | None = None) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: f"请填写{label}。"})
    if max_length and len(text) > max_length:
        raise ValidationError({field: f"{label}不能超过{max_length}个字。"})
    return text


def _expect(case: RecallCase, *stages: str, step: str) -> None:
    if case.stage not in stages:
        raise StepError(
            f"案件当前环节为“{case.get_stage_display()}”，不能{step}；下一步应为：{NEXT_STEP[Stage(case.stage)]}。"
        )


def _last_day(case: RecallCase) -> datetime.date:
    last = case.steps.order_by("-on", "-id").values_list("on", flat=True).first()
    return last or case.proposed_on


def _locked(case: RecallCase) -> RecallCase:
    """The stored case, locked for the step (a stale instance cannot skip a stage)."""
    return RecallCase.objects.select_for_update().select_related("cadre", "unit").get(pk=case.pk)


def _record(actor, case: RecallCase, before: dict, *, step: str, label: str, on, data=None, note=""):
    RecallStep.objects.create(
        case=case, step=step, label=label, actor=actor, at=timezone.now(), on=on, data=data or {}, note=note
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE if before else AuditAction.CREATE,
        instance=case,
        before=before or None,
        after=snapshot(case),
        cadre_id=case.cadre_id,
        scope_path=case.unit.path,
        reason=f"召回：{label}",
    )
    queue_flag_job(actor=actor, reason=f"召回案件{label}")


def _set_cadre(actor, case: RecallCase, reason: str, **data) -> None:
    cadre = Cadre.objects.select_related("unit").get(pk=case.cadre_id)
    changed = {k: v for k, v in data.items() if getattr(cadre, k) != v}
    if not changed:
        return
    try:
        if "post_title" in changed:
            cadre_post_change(actor=actor, cadre=cadre, reason=reason, on=case.outcome_on, **changed)
        else:
            cadre_update(actor=actor, cadre=cadre, reason=reason, **changed)
    except ValidationError as exc:
        fields = getattr(exc, "message_dict", {})
        text = "；".join(m for messages in fields.values() for m in messages) or "；".join(exc.messages)
        target = "new_rank" if "rank" in fields or "kind" in fields else "outcome"
        raise ValidationError({target: f"干部信息无法按处理结果更新：{text}"}) from exc
    case.cadre = cadre


# --------------------------------------------------------------------------- proposal


def _grade_facts(cadre: Cadre, period) -> list[dict]:
    if period is None:
        raise ValidationError({"period": "依据考核等次提议召回时，请选择考核期。"})
    if not period.is_annual or period.status not in (PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED):
        raise ValidationError({"period": "请选择已公布的年度考核期。"})
    assessment = Assessment.objects.filter(period=period, cadre=cadre).first()
    grade = assessment.final_grade if assessment else ""
    if grade not in (Grade.BASIC, Grade.INCOMPETENT):
        shown = grade or "无等次"
        raise ValidationError(
            {"period": f"该干部{period.name}等次为{shown}，只有基本称职或不称职可作为召回依据。"}
        )
    return [
        {
            "label": period.name,
            "value": grade,
            "ref": {"model": "assessment.assessment", "id": assessment.pk},
        }
    ]


@transaction.atomic
def case_propose(
    *,
    actor,
    cadre: Cadre,
    source: str,
    reason: str,
    cause: str = "",
    situation: Situation | None = None,
    flag: Flag | None = None,
    period=None,
    facts: list | None = None,
    on=None,
) -> RecallCase:
    """Propose recalling ``cadre`` (already fetched through the actor's scope)."""
    _require(actor, cadre.unit)
    if source not in CaseSource.values:
        raise ValidationError({"source": "请选择召回依据。"})
    reason = _text(reason, "reason", "召回理由", max_length=2000)
    on = _day(on or _today(), "proposed_on", "提议日期")
    facts = list(facts or [])
    if source == CaseSource.SITUATION:
        if situation is None:
            raise ValidationError({"situation": "请选择惰政情形。"})
        if not situation.active:
            raise ValidationError({"situation": "该情形已停用。"})
        facts.insert(
            0, {"label": situation.get_group_display(), "value": f"{situation.code} {situation.name}"}
        )
        cause = cause or situation.cause
    elif source == CaseSource.GRADE:
        facts = _grade_facts(cadre, period) + facts
    elif source == CaseSource.FLAG:
        if flag is None or flag.cadre_id != cadre.pk:
            raise ValidationError({"flag": "请选择该干部的预警。"})
        if flag.status != FlagStatus.OPEN:
            raise StepError(f"该预警当前为“{flag.get_status_display()}”，不能再据此提议召回。")
        facts = list(flag.facts) + facts
    elif source == CaseSource.POINTS and not facts:
        raise ValidationError({"source": "记分提议召回须附记分记录。"})
    if cause not in Cause.values:
        raise ValidationError({"cause": "请选择问题性质。"})
    if RecallCase.objects.filter(cadre=cadre, stage__in=OPEN_STAGES).exists():
        raise StepError("该干部已有正在办理的召回案件，请在该案件中继续办理。")
    case = RecallCase(
        cadre=cadre,
        unit=cadre.unit,
        level=LEVEL_OF_KIND.get(cadre.kind, "general"),
        source=source,
        situation=situation if source == CaseSource.SITUATION else None,
        flag=flag if source == CaseSource.FLAG else None,
        period=period if source == CaseSource.GRADE else None,
        cause=cause,
        facts=facts,
        reason=reason,
        status_before=cadre.status,
        proposed_by=actor,
        proposed_on=on,
    )
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:  # a concurrent proposal won the one-open-case constraint
        raise StepError("该干部已有正在办理的召回案件，请在该案件中继续办理。") from None
    if source == CaseSource.FLAG:
        flag.status, flag.reviewed_by, flag.reviewed_at = FlagStatus.DECIDED, actor, timezone.now()
        flag.review_reason = f"提议召回（案件编号 {case.pk}）"
        flag.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason"])
    _record(actor, case, {}, step="propose", label="提议召回", on=on, data={"source": source}, note=reason)
    return case


@transaction.atomic
def case_approve(*, actor, case: RecallCase, note: str = "", on=None) -> RecallCase:
    case = _locked(case)
    _require(actor, case.unit, "approve")
    _expect(case, Stage.PROPOSED, step="审批召回")
    before = snapshot(case)
    case.approved_by, case.approved_on = (
        actor,
        _day(on or _today(), "approved_on", "批准日期", not_before=_last_day(case)),
    )
    case.approval_note = _text(note, "note", "审批意见", required=False, max_length=2000)
    case.stage = Stage.APPROVED
    case.save()
    _set_cadre(actor, case, "召回学习", status=CadreStatus.RECALLED)
    _record(
        actor, case, before, step="approve", label="批准召回", on=case.approved_on, note=case.approval_note
    )
    return case


@transaction.atomic
def case_reject(*, actor, case: RecallCase, note: str, on=None) -> RecallCase:
    case = _locked(case)
    _require(actor, case.unit, "approve")
    _expect(case, Stage.PROPOSED, step="审批召回")
    before = snapshot(case)
    case.approval_note = _text(note, "note", "不予批准的理由", max_length=2000)
    case.approved_by = actor
    case.approved_on = _day(on or _today(), "approved_on", "审批日期", not_before=_last_day(case))
    case.stage = Stage.REJECTED
    case.save()
    _record(
        actor, case, before, step="reject", label="不予批准", on=case.approved_on, note=case.approval_note
    )
    return case


@transaction.atomic
def case_publicize(*, actor, case: RecallCase, where: str, on=None) -> RecallCase:
    """公开: where the recall was made known (机关单位、报刊电视、网络媒体) and when."""
    case = _locked(case)
    _require(actor, case.unit)
    _expect(case, Stage.APPROVED, step="公开召回信息")
    before = snapshot(case)
    case.publicized_where = _text(where, "where", "公开范围", max_length=200)
    case.publicized_on = _day(on or _today(), "publicized_on", "公开日期", not_before=_last_day(case))
    case.stage = Stage.PUBLICIZED
    case.save()
    _record(
        actor,
        case,
        before,
        step="publicize",
        label="公开召回",
        on=case.publicized_on,
        data={"where": case.publicized_where},
    )
    return case


@transaction.atomic
def case_study(*, actor, case: RecallCase, start, end, content: str, attendance: str, fee) -> RecallCase:
    """The off-post study class: its length within the policy's days, fees paid by the cadre."""
    case = _locked(case)
    _require(actor, case.unit)
    _expect(case, Stage.PUBLICIZED, step="登记召回学习班")
    start = _day(start, "study_start", "学习班开始日期", not_before=case.publicized_on)
    end = _day(end, "study_end", "学习班结束日期")
    if end < start:
        raise ValidationError({"study_end": "学习班结束日期不能早于开始日期。"})
    limits = policy_params(case.unit, RuleKind.RECALL_LIMITS)
    low, high = limits.get("study_min_days", 2), limits.get("study_max_days", 5)
    days = (end - start).days + 1
    if not low <= days <= high:
        raise ValidationError(
            {"study_end": f"学习班为期 {days} 天，不符合规定：离岗集中学习应为 {low} 至 {high} 天。"}
        )
    if attendance not in Attendance.values:
        raise ValidationError({"attendance": "请选择出勤情况。"})
    before = snapshot(case)
    case.study_start, case.study_end = start, end
    case.study_content = _text(content, "study_content", "学习内容", max_length=2000)
    case.attendance = attendance
    case.study_fee = _money(fee, "study_fee", "本人交纳的学习费、生活费")
    case.stage = Stage.STUDIED
    case.save()
    _record(
        actor,
        case,
        before,
        step="study",
        label="召回学习",
        on=end,
        data={"days": days, "attendance": attendance, "fee": str(case.study_fee)},
    )
    return case


@transaction.atomic
def case_penalize(
    *, actor, case: RecallCase, amount, full: bool = False, note: str = "", on=None
) -> RecallCase:
    """Performance bonus withheld, in part (an amount) or for the whole year (and its amount)."""
    case = _locked(case)
    _require(actor, case.unit)
    _expect(case, Stage.STUDIED, step="登记经济处理")
    before = snapshot(case)
    case.bonus_withheld = _money(amount, "bonus_withheld", "扣发的绩效奖励")
    case.bonus_withheld_full = bool(full)
    if case.bonus_withheld_full and case.bonus_withheld == 0:
        raise ValidationError({"bonus_withheld": "扣发全年绩效奖励时，请填写扣发金额。"})
    case.penalty_note = _text(note, "penalty_note", "经济处理说明", required=False, max_length=2000)
    day = _day(on or _today(), "penalized_on", "处理日期", not_before=_last_day(case))
    case.stage = Stage.PENALIZED
    case.save()
    _record(
        actor,
        case,
        before,
        step="penalize",
        label="扣发绩效奖励",
        on=day,
        data={"amount": str(case.bonus_withheld), "full": case.bonus_withheld_full},
        note=case.penalty_note,
    )
    return case


@transaction.atomic
def case_follow_up(
    *,
    actor,
    case: RecallCase,
    result: str,
    discipline_officer: str,
    org_officer: str,
    note: str = "",
    on=None,
) -> RecallCase:
    """跟踪考察 by the discipline and the organization departments, each signing. After a
    front-line stint this is its own follow-up."""
    case = _locked(case)
    _require(actor, case.unit)
    _expect(case, Stage.STUDIED, Stage.PENALIZED, Stage.FRONTLINE, step="登记跟踪考察")
    if result not in Result.values:
        raise ValidationError({"result": "请选择考察结果（合格或不合格）。"})
    discipline = _text(discipline_officer, "discipline_officer", "纪检部门考察人", max_length=50)
    org = _text(org_officer, "org_officer", "组织部门考察人", max_length=50)
    if discipline == org:
        raise ValidationError({"org_officer": "纪检部门和组织部门的考察人应为不同的人。"})
    day = _day(on or _today(), "followup_on", "考察日期", not_before=_last_day(case))
    before = snapshot(case)
    frontline = case.stage == Stage.FRONTLINE
    if frontline:
        ends = add_months(case.frontline_start, case.frontline_months)
        if day < ends - datetime.timedelta(days=1):
            raise ValidationError({"followup_on": f"一线锻炼至 {ends:%Y-%m-%d} 期满，期满后再进行考察。"})
        case.frontline_result, case.frontline_checked_on = result, day
        case.frontline_discipline_officer, case.frontline_org_officer = discipline, org
    else:
        case.followup_result, case.followup_on = result, day
        case.followup_discipline_officer, case.followup_org_officer = discipline, org
    case.followup_note = _text(note, "note", "考察意见", required=False, max_length=2000)
    case.stage = Stage.FOLLOWED_UP
    case.save()
    _record(
        actor,
        case,
        before,
        step="frontline_check" if frontline else "follow_up",
        label="一线锻炼考察" if frontline else "跟踪考察",
        on=day,
        data={"result": result, "discipline_officer": discipline, "org_officer": org},
        note=case.followup_note,
    )
    return case


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by whole months, the month's last day where it has no such day (01-31 + 1 →
    02-28/29), as the 约谈 report's one month is counted."""
    return day + relativedelta(months=months)


def _kind_for_rank(cadre: Cadre, rank: str) -> str:
    if rank in RANKS_BY_KIND.get(cadre.kind, ()):
        return cadre.kind
    return next((kind for kind, ranks in RANKS_BY_KIND.items() if rank in ranks), cadre.kind)


@transaction.atomic
def case_outcome(
    *,
    actor,
    case: RecallCase,
    outcome: str,
    note: str = "",
    on=None,
    new_post_title: str = "",
    new_rank: str = "",
    frontline_post: str = "",
    frontline_start=None,
    frontline_months=None,
) -> RecallCase:
    """The outcome after the follow-up; the cadre's status and post follow it."""
    case = _locked(case)
    _require(actor, case.unit)
    _expect(case, Stage.FOLLOWED_UP, step="确定处理结果")
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": "请选择处理结果。"})
    latest = case.frontline_result or case.followup_result
    if outcome == Outcome.BACK_TO_POST and latest == Result.FAILED:
        raise ValidationError({"outcome": "跟踪考察不合格，不能回原岗位；请选择转岗、免职等处理方式。"})
    if outcome == Outcome.FRONTLINE:
        if case.frontline_result:
            raise ValidationError({"outcome": "该干部已经过一线锻炼，请确定最终处理结果。"})
        if latest != Result.PASSED:
            raise ValidationError({"outcome": "跟踪考察合格但能力尚有不足的，方可安排一线锻炼。"})
    day = _day(on or _today(), "outcome_on", "处理日期", not_before=_last_day(case))
    before = snapshot(case)
    case.outcome, case.outcome_on = outcome, day
    case.outcome_note = _text(note, "note", "处理说明", required=False, max_length=2000)
    cadre_changes: dict = {"status": STATUS_AFTER[Outcome(outcome)]}
    if outcome == Outcome.FRONTLINE:
        limits = policy_params(case.unit, RuleKind.RECALL_LIMITS)
        low, high = limits.get("frontline_min_months", 1), limits.get("frontline_max_months", 6)
        case.frontline_post = _text(frontline_post, "frontline_post", "锻炼岗位或项目", max_length=100)
        case.frontline_start = _day(frontline_start or day, "frontline_start", "锻炼开始日期", not_before=day)
        try:
            months = int(str(frontline_months).strip())
        except (TypeError, ValueError):
            raise ValidationError({"frontline_months": "请填写锻炼期限（月，整数）。"}) from None
        if not low <= months <= high:
            raise ValidationError(
                {"frontline_months": f"锻炼期限为 {months} 个月，不符合规定：应为 {low} 至 {high} 个月。"}
            )
        case.frontline_months = months
        case.stage = Stage.FRONTLINE
    else:
        case.stage = Stage.CLOSED
    if outcome in NEEDS_POST_TITLE or (new_post_title or "").strip():
        case.new_post_title = _text(new_post_title, "new_post_title", "新任职务", max_length=100)
        cadre_changes["post_title"] = case.new_post_title
    if outcome in NEEDS_RANK:
        if new_rank not in Rank.values:
            raise ValidationError({"new_rank": "请选择调整后的职级。"})
        if new_rank == case.cadre.rank:
            raise ValidationError({"new_rank": "调整后的职级与现职级相同。"})
    if new_rank:
        if new_rank not in Rank.values:
            raise ValidationError({"new_rank": "职级无效。"})
        case.new_rank = new_rank
        cadre_changes["rank"] = new_rank
        cadre_changes["kind"] = _kind_for_rank(case.cadre, new_rank)
    case.basic_salary_only = outcome == Outcome.AWAITING
    case.save()
    _set_cadre(actor, case, f"召回处理：{case.get_outcome_display()}", **cadre_changes)
    _record(
        actor,
        case,
        before,
        step="outcome",
        label=f"处理结果：{case.get_outcome_display()}",
        on=day,
        data={"outcome": outcome, "post_title": case.new_post_title, "rank": case.new_rank},
        note=case.outcome_note,
    )
    return case


# --------------------------------------------------------------------------- points (记分制)


def points_total(cadre: Cadre, *, on: datetime.date | None = None, window_months: int | None = None) -> int:
    on = on or _today()
    if window_months is None:
        window_months = policy_params(cadre.unit, RuleKind.RECALL_POINTS).get("window_months", 12)
    since = add_months(on, -window_months)
    total = PointRecord.objects.filter(cadre=cadre, occurred_on__gt=since, occurred_on__lte=on).aggregate(
        total=Sum("points")
    )["total"]
    return total or 0


@transaction.atomic
def points_record(
    *, actor, cadre: Cadre, situation: Situation, detail: str, occurred_on=None
) -> tuple[PointRecord, RecallCase | None]:
    """Record a situation against a cadre with its points; reaching the unit's threshold within
    the rolling window proposes a recall (unless one is already open)."""
    _require(actor, cadre.unit)
    if not situation.active:
        raise ValidationError({"situation": "该情形已停用。"})
    day = _day(occurred_on or _today(), "occurred_on", "发生日期")
    record = PointRecord.objects.create(
        cadre=cadre,
        unit=cadre.unit,
        situation=situation,
        points=situation.points,
        occurred_on=day,
        detail=_text(detail, "detail", "具体事实", max_length=2000),
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=record,
        after=snapshot(record),
        cadre_id=cadre.pk,
        scope_path=cadre.unit.path,
        reason=f"记分：{situation.name} {situation.points}分",
    )
    rule = policy_params(cadre.unit, RuleKind.RECALL_POINTS)
    if not rule:
        return record, None
    window, threshold = rule["window_months"], rule["threshold"]
    today = _today()
    total = points_total(cadre, on=today, window_months=window)
    if total < threshold or RecallCase.objects.filter(cadre=cadre, stage__in=OPEN_STAGES).exists():
        return record, None
    since = add_months(today, -window)
    records = PointRecord.objects.filter(
        cadre=cadre, occurred_on__gt=since, occurred_on__lte=today
    ).select_related("situation")
    facts = [
        {
            "label": f"{r.occurred_on:%Y-%m-%d} {r.situation.name}",
            "value": f"{r.points}分",
            "ref": {"model": "recall.pointrecord", "id": r.pk},
        }
        for r in records
    ]
    facts.append({"label": f"最近{window}个月累计记分", "value": f"{total}分（召回分值 {threshold} 分）"})
    worst = max(records, key=lambda r: r.points)
    case = case_propose(
        actor=actor,
        cadre=cadre,
        source=CaseSource.POINTS,
        reason=f"最近{window}个月累计记分 {total} 分，达到召回分值 {threshold} 分。",
        cause=worst.situation.cause,
        facts=facts,
        on=today,
    )
    return record, case
