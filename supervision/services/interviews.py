"""Talks and interviews, and the 约谈 workflow (DOMAIN.md "Supervision", 咸阳 rule):

proposed → approved by a department head (or rejected) → notice sent → conducted and recorded
→ (team meeting held / unit's main leader informed) → rectification report received (due one
month after the talk) → reviewed: improved, or not improved with a proposal of 诫勉 or
organizational handling.

A step out of order raises ``StepRefused`` with a Chinese message saying what must come first.
Each step carries the date it happened, which the user enters (talks are often recorded after the
fact; it defaults to today in Asia/Shanghai). The dates run in workflow order and none is in the
future: a bad one is a ``ValidationError`` naming both dates.
"""

import datetime
import io

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record, snapshot
from cadres.models import Cadre, Unit
from cadres.selectors import unit_in_scope

from ..models import (
    Attachment,
    FollowUp,
    Interview,
    InterviewKind,
    InterviewReason,
    InterviewStatus,
    ReasonAudience,
    Reminder,
    ReminderKind,
    SubjectType,
)
from ..signals import interviews_changed

REPORT_PERIOD = relativedelta(months=1)
REMIND_DAYS_BEFORE = 7


class StepRefused(Exception):
    """A workflow step asked for in the wrong state; the message says why, in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


NEXT_STEP_HINT = {
    InterviewStatus.PROPOSED: "须先经部长（分管负责人）审批",
    InterviewStatus.REJECTED: "该约谈提议未获批准，流程已结束",
    InterviewStatus.APPROVED: "须先发出约谈预告",
    InterviewStatus.NOTIFIED: "须先实施约谈并登记约谈记录",
    InterviewStatus.CONDUCTED: "须先收到整改报告",
    InterviewStatus.REPORT_RECEIVED: "须先对整改报告作出评估",
    InterviewStatus.IMPROVED: "流程已结束",
    InterviewStatus.NOT_IMPROVED: "流程已结束",
    InterviewStatus.RECORDED: "该记录不适用约谈流程",
}


def _require_state(interview: Interview, allowed: tuple, step: str) -> None:
    if interview.kind != InterviewKind.YUETAN:
        raise StepRefused(f"只有约谈需要“{step}”环节，{interview.get_kind_display()}无此流程。")
    if interview.status not in allowed:
        current = InterviewStatus(interview.status).label
        raise StepRefused(
            f"当前状态为“{current}”，不能{step}：{NEXT_STEP_HINT[InterviewStatus(interview.status)]}。"
        )


def _require_role(
    actor, capability: str = "edit_registry", message: str = "您的角色无权登记谈话记录。"
) -> None:
    if not actor.can(capability):
        raise PermissionDenied(message)


def _require_scope(actor, interview: Interview) -> None:
    if not unit_in_scope(actor, interview.unit):
        raise PermissionDenied("该记录不在您的管辖范围内。")


def _today() -> datetime.date:
    return timezone.localdate()


def _audit(actor, action, interview: Interview, before=None, reason: str = "") -> None:
    audit_record(
        actor=actor,
        action=action,
        instance=interview,
        before=before,
        after=snapshot(interview) if action != AuditAction.DELETE else None,
        cadre_id=interview.cadre_id,
        scope_path=interview.unit.path,
        reason=reason,
    )


def _changed(interview: Interview) -> None:
    ids, paths = [interview.pk], [interview.unit.path]
    transaction.on_commit(
        lambda: interviews_changed.send(sender=Interview, interview_ids=ids, unit_paths=paths)
    )


def _subject(actor, subject_type: str, cadre: Cadre | None, unit: Unit | None) -> Unit:
    """Validate the subject and return the unit the record belongs to."""
    if subject_type == SubjectType.CADRE:
        if cadre is None:
            raise ValidationError({"cadre": "请选择谈话对象。"})
        unit = cadre.unit
        field = "cadre"
    elif subject_type == SubjectType.TEAM:
        if unit is None:
            raise ValidationError({"unit": "请选择被约谈的领导班子所在单位。"})
        field = "unit"
    else:
        raise ValidationError({"subject_type": "对象类型无效。"})
    if not unit_in_scope(actor, unit):
        raise ValidationError({field: "谈话对象不在您的管辖范围内。"})
    return unit


def _check_reasons(subject_type: str, reasons: list[InterviewReason], kind: str) -> None:
    if kind == InterviewKind.YUETAN and not reasons:
        raise ValidationError({"reasons": "约谈须选择至少一项约谈情形。"})
    allowed = (
        {ReasonAudience.TEAM}
        if subject_type == SubjectType.TEAM
        else {ReasonAudience.LEADER, ReasonAudience.PARTY_MAIN_LEADER, ReasonAudience.ADMIN_MAIN_LEADER}
    )
    wrong = [r.text for r in reasons if r.audience not in allowed]
    if wrong:
        target = "领导班子" if subject_type == SubjectType.TEAM else "领导干部个人"
        raise ValidationError({"reasons": f"以下情形不适用于{target}：" + "、".join(wrong)})
    inactive = [r.text for r in reasons if not r.active]
    if inactive:
        raise ValidationError({"reasons": "以下情形已停用：" + "、".join(inactive)})


def _check_date(field: str, value, label: str) -> None:
    if value is None:
        raise ValidationError({field: f"请填写{label}。"})
    if value > _today():
        raise ValidationError({field: f"{label}不能晚于今天。"})


def _workflow_dates(interview: Interview) -> list[tuple[str, str, datetime.date | None]]:
    """The 约谈's step dates in workflow order: (field, label, date)."""
    i = interview
    if i.subject_type == SubjectType.CADRE:
        aftermath = ("main_leader_informed_on", "通报主要负责人日期", i.main_leader_informed_on)
    else:
        aftermath = ("team_meeting_on", "班子会议日期", i.team_meeting_on)
    return [
        ("proposed_on", "提议日期", i.proposed_on),
        ("approved_on", "批准日期", i.approved_on),
        ("notice_sent_on", "预告日期", i.notice_sent_on),
        ("conducted_on", "约谈日期", i.conducted_on),
        aftermath,
        ("report_received_on", "整改报告提交日期", i.report_received_on),
        ("reviewed_on", "评估日期", i.reviewed_on),
    ]


