"""复核/申诉 of a published annual grade.

Staff record an appeal (``appeal_file``) within the deadline the policy's APPEAL rule sets,
counted from the day the results were published; a head decides it (``appeal_decide``):
upheld, or changed to a new grade. A changed grade is stored as ``Assessment.appeal_grade``
and the unit is graded again at once (``period_recompute(..., unit_only=True)``): a 优秀 given
on appeal takes its place before the others are allocated, so another cadre of the unit may
lose one; a 优秀 changed away frees its place. Every cadre whose grade moved gets an audit
entry with both versions; the recomputation announces ``grades_recomputed`` so the flag rules
and the 三挂钩 lists follow.

``appeal_consequences`` runs the same engine in memory (nothing written) so the head sees,
before deciding, which cadres of the unit a changed grade would move.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record, snapshot
from cadres.models import Cadre, Unit
from cadres.selectors import unit_in_scope
from supervision.services.interviews import BadAttachment, _named_as, sniff_content_type

from ..grading import PolicyResolver, grade_period
from ..models import (
    Appeal,
    AppealAttachment,
    AppealStatus,
    Assessment,
    Grade,
    Period,
    PeriodStatus,
    RuleKind,
)
from .recompute import indicators_by_category, load_facts, load_rows, period_recompute, policy_resolver

# What a decision may give: the individual scale and 不定等次 (不参加考核 is no outcome of a 复核).
DECISION_GRADES = [Grade.EXCELLENT, Grade.COMPETENT, Grade.BASIC, Grade.INCOMPETENT, Grade.UNDETERMINED]
# Supporting documents: the checks of the interview attachments (by content, not by name), to
# these three types only.
APPEAL_FILE_TYPES = ("application/pdf", "image/jpeg", "image/png")
MAX_FILES = 10


class AppealClosed(ValidationError):
    """The appeal was decided already (the API answers 409)."""


@dataclass(frozen=True)
class Deadline:
    published_on: datetime.date
    days: int | None  # None: the APPEAL rule is switched off for the unit, no deadline
    last_day: datetime.date | None

    @property
    def text(self) -> str:
        if self.last_day is None:
            return f"考核结果于 {self.published_on:%Y-%m-%d} 公布，评定规则未设复核申请期限"
        return f"考核结果于 {self.published_on:%Y-%m-%d} 公布，复核申请期限至 {self.last_day:%Y-%m-%d}"


def appeal_deadline(period: Period, unit: Unit, resolver: PolicyResolver | None = None) -> Deadline | None:
    """The filing window of ``unit``'s cadres in ``period``: from the local date of publication
    to that date + the APPEAL rule's days (the last day accepted). None before publication.
    ``resolver``: one read of the policy shared by many calls (a list)."""
    if period.published_at is None:
        return None
    published_on = timezone.localtime(period.published_at).date()
    resolver = resolver or policy_resolver(unit.path)
    rule = resolver.policy(unit.path).one(RuleKind.APPEAL)
    if not rule or not rule.get("days"):
        return Deadline(published_on, None, None)
    days = int(rule["days"])
    return Deadline(published_on, days, published_on + datetime.timedelta(days=days))


def filing_refusal(period: Period, deadline: Deadline | None, today: datetime.date | None = None) -> str:
    """Why an appeal cannot be recorded against a result of ``period`` today ("" when it can):
    the record button and the form say it before anyone types."""
    refusal = period_refusal(period, deadline)
    if refusal:
        return refusal
    today = today or timezone.localdate()
    if deadline.last_day is not None and today > deadline.last_day:
        return _overdue(period, deadline)
    return ""


def period_refusal(period: Period, deadline: Deadline | None) -> str:
    """Why no appeal can be recorded against a result of ``period`` at all ("" when one can,
    the filing date permitting)."""
    if not period.is_annual:
        return "只有年度考核等次可以申请复核。"
    if period.status == PeriodStatus.ARCHIVED:
        return f"{period.name}已归档，不再受理复核申请。"
    if period.status != PeriodStatus.PUBLISHED:
        return f"{period.name}尚未公布，不受理复核申请；评定阶段如需修改等次，请使用“调整等次”。"
    if deadline is None:
        return f"{period.name}未记录公布时间，无法计算复核申请期限。"
    return ""


def _overdue(period: Period, deadline: Deadline) -> str:
    return (
        f"申请已逾期：{period.name}于 {deadline.published_on:%Y-%m-%d} 公布，"
        f"复核申请期限至 {deadline.last_day:%Y-%m-%d}"
    )


def _locked_assessment(actor, assessment: Assessment) -> Assessment:
    locked = (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("period", "unit", "cadre")
        .get(pk=assessment.pk)
    )
    if not unit_in_scope(actor, locked.unit):
        raise PermissionDenied("该考核结果不在您的管辖范围内。")
    return locked


def check_upload(upload) -> tuple[str, str]:
    """(content type, stored name) of one supporting document, or ``BadAttachment`` (413: too
    large, 415: empty or not a PDF/JPEG/PNG by its content) naming the file."""
    label = (getattr(upload, "name", "") or "附件").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    limit = settings.SUPERVISION_ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise BadAttachment(
            f"“{label}”超过{limit // (1024 * 1024)}MB（{upload.size / 1024 / 1024:.1f}MB），请压缩后上传。",
            413,
        )
    if upload.size == 0:
        raise BadAttachment(f"“{label}”是空文件。", 415)
    upload.seek(0)
    content_type = sniff_content_type(upload.read(8), upload)
    upload.seek(0)
    if content_type not in APPEAL_FILE_TYPES:
        raise BadAttachment(f"“{label}”不是PDF、JPG或PNG文件（系统按文件内容判断类型）。", 415)
    return content_type, _named_as(content_type, label)


@transaction.atomic
def appeal_file(
    *,
    actor,
    assessment: Assessment,
    appellant: str,
    filed_on: datetime.date | None,
    grounds: str,
    files=(),
) -> Appeal:
    """Record a 复核 application against a published annual grade, with its documents."""
    if not actor.can("manage_assessment"):
        raise PermissionDenied("您的角色无权登记复核申诉。")
    obj = _locked_assessment(actor, assessment)
    period = obj.period
    deadline = appeal_deadline(period, obj.unit)
    refusal = period_refusal(period, deadline)
    if refusal:
        raise ValidationError(refusal)
    errors: dict[str, str] = {}
    appellant = (appellant or "").strip()
    grounds = (grounds or "").strip()
    if not appellant:
        errors["appellant"] = "请填写申请人。"
    elif len(appellant) > 50:
        errors["appellant"] = "申请人不能超过50个字。"
    if not grounds:
        errors["grounds"] = "请填写申请复核的理由。"
    today = timezone.localdate()
    if filed_on is None:
        errors["filed_on"] = "请填写申请日期。"
    elif filed_on > today:
        errors["filed_on"] = f"申请日期（{filed_on:%Y-%m-%d}）不能晚于今天（{today:%Y-%m-%d}）。"
    elif filed_on < deadline.published_on:
        errors["filed_on"] = (
            f"申请日期（{filed_on:%Y-%m-%d}）不能早于考核结果公布日期（{deadline.published_on:%Y-%m-%d}）。"
        )
    elif deadline.last_day is not None and filed_on > deadline.last_day:
        errors["filed_on"] = _overdue(period, deadline)
    if not obj.final_grade:
        errors["__all__"] = "该考核结果没有等次，无需复核。"
    pending = Appeal.objects.filter(assessment=obj, status=AppealStatus.PENDING).first()
    if pending is not None:
        errors["__all__"] = (
            f"该考核结果已有一件待决定的复核申诉（{pending.filed_on:%Y-%m-%d} 申请），决定后才能再次申请。"
        )
    files = list(files or [])
    if len(files) > MAX_FILES:
        errors["files"] = f"附件最多{MAX_FILES}个。"
    if errors:
        raise ValidationError(errors)
    checked = [(upload, *check_upload(upload)) for upload in files]

    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                assessment=obj,
                appellant=appellant,
                filed_on=filed_on,
                grounds=grounds,
                grade_before=obj.final_grade,
                recorded_by=actor,
            )
    except IntegrityError:  # a second pending appeal recorded at the same moment
        raise ValidationError("该考核结果已有一件待决定的复核申诉，决定后才能再次申请。") from None
    _audit(
        actor,
        AuditAction.CREATE,
        appeal,
        obj,
        reason=f"申请复核{period.name}等次（原等次：{obj.final_grade}）",
    )
    for upload, content_type, name in checked:
        attachment = AppealAttachment(
            appeal=appeal, original_name=name, content_type=content_type, size=upload.size, uploaded_by=actor
        )
        attachment.file.save(f"appeal.{name.rsplit('.', 1)[-1].lower()}", upload, save=False)
        attachment.save()
        _audit(actor, AuditAction.CREATE, attachment, obj)
    return appeal


def _audit(actor, action, instance, assessment: Assessment, before=None, reason: str = "") -> None:
    audit_record(
        actor=actor,
        action=action,
        instance=instance,
        before=before,
        after=snapshot(instance),
        cadre_id=assessment.cadre_id,
        scope_path=assessment.unit.path,
        reason=reason,
    )


def _result_fields(a: Assessment) -> dict:
    return {
        "scores": a.scores or {},
        "total_score": None if a.total_score is None else str(a.total_score),
        "rank_in_unit": a.rank_in_unit,
        "computed_grade": a.computed_grade,
        "final_grade": a.final_grade,
        "grade_code": a.grade_code,
        "appeal_grade": a.appeal_grade,
    }


@transaction.atomic
def appeal_decide(*, actor, appeal: Appeal, outcome: str, new_grade: str = "", reason: str) -> Appeal:
    """A head's decision: ``upheld`` (no grade changes) or ``changed`` to ``new_grade``, which
    becomes final and regrades the cadre's unit of the period at once."""
    if not actor.can("approve"):
        raise PermissionDenied("只有部长（分管负责人）可以对复核申诉作出决定。")
    appeal = Appeal.objects.select_for_update(of=("self",)).get(pk=appeal.pk)
    obj = _locked_assessment(actor, appeal.assessment)
    if appeal.status != AppealStatus.PENDING:
        raise AppealClosed(
            f"该复核申诉已于 {timezone.localtime(appeal.decided_at):%Y-%m-%d} 决定（{appeal.get_status_display()}），"
            "不能再次决定。"
        )
    errors: dict[str, str] = {}
    reason = (reason or "").strip()
    new_grade = (new_grade or "").strip()
    if outcome not in (AppealStatus.UPHELD, AppealStatus.CHANGED):
        errors["outcome"] = "请选择决定：维持原等次或改变等次。"
    elif outcome == AppealStatus.CHANGED:
        if new_grade not in DECISION_GRADES:
            errors["new_grade"] = f"请选择复核后的等次（{'、'.join(DECISION_GRADES)}）。"
        elif new_grade == appeal.grade_before:
            errors["new_grade"] = (
                f"复核后等次与原等次（{appeal.grade_before}）相同；如不改变等次，请选择“维持原等次”。"
            )
        elif new_grade == obj.final_grade:
            # the grade was corrected (更正) to this one after the appeal was filed
            errors["new_grade"] = f"复核后等次与现最终等次（{obj.final_grade}）相同，无需改变。"
        elif obj.period.status != PeriodStatus.PUBLISHED:
            errors["outcome"] = f"{obj.period.name}已{obj.period.get_status_display()}，不能再改变等次。"
    if not reason:
        errors["decision_reason"] = "请填写决定理由。"
    if errors:
        raise ValidationError(errors)

    appeal_before = snapshot(appeal)
    if outcome == AppealStatus.CHANGED:
        _change_grade(actor, appeal, obj, new_grade, reason)
    appeal.status = outcome
    appeal.new_grade = new_grade if outcome == AppealStatus.CHANGED else ""
    appeal.decision_reason = reason
    appeal.decided_by = actor
    appeal.decided_at = timezone.now()
    appeal.save(update_fields=["status", "new_grade", "decision_reason", "decided_by", "decided_at"])
    label = (
        f"改变等次：{appeal.grade_before} → {new_grade}"
        if outcome == AppealStatus.CHANGED
        else f"维持原等次：{appeal.grade_before}"
    )
    _audit(
        actor, AuditAction.UPDATE, appeal, obj, before=appeal_before, reason=f"复核决定（{label}）：{reason}"
    )
    return appeal


