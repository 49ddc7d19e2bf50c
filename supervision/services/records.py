"""Every write of problem clues, personal-matters spot checks and 述职评议 follow-through.

Each service checks the role (PermissionDenied → 403) and the scope (objects outside the actor's
subtree are refused), validates with Chinese messages keyed by field (ValidationError), and
records the audit trail in the same transaction, with the cadre and the cadre's unit path.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record, snapshot
from cadres.models import Cadre
from cadres.selectors import unit_in_scope

from ..models import (
    CheckHandling,
    CheckOutcome,
    ClueSource,
    ClueStatus,
    Interview,
    InterviewStatus,
    PersonalMattersCheck,
    ProblemClue,
    QuarterCheckStatus,
    ReviewItem,
    ReviewItemCheck,
    ReviewItemStatus,
    SubjectType,
)

# Which verification step may follow which (待核实 → 属实/不实, 属实 → 了结).
CLUE_TRANSITIONS: dict[str, set[str]] = {
    ClueStatus.PENDING: {ClueStatus.CONFIRMED, ClueStatus.UNFOUNDED},
    ClueStatus.CONFIRMED: {ClueStatus.CLOSED},
    ClueStatus.UNFOUNDED: set(),
    ClueStatus.CLOSED: set(),
}

# The talk recorded when a spot check finds a report not truthful.
HANDLING_INTERVIEW_KIND = {CheckHandling.REMINDER: "reminder", CheckHandling.ADMONISH: "admonish"}

# Records of years this far back are accepted (older paper files are entered too).
EARLIEST_YEAR = 2000


def _require_edit(actor) -> None:
    if not actor.can("edit_registry"):
        raise PermissionDenied("您的角色无权登记监督记录。")


def _require_cadre(actor, cadre: Cadre, field: str = "cadre") -> None:
    if cadre is None:
        raise ValidationError({field: "请选择干部。"})
    if not unit_in_scope(actor, cadre.unit):
        raise ValidationError({field: "该干部不在您的管辖范围内。"})


def _require_in_scope(actor, cadre: Cadre) -> None:
    if not unit_in_scope(actor, cadre.unit):
        raise PermissionDenied("该干部不在您的管辖范围内。")


def _not_future(errors: dict, field: str, value: datetime.date | None, label: str) -> None:
    if value is not None and value > timezone.localdate():
        errors.setdefault(field, f"{label}不能晚于今天。")


def _record(actor, action, instance, cadre: Cadre, before=None, reason: str = ""):
    audit_record(
        actor=actor,
        action=action,
        instance=instance,
        before=before,
        after=snapshot(instance),
        cadre_id=cadre.pk,
        scope_path=cadre.unit.path,
        reason=reason,
    )


# ---------------------------------------------------------------- problem clues


@transaction.atomic
def clue_create(*, actor, cadre: Cadre, source: str, received_on: datetime.date, summary: str) -> ProblemClue:
    """Register a clue. Until it is verified the cadre is held from promotion (暂缓使用)."""
    _require_edit(actor)
    _require_cadre(actor, cadre)
    summary = (summary or "").strip()
    errors: dict[str, str] = {}
    if source not in ClueSource.values:
        errors["source"] = "请选择线索来源。"
    if received_on is None:
        errors["received_on"] = "请填写收到日期。"
    _not_future(errors, "received_on", received_on, "收到日期")
    if not summary:
        errors["summary"] = "请填写问题摘要。"
    if errors:
        raise ValidationError(errors)
    clue = ProblemClue.objects.create(
        cadre=cadre, source=source, received_on=received_on, summary=summary, created_by=actor
    )
    _record(actor, AuditAction.CREATE, clue, cadre)
    return clue


def _locked_clue(actor, clue: ProblemClue) -> ProblemClue:
    _require_edit(actor)
    _require_in_scope(actor, clue.cadre)
    # Two people verifying the same clue at once: the second sees the first one's result.
    return ProblemClue.objects.select_for_update().select_related("cadre", "cadre__unit").get(pk=clue.pk)


def _refuse_transition(current: ProblemClue, target: str) -> None:
    if target in CLUE_TRANSITIONS[current.status]:
        return
    now = ClueStatus(current.status).label
    if current.status == ClueStatus.PENDING:
        hint = "待核实的线索只能核实为“属实”或“不实”。"
    elif current.status == ClueStatus.CONFIRMED:
        hint = "属实的线索只能了结。"
    else:
        hint = "该线索已办结，不能再变更。"
    raise ValidationError({"status": f"该线索当前为“{now}”，不能改为“{ClueStatus(target).label}”：{hint}"})


@transaction.atomic
def clue_verify(
    *, actor, clue: ProblemClue, status: str, verified_on: datetime.date | None, conclusion: str
) -> ProblemClue:
    """Record the verification of a pending clue: 属实 or 不实, with the date and conclusion."""
    current = _locked_clue(actor, clue)
    if status not in (ClueStatus.CONFIRMED, ClueStatus.UNFOUNDED):
        raise ValidationError({"status": "请选择核实结果：属实或不实。"})
    _refuse_transition(current, status)
    conclusion = (conclusion or "").strip()
    errors: dict[str, str] = {}
    if verified_on is None:
        errors["verified_on"] = "请填写核实日期。"
    else:
        _not_future(errors, "verified_on", verified_on, "核实日期")
        if verified_on < current.received_on:
            errors["verified_on"] = f"核实日期不能早于收到日期（{current.received_on:%Y-%m-%d}）。"
    if not conclusion:
        errors["conclusion"] = "请填写核实结论。"
    if errors:
        raise ValidationError(errors)
    before = snapshot(current)
    current.status, current.verified_on, current.conclusion = status, verified_on, conclusion
    current.save(update_fields=["status", "verified_on", "conclusion"])
    _record(actor, AuditAction.UPDATE, current, current.cadre, before=before)
    return current


@transaction.atomic
def clue_close(*, actor, clue: ProblemClue, closed_on: datetime.date | None, conclusion: str) -> ProblemClue:
    """了结 a confirmed clue. The closing conclusion is added below the verification conclusion."""
    current = _locked_clue(actor, clue)
    _refuse_transition(current, ClueStatus.CLOSED)
    conclusion = (conclusion or "").strip()
    errors: dict[str, str] = {}
    if closed_on is None:
        errors["closed_on"] = "请填写了结日期。"
    else:
        _not_future(errors, "closed_on", closed_on, "了结日期")
        if current.verified_on and closed_on < current.verified_on:
            errors["closed_on"] = f"了结日期不能早于核实日期（{current.verified_on:%Y-%m-%d}）。"
    if not conclusion:
        errors["conclusion"] = "请填写了结意见（处理结果）。"
    if errors:
        raise ValidationError(errors)
    before = snapshot(current)
    current.status = ClueStatus.CLOSED
    current.conclusion = f"{current.conclusion}\n【了结 {closed_on:%Y-%m-%d}】{conclusion}".strip()
    current.save(update_fields=["status", "conclusion"])
    _record(actor, AuditAction.UPDATE, current, current.cadre, before=before)
    return current


# ---------------------------------------------------------------- personal-matters spot checks


def untruthful_reason(year: int) -> str:
    return f"个人有关事项报告抽查未如实报告（{year}年度）"


@transaction.atomic
def matters_check_create(
    *,
    actor,
    cadre: Cadre,
    year: int,
    checked_on: datetime.date,
    outcome: str,
    handling: str = "",
    note: str = "",
) -> PersonalMattersCheck:
    """Record a spot check. A report found not truthful is handled by a 提醒 or a 诫勉, which is
    recorded as the corresponding talk and linked to the check."""
    _require_edit(actor)
    _require_cadre(actor, cadre)
    handling = handling or ""
    today = timezone.localdate()
    errors: dict[str, str] = {}
    if year is None or not EARLIEST_YEAR <= year <= today.year:
        errors["year"] = f"报告年度应在{EARLIEST_YEAR}至{today.year}年之间。"
    if checked_on is None:
        errors["checked_on"] = "请填写抽查日期。"
    else:
        _not_future(errors, "checked_on", checked_on, "抽查日期")
        if "year" not in errors and checked_on.year < year:
            errors["checked_on"] = f"抽查日期应在{year}年度报告之后。"
    if outcome not in CheckOutcome.values:
        errors["outcome"] = "请选择核查结果。"
    elif outcome == CheckOutcome.UNTRUTHFUL and handling not in HANDLING_INTERVIEW_KIND:
        errors["handling"] = "未如实报告的，须选择处理方式：提醒或诫勉。"
    elif outcome == CheckOutcome.TRUTHFUL and handling:
        errors["handling"] = "如实报告的无需处理，请将处理方式留空。"
    if "year" not in errors and PersonalMattersCheck.objects.filter(cadre=cadre, year=year).exists():
        errors["year"] = f"{cadre.name}的{year}年度个人有关事项报告已登记过抽查结果，每人每年度只登记一次。"
    if errors:
        raise ValidationError(errors)

    interview = None
    if outcome == CheckOutcome.UNTRUTHFUL:
        interview = Interview.objects.create(
            kind=HANDLING_INTERVIEW_KIND[CheckHandling(handling)],
            subject_type=SubjectType.CADRE,
            cadre=cadre,
            unit=cadre.unit,
            status=InterviewStatus.RECORDED,
            proposed_by=actor,
            reason_detail=untruthful_reason(year),
        )
        _record(actor, AuditAction.CREATE, interview, cadre)
    try:
        with transaction.atomic():
            check = PersonalMattersCheck.objects.create(
                cadre=cadre,
                year=year,
                checked_on=checked_on,
                outcome=outcome,
                handling=handling,
                note=(note or "").strip(),
                interview=interview,
                created_by=actor,
            )
    except IntegrityError:
        # Two people registering the same check at once: the unique constraint decides.
        raise ValidationError(
            {"year": f"{cadre.name}的{year}年度个人有关事项报告已登记过抽查结果，每人每年度只登记一次。"}
        ) from None
    _record(actor, AuditAction.CREATE, check, cadre)
    return check


# ---------------------------------------------------------------- 述职评议 follow-through


@transaction.atomic
def review_item_create(
    *,
    actor,
    secretary: Cadre,
    year: int,
    problem: str,
    measure: str = "",
    deadline: datetime.date | None = None,
) -> ReviewItem:
    """Add a problem to a party-organization secretary's 述职评议 list of ``year``."""
    _require_edit(actor)
    _require_cadre(actor, secretary, "secretary")
    problem = (problem or "").strip()
    today = timezone.localdate()
    errors: dict[str, str] = {}
    if year is None or not EARLIEST_YEAR <= year <= today.year + 1:
        errors["year"] = f"述职年度应在{EARLIEST_YEAR}至{today.year + 1}年之间。"
    if not problem:
        errors["problem"] = "请填写问题。"
    if deadline is not None and "year" not in errors and deadline < datetime.date(year, 1, 1):
        errors["deadline"] = f"整改时限不能早于{year}年。"
    if errors:
        raise ValidationError(errors)
    item = ReviewItem.objects.create(
        secretary=secretary,
        unit=secretary.unit,
        year=year,
        problem=problem,
        measure=(measure or "").strip(),
        deadline=deadline,
        created_by=actor,
    )
    _record(actor, AuditAction.CREATE, item, secretary)
    return item