def _step_date(interview: Interview, field: str, value: datetime.date | None, label: str) -> datetime.date:
    """The date of a step: today unless given, not in the future, not before the date of an earlier
    step nor after that of a later one (a correction of an earlier step). The message names the
    first step in workflow order that the date contradicts, e.g. a talk dated before the approval."""
    today = _today()
    value = value or today
    if value > today:
        raise ValidationError({field: f"{label}（{value:%Y-%m-%d}）不能晚于今天（{today:%Y-%m-%d}）。"})
    dates = _workflow_dates(interview)
    index = next(n for n, (name, _, _) in enumerate(dates) if name == field)
    for _, other_label, other in dates[:index]:
        if other is not None and value < other:
            raise ValidationError(
                {field: f"{label}（{value:%Y-%m-%d}）不能早于{other_label}（{other:%Y-%m-%d}）。"}
            )
    for _, other_label, other in dates[index + 1 :]:
        if other is not None and value > other:
            raise ValidationError(
                {field: f"{label}（{value:%Y-%m-%d}）不能晚于{other_label}（{other:%Y-%m-%d}）。"}
            )
    return value


# ------------------------------------------------------------------ one-step records


@transaction.atomic
def interview_record(
    *,
    actor,
    kind: str,
    subject_type: str,
    cadre: Cadre | None = None,
    unit: Unit | None = None,
    reasons: list[InterviewReason] = (),
    reason_detail: str = "",
    conducted_on: datetime.date | None = None,
    location: str = "",
    interviewers: str = "",
    record: str = "",
) -> Interview:
    """Record a 谈心谈话, 提醒谈话, 函询 or 诫勉 (one step; 约谈 goes through ``yuetan_propose``)."""
    _require_role(actor)
    if kind == InterviewKind.YUETAN:
        raise ValidationError({"kind": "约谈须先提议并经审批，请使用“提议约谈”。"})
    if kind not in InterviewKind.values:
        raise ValidationError({"kind": "谈话类别无效。"})
    unit = _subject(actor, subject_type, cadre, unit)
    reasons = list(reasons)
    _check_reasons(subject_type, reasons, kind)
    _check_date("conducted_on", conducted_on, "谈话日期" if kind != InterviewKind.INQUIRY else "函询日期")
    if not (record or "").strip():
        raise ValidationError({"record": "请填写谈话记录（或函询内容）。"})
    interview = Interview.objects.create(
        kind=kind,
        subject_type=subject_type,
        cadre=cadre if subject_type == SubjectType.CADRE else None,
        unit=unit,
        reason_detail=reason_detail.strip(),
        status=InterviewStatus.RECORDED,
        proposed_by=actor,
        conducted_on=conducted_on,
        location=location.strip(),
        interviewers=interviewers.strip(),
        record=record.strip(),
    )
    interview.reasons.set(reasons)
    _audit(actor, AuditAction.CREATE, interview)
    _changed(interview)
    return interview