def _change_grade(actor, appeal: Appeal, obj: Assessment, new_grade: str, reason: str) -> None:
    """Set the appeal grade, regrade the unit, and audit every cadre whose result moved."""
    unit = obj.unit
    period = obj.period
    unit_rows = Assessment.objects.filter(period=period, unit=unit).select_related("cadre")
    before = {a.pk: a for a in unit_rows}
    appellant_before = _result_fields(obj)
    Assessment.objects.filter(pk=obj.pk).update(appeal_grade=new_grade, updated_at=timezone.now())
    period_recompute(period_id=period.pk, unit_path=unit.path, force=True, unit_only=True)
    obj.refresh_from_db()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=obj,
        before=appellant_before,
        after=_result_fields(obj),
        cadre_id=obj.cadre_id,
        scope_path=unit.path,
        reason=f"复核决定改变等次（{appeal.grade_before} → {new_grade}）：{reason}",
    )
    fields = ("computed_grade", "final_grade", "grade_code")
    for after in unit_rows.exclude(pk=obj.pk):
        old = before.get(after.pk)
        if old is None or all(getattr(old, f) == getattr(after, f) for f in fields):
            continue
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=after,
            before={f: getattr(old, f) for f in fields},
            after={f: getattr(after, f) for f in fields},
            cadre_id=after.cadre_id,
            scope_path=unit.path,
            reason=(
                f"{obj.cadre.name}的复核申诉经决定改为{new_grade}，{unit.name}优秀名额重新分配"
                f"（{old.final_grade or '未评定'} → {after.final_grade or '未评定'}）"
            ),
        )