def _locked_item(actor, item: ReviewItem) -> ReviewItem:
    _require_edit(actor)
    _require_in_scope(actor, item.secretary)
    return (
        ReviewItem.objects.select_for_update().select_related("secretary", "secretary__unit").get(pk=item.pk)
    )


@transaction.atomic
def review_item_check(
    *, actor, item: ReviewItem, year: int, quarter: int, status: str, note: str = ""
) -> ReviewItemCheck:
    """Record the quarterly check of an open item (one per item and quarter)."""
    current = _locked_item(actor, item)
    if current.status == ReviewItemStatus.CLOSED:
        raise ValidationError({"status": f"该问题已于{current.closed_on:%Y-%m-%d}销号，不能再登记季度检查。"})
    today = timezone.localdate()
    this_quarter = (today.month - 1) // 3 + 1
    errors: dict[str, str] = {}
    if year is None or not current.year <= year <= today.year:
        errors["year"] = f"检查年度应在{current.year}至{today.year}年之间。"
    if quarter not in (1, 2, 3, 4):
        errors["quarter"] = "请选择季度。"
    elif "year" not in errors and (year, quarter) > (today.year, this_quarter):
        errors["quarter"] = "该季度尚未开始，不能登记检查。"
    if status not in QuarterCheckStatus.values:
        errors["status"] = "请选择检查结果。"
    if not errors and ReviewItemCheck.objects.filter(item=current, year=year, quarter=quarter).exists():
        errors["quarter"] = f"该问题{year}年第{quarter}季度已检查过，每季度只登记一次。"
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            check = ReviewItemCheck.objects.create(
                item=current,
                year=year,
                quarter=quarter,
                status=status,
                note=(note or "").strip(),
                checked_by=actor,
            )
    except IntegrityError:
        raise ValidationError(
            {"quarter": f"该问题{year}年第{quarter}季度已检查过，每季度只登记一次。"}
        ) from None
    _record(actor, AuditAction.CREATE, check, current.secretary)
    return check


@transaction.atomic
def review_item_close(
    *, actor, item: ReviewItem, closed_on: datetime.date | None, evidence: str
) -> ReviewItem:
    """销号: close an item, only with the evidence of its rectification."""
    current = _locked_item(actor, item)
    if current.status == ReviewItemStatus.CLOSED:
        raise ValidationError({"evidence": f"该问题已于{current.closed_on:%Y-%m-%d}销号，不能重复销号。"})
    evidence = (evidence or "").strip()
    errors: dict[str, str] = {}
    if not evidence:
        errors["evidence"] = "销号须填写佐证材料（整改完成情况、佐证文件等）。"
    if closed_on is None:
        errors["closed_on"] = "请填写销号日期。"
    else:
        _not_future(errors, "closed_on", closed_on, "销号日期")
        if closed_on < datetime.date(current.year, 1, 1):
            errors["closed_on"] = f"销号日期不能早于{current.year}年。"
    if errors:
        raise ValidationError(errors)
    before = snapshot(current)
    current.status, current.closed_on, current.evidence = ReviewItemStatus.CLOSED, closed_on, evidence
    current.save(update_fields=["status", "closed_on", "evidence"])
    _record(actor, AuditAction.UPDATE, current, current.secretary, before=before)
    return current