EDITABLE_FIELDS = {
    "reason_detail",
    "location",
    "interviewers",
    "record",
    "report_summary",
    "review_note",
}


@transaction.atomic
def interview_update(*, actor, interview: Interview, reason: str = "", **fields) -> Interview:
    """Correct the descriptive fields of a record (dates and status change only through steps).
    Exempting its matter is a 容错纠错 decision (``services.exemptions``)."""
    _require_role(actor)
    _require_scope(actor, interview)
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "该字段只能通过流程环节修改。"))
    interview = Interview.objects.select_for_update().get(pk=interview.pk)
    before = snapshot(interview)
    for key, value in fields.items():
        setattr(interview, key, (value or "").strip())
    if interview.status == InterviewStatus.RECORDED and not interview.record:
        raise ValidationError({"record": "谈话记录不能为空。"})
    interview.save()
    _audit(actor, AuditAction.UPDATE, interview, before=before, reason=reason)
    _changed(interview)
    return interview


# ------------------------------------------------------------------ the 约谈 workflow


@transaction.atomic
def yuetan_propose(
    *,
    actor,
    subject_type: str,
    cadre: Cadre | None = None,
    unit: Unit | None = None,
    reasons: list[InterviewReason] = (),
    reason_detail: str = "",
    proposed_on: datetime.date | None = None,
) -> Interview:
    _require_role(actor, message="您的角色无权提议约谈。")
    unit = _subject(actor, subject_type, cadre, unit)
    reasons = list(reasons)
    _check_reasons(subject_type, reasons, InterviewKind.YUETAN)
    interview = Interview(
        kind=InterviewKind.YUETAN,
        subject_type=subject_type,
        cadre=cadre if subject_type == SubjectType.CADRE else None,
        unit=unit,
        reason_detail=reason_detail.strip(),
        status=InterviewStatus.PROPOSED,
        proposed_by=actor,
    )
    interview.proposed_on = _step_date(interview, "proposed_on", proposed_on, "提议日期")
    interview.save()
    interview.reasons.set(reasons)
    _audit(actor, AuditAction.CREATE, interview)
    _changed(interview)
    return interview


def _step(actor, interview: Interview, allowed: tuple, step: str, capability="edit_registry", message=None):
    _require_role(actor, capability, message or "您的角色无权办理约谈。")
    _require_scope(actor, interview)
    locked = Interview.objects.select_for_update().select_related("unit").get(pk=interview.pk)
    _require_state(locked, allowed, step)
    return locked, snapshot(locked)