# ---------------------------------------------------------------- what a decision would do


@dataclass(frozen=True)
class Consequence:
    assessment_id: int
    cadre_name: str
    before: str
    after: str
    appellant: bool


def appeal_consequences(appeal: Appeal, new_grade: str) -> list[Consequence]:
    """The cadres of the appellant's unit whose final grade a decision giving ``new_grade``
    would change (the appellant first, then by name), computed by the engine in memory from
    the stored data; nothing is written."""
    obj = appeal.assessment
    period, unit = obj.period, obj.unit
    stored, rows = load_rows(period, unit.path, unit_only=True)
    for row in rows:
        if row.id == obj.pk:
            row.appeal_grade = new_grade
    facts = load_facts(period, unit.path, {r.cadre_id for r in rows}, unit_only=True)
    results, _ = grade_period(
        annual=period.is_annual,
        rows=rows,
        indicators_for=indicators_by_category(period),
        resolver=policy_resolver(unit.path),
        facts=facts,
        quotas={},
    )
    # stored tuples: (id, cadre, ..., final grade at 11, ...) as recompute.load_rows lays them out
    moved = {s[0]: (s[1], s[11], results[s[0]].final) for s in stored if s[11] != results[s[0]].final}
    names = dict(Cadre.objects.filter(pk__in=[c for c, _, _ in moved.values()]).values_list("pk", "name"))
    shown = [
        Consequence(pk, names.get(cadre_id, ""), old or "未评定", new or "未评定", pk == obj.pk)
        for pk, (cadre_id, old, new) in moved.items()
    ]
    return sorted(shown, key=lambda c: (not c.appellant, c.cadre_name, c.assessment_id))