@transaction.atomic
def yuetan_approve(
    *,
    actor,
    interview: Interview,
    approve: bool = True,
    note: str = "",
    approved_on: datetime.date | None = None,
) -> Interview:
    """Only a department head (部长/分管负责人) decides on a proposal."""
    interview, before = _step(
        actor,
        interview,
        (InterviewStatus.PROPOSED,),
        "审批",
        capability="approve",
        message="只有部长（分管负责人）可以审批约谈提议。",
    )
    if not approve and not note.strip():
        raise ValidationError({"approval_note": "不予批准时请写明理由。"})
    interview.approved_on = _step_date(interview, "approved_on", approved_on, "审批日期")
    interview.status = InterviewStatus.APPROVED if approve else InterviewStatus.REJECTED
    interview.approved_by = actor
    interview.approved_at = timezone.now()
    interview.approval_note = note.strip()
    interview.save()
    _audit(actor, AuditAction.UPDATE, interview, before=before)
    _changed(interview)
    return interview


@transaction.atomic
def yuetan_send_notice(
    *,
    actor,
    interview: Interview,
    notice_sent_on: datetime.date | None = None,
    scheduled_for: datetime.datetime | None = None,
) -> Interview:
    interview, before = _step(actor, interview, (InterviewStatus.APPROVED,), "发出约谈预告")
    notice_sent_on = _step_date(interview, "notice_sent_on", notice_sent_on, "预告日期")
    if scheduled_for and timezone.localtime(scheduled_for).date() < notice_sent_on:
        raise ValidationError({"scheduled_for": "约定的约谈时间不能早于预告日期。"})
    interview.notice_sent_on = notice_sent_on
    interview.scheduled_for = scheduled_for
    interview.status = InterviewStatus.NOTIFIED
    interview.save()
    _audit(actor, AuditAction.UPDATE, interview, before=before)
    _changed(interview)
    return interview


@transaction.atomic
def yuetan_conduct(
    *,
    actor,
    interview: Interview,
    conducted_on: datetime.date | None = None,
    location: str = "",
    interviewers: str = "",
    record: str = "",
) -> Interview:
    """The talk took place: its record is kept and the rectification report falls due a month after
    the talk's date (not the day it is recorded)."""
    interview, before = _step(actor, interview, (InterviewStatus.NOTIFIED,), "登记约谈情况")
    conducted_on = _step_date(interview, "conducted_on", conducted_on, "约谈日期")
    errors = {}
    if not interviewers.strip():
        errors["interviewers"] = "请填写约谈人（组织部主要负责人或分管负责人）。"
    if not record.strip():
        errors["record"] = "请填写约谈记录（全程纪实）。"
    if errors:
        raise ValidationError(errors)
    interview.conducted_on = conducted_on
    interview.location = location.strip()
    interview.interviewers = interviewers.strip()
    interview.record = record.strip()
    interview.report_due = conducted_on + REPORT_PERIOD
    interview.status = InterviewStatus.CONDUCTED
    interview.save()
    _audit(actor, AuditAction.UPDATE, interview, before=before)
    _changed(interview)
    return interview


@transaction.atomic
def yuetan_record_aftermath(
    *,
    actor,
    interview: Interview,
    main_leader_informed_on: datetime.date | None = None,
    team_meeting_on: datetime.date | None = None,
    team_meeting_report: str = "",
) -> Interview:
    """For a cadre: the unit's main leader was informed. For a team: it met and reported."""
    interview, before = _step(
        actor, interview, (InterviewStatus.CONDUCTED, InterviewStatus.REPORT_RECEIVED), "登记约谈后续情况"
    )
    if interview.subject_type == SubjectType.CADRE:
        interview.main_leader_informed_on = _step_date(
            interview, "main_leader_informed_on", main_leader_informed_on, "通报主要负责人日期"
        )
    else:
        team_meeting_on = _step_date(interview, "team_meeting_on", team_meeting_on, "班子会议日期")
        if not team_meeting_report.strip():
            raise ValidationError(
                {"team_meeting_report": "请填写班子会议通报约谈情况、查找问题和议定整改措施的情况。"}
            )
        interview.team_meeting_on = team_meeting_on
        interview.team_meeting_report = team_meeting_report.strip()
    interview.save()
    _audit(actor, AuditAction.UPDATE, interview, before=before)
    return interview


@transaction.atomic
def yuetan_receive_report(
    *, actor, interview: Interview, received_on: datetime.date | None = None, summary: str = ""
) -> Interview:
    interview, before = _step(actor, interview, (InterviewStatus.CONDUCTED,), "登记整改报告")
    if interview.subject_type == SubjectType.CADRE and not interview.main_leader_informed_on:
        raise StepRefused("须先登记已向所在单位主要负责人通报约谈情况，再登记整改报告。")
    if interview.subject_type == SubjectType.TEAM and not interview.team_meeting_on:
        raise StepRefused("须先登记领导班子召开会议通报约谈情况，再登记整改报告。")
    received_on = _step_date(interview, "report_received_on", received_on, "整改报告提交日期")
    if not summary.strip():
        raise ValidationError({"report_summary": "请概述整改报告的思想认识、整改措施和整改情况。"})
    interview.report_received_on = received_on
    interview.report_summary = summary.strip()
    interview.status = InterviewStatus.REPORT_RECEIVED
    interview.save()
    Reminder.objects.filter(interview=interview, resolved_at__isnull=True).update(resolved_at=timezone.now())
    _audit(actor, AuditAction.UPDATE, interview, before=before)
    _changed(interview)
    return interview


@transaction.atomic
def yuetan_review(
    *,
    actor,
    interview: Interview,
    improved: bool,
    note: str = "",
    follow_up: str = "",
    reviewed_on: datetime.date | None = None,
) -> Interview:
    """Judge the rectification. Without a report, only 'not improved' once the report is overdue."""
    interview, before = _step(
        actor, interview, (InterviewStatus.REPORT_RECEIVED, InterviewStatus.CONDUCTED), "评估整改情况"
    )
    if interview.status == InterviewStatus.CONDUCTED:
        if improved or interview.report_due >= _today():
            raise StepRefused(
                f"整改报告尚未提交（期限{interview.report_due:%Y-%m-%d}）：须先登记整改报告；"
                "逾期未交的，可直接评估为整改不到位。"
            )
    reviewed_on = _step_date(interview, "reviewed_on", reviewed_on, "评估日期")
    if interview.status == InterviewStatus.CONDUCTED and reviewed_on <= interview.report_due:
        raise ValidationError(
            {
                "reviewed_on": f"评估日期（{reviewed_on:%Y-%m-%d}）须晚于整改报告期限（{interview.report_due:%Y-%m-%d}）："
                "逾期未交整改报告的，才可直接评估为整改不到位。"
            }
        )
    if not note.strip():
        raise ValidationError({"review_note": "请填写评估意见。"})
    if improved and follow_up:
        raise ValidationError({"follow_up": "整改到位的无需提出处理建议。"})
    if not improved and follow_up not in FollowUp.values:
        raise ValidationError({"follow_up": "整改不到位的，须提出诫勉或组织处理建议。"})
    interview.status = InterviewStatus.IMPROVED if improved else InterviewStatus.NOT_IMPROVED
    interview.review_note = note.strip()
    interview.follow_up = "" if improved else follow_up
    interview.reviewed_by = actor
    interview.reviewed_on = reviewed_on
    interview.save()
    Reminder.objects.filter(interview=interview, resolved_at__isnull=True).update(resolved_at=timezone.now())
    _audit(actor, AuditAction.UPDATE, interview, before=before)
    _changed(interview)
    return interview


# ------------------------------------------------------------------ attachments

ALLOWED_IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


class BadAttachment(ValidationError):
    """The file is not a PDF or an image (by content), or too large. ``status`` is 413 or 415."""

    def __init__(self, message: str, status: int):
        super().__init__({"file": message})
        self.status = status


def sniff_content_type(head: bytes, data: io.BufferedIOBase) -> str | None:
    """The content type judged from the bytes, never from the name or the browser's claim."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    from PIL import Image, UnidentifiedImageError

    try:
        data.seek(0)
        with Image.open(data) as img:
            fmt = img.format
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    return ALLOWED_IMAGE_FORMATS.get(fmt)


# The extensions a file of each detected type may carry; the first is the one given to it.
EXTENSIONS = {
    "application/pdf": ("pdf",),
    "image/jpeg": ("jpg", "jpeg", "jpe"),
    "image/png": ("png",),
    "image/gif": ("gif",),
    "image/webp": ("webp",),
}


def _named_as(content_type: str, name: str) -> str:
    """The uploaded name with the extension of the type its content was found to be: a PDF
    sent as ``x.html`` is kept (and downloaded) as ``x.pdf``, never as a page."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    allowed = EXTENSIONS[content_type]
    if ext.lower() in allowed:
        return name[:200]
    stem = (stem.strip() or "附件")[: 200 - len(allowed[0]) - 1]
    return f"{stem}.{allowed[0]}"


@transaction.atomic
def attachment_add(*, actor, interview: Interview, upload, stage: str = "") -> Attachment:
    _require_role(actor)
    _require_scope(actor, interview)
    limit = settings.SUPERVISION_ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise BadAttachment(
            f"附件不能超过{limit // (1024 * 1024)}MB（当前{upload.size / 1024 / 1024:.1f}MB）。", 413
        )
    if upload.size == 0:
        raise BadAttachment("附件是空文件。", 415)
    upload.seek(0)
    head = upload.read(8)
    content_type = sniff_content_type(head, upload)
    if content_type is None:
        raise BadAttachment("附件只能是PDF文件或图片（JPG、PNG、GIF、WEBP），系统按文件内容判断类型。", 415)
    upload.seek(0)
    name = _named_as(content_type, (upload.name or "附件").rsplit("/", 1)[-1].rsplit("\\", 1)[-1])
    attachment = Attachment(
        interview=interview,
        original_name=name,
        content_type=content_type,
        size=upload.size,
        stage=stage[:20],
        uploaded_by=actor,
    )
    attachment.file.save(f"attachment.{EXTENSIONS[content_type][0]}", upload, save=False)
    attachment.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=attachment,
        after=snapshot(attachment),
        cadre_id=interview.cadre_id,
        scope_path=interview.unit.path,
    )
    return attachment


# ------------------------------------------------------------------ reminders


def reminders_scan(*, today: datetime.date | None = None) -> dict:
    """Raise one reminder per due event: reports due within 7 days, and overdue ones.

    Idempotent and safe under concurrency: the unique constraint (interview, kind, due_date)
    with ``ignore_conflicts`` means a second run, or a second beat process, adds nothing."""
    today = today or _today()
    waiting = Interview.objects.filter(
        kind=InterviewKind.YUETAN, status=InterviewStatus.CONDUCTED, report_due__isnull=False
    ).values_list("pk", "report_due", "proposed_by_id")
    soon_limit = today + datetime.timedelta(days=REMIND_DAYS_BEFORE)
    candidates = []
    for pk, due, responsible in waiting.filter(report_due__lte=soon_limit).iterator():
        kind = ReminderKind.OVERDUE if due < today else ReminderKind.DUE_SOON
        candidates.append(Reminder(interview_id=pk, kind=kind, due_date=due, responsible_id=responsible))
    before = Reminder.objects.count()
    Reminder.objects.bulk_create(candidates, ignore_conflicts=True, batch_size=1000)
    created = Reminder.objects.count() - before
    # an overdue reminder supersedes the "due soon" one of the same report
    overdue_ids = [c.interview_id for c in candidates if c.kind == ReminderKind.OVERDUE]
    Reminder.objects.filter(
        interview_id__in=overdue_ids, kind=ReminderKind.DUE_SOON, resolved_at__isnull=True
    ).update(resolved_at=timezone.now())
    return {"checked": len(candidates), "created": created, "date": today.isoformat()}
