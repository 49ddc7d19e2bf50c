"""Pages of talks and interviews (谈话监督) and the 约谈 workflow.

Views stay thin: parse the request, call one selector or service, render. Records outside the
user's subtree answer 404 (through the selectors); roles without ``edit_registry`` get 403 on any
write; a workflow step out of order shows the service's ``StepRefused`` message and changes nothing.
"""

import datetime
import io
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from audit.selectors import audit_visible_to
from audit.views import present_entries
from cadres.selectors import cadre_get, unit_get, units_visible_to
from core.xlsx import text_cell as _text_cell

from ..forms_interviews import (
    ATTACHMENT_STAGES,
    ApproveForm,
    AttachmentForm,
    CadreAftermathForm,
    ConductForm,
    InterviewCreateForm,
    InterviewEditForm,
    InterviewFilterForm,
    NoticeForm,
    ReportForm,
    ReviewForm,
    SummaryForm,
    TeamAftermathForm,
    apply_service_errors,
)
from ..models import Attachment, Interview, InterviewKind, InterviewStatus, SubjectType
from ..selectors.interview_profile import report_state
from ..selectors.interviews import interview_get, interview_list, interviews_visible_to, monthly_summary
from ..services import interviews as services
from ..services.interviews import BadAttachment, StepRefused

PAGE_SIZE = 50


def _require_edit(user) -> None:
    if not user.can("edit_registry"):
        raise PermissionDenied("您的角色无权登记或办理谈话记录。")


# ---------------------------------------------------------------- list


@login_required
@require_safe
def interview_list_view(request):
    user = request.user
    units = units_visible_to(user)
    form = InterviewFilterForm(request.GET or None, user=user, units=units)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = interview_list(
        user,
        kind=filters.get("kind") or "",
        status=filters.get("status") or "",
        unit=filters.get("unit"),
        name=(filters.get("name") or "").strip(),
        overdue=bool(filters.get("overdue")),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    ).prefetch_related("reasons")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for interview in page.object_list:
        report_state(interview, today)
        reasons = list(interview.reasons.all())
        interview.first_reason = reasons[0].text if reasons else ""
        interview.more_reasons = len(reasons) - 1 if reasons else 0
    return render(
        request,
        "supervision/interviews/list.html",
        {
            "form": form,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "can_edit": user.can("edit_registry"),
            "filtered": any(v not in (None, "", False) for v in filters.values()),
        },
    )


# ---------------------------------------------------------------- create and edit


def _create_initial(request, user) -> dict:
    initial = {"kind": InterviewKind.TALK, "subject_type": SubjectType.CADRE}
    kind = request.GET.get("kind")
    if kind in InterviewKind.values:
        initial["kind"] = kind
    if request.GET.get("cadre"):
        cadre = cadre_get(user, request.GET["cadre"])
        initial.update(subject_type=SubjectType.CADRE, cadre=cadre.pk, cadre_query=cadre.name)
    elif request.GET.get("unit"):
        initial.update(subject_type=SubjectType.TEAM, unit=unit_get(user, request.GET["unit"]))
    return initial


@login_required
def interview_new(request):
    user = request.user
    _require_edit(user)
    units = units_visible_to(user)
    initial = _create_initial(request, user) if request.method == "GET" else {}
    form = InterviewCreateForm(request.POST or None, user=user, units=units, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        subject = {
            "subject_type": data["subject_type"],
            "cadre": data["resolved_cadre"],
            "unit": data.get("unit") if data["subject_type"] == SubjectType.TEAM else None,
            "reasons": list(data.get("reasons") or []),
            "reason_detail": data.get("reason_detail") or "",
        }
        try:
            if data["kind"] == InterviewKind.YUETAN:
                interview = services.yuetan_propose(
                    actor=user, proposed_on=data.get("proposed_on"), **subject
                )
                done = "已提议约谈，待部长（分管负责人）审批。"
            else:
                interview = services.interview_record(
                    actor=user,
                    kind=data["kind"],
                    conducted_on=data.get("conducted_on"),
                    location=data.get("location") or "",
                    interviewers=data.get("interviewers") or "",
                    record=data.get("record") or "",
                    **subject,
                )
                done = f"已登记{interview.get_kind_display()}。"
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("supervision:interview_detail", pk=interview.pk)
    prefill_cadre = None
    if not form.is_bound and initial.get("cadre"):
        prefill_cadre = cadre_get(user, initial["cadre"])
    return render(
        request,
        "supervision/interviews/form.html",
        {
            "form": form,
            "reason_groups": form.reason_groups(),
            "candidates": form.candidates,
            "prefill_cadre": prefill_cadre,
            "title": "提议约谈" if initial.get("kind") == InterviewKind.YUETAN else "登记谈话",
        },
    )


@login_required
def interview_edit(request, pk):
    user = request.user
    interview = interview_get(user, pk)
    _require_edit(user)
    form = InterviewEditForm(request.POST or None, interview=interview)
    if request.method == "POST" and form.is_valid():
        changes = form.changed_values()
        if not changes:
            messages.info(request, "没有修改任何内容。")
            return redirect("supervision:interview_detail", pk=interview.pk)
        try:
            services.interview_update(
                actor=user, interview=interview, reason=form.cleaned_data["reason"], **changes
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "已保存修改，修改记录已记入全程纪实。")
            return redirect("supervision:interview_detail", pk=interview.pk)
    return render(request, "supervision/interviews/edit.html", {"form": form, "interview": interview})


# ---------------------------------------------------------------- detail and the workflow

STEPS = ("approve", "notice", "conduct", "aftermath", "report", "review")
STEP_TITLES = {
    "approve": "审批约谈提议",
    "notice": "发出约谈预告",
    "conduct": "登记约谈情况",
    "aftermath": "登记约谈后续情况",
    "report": "登记整改报告",
    "review": "评估整改情况",
}


def _aftermath_done(interview: Interview) -> bool:
    if interview.subject_type == SubjectType.CADRE:
        return interview.main_leader_informed_on is not None
    return interview.team_meeting_on is not None


def _next_steps(interview: Interview, today: datetime.date) -> list[str]:
    """The steps the workflow allows now, in the order the page offers them."""
    if interview.kind != InterviewKind.YUETAN:
        return []
    status = interview.status
    if status == InterviewStatus.PROPOSED:
        return ["approve"]
    if status == InterviewStatus.APPROVED:
        return ["notice"]
    if status == InterviewStatus.NOTIFIED:
        return ["conduct"]
    if status == InterviewStatus.CONDUCTED:
        steps = ["report"] if _aftermath_done(interview) else ["aftermath"]
        if interview.report_due and interview.report_due < today:
            steps.append("review")  # overdue without a report: may be judged not improved
        return steps
    if status == InterviewStatus.REPORT_RECEIVED:
        return ["review"]
    return []


def _step_form(step: str, interview: Interview, data=None):
    if step == "approve":
        return ApproveForm(data)
    if step == "notice":
        return NoticeForm(data)
    if step == "conduct":
        return ConductForm(data)
    if step == "aftermath":
        form_class = CadreAftermathForm if interview.subject_type == SubjectType.CADRE else TeamAftermathForm
        return form_class(data)
    if step == "report":
        return ReportForm(data)
    return ReviewForm(data, overdue_only=interview.status == InterviewStatus.CONDUCTED)


def _stepper(interview: Interview) -> list[dict]:
    """The 约谈 workflow as stages with done / current / rejected / todo, and each stage's date."""
    i = interview
    aftermath_label = "通报主要负责人" if i.subject_type == SubjectType.CADRE else "班子会议"
    aftermath_date = i.main_leader_informed_on if i.subject_type == SubjectType.CADRE else i.team_meeting_on
    stages = [
        ("提议", i.proposed_on),
        ("审批", i.approved_on),
        ("预告", i.notice_sent_on),
        ("约谈", i.conducted_on),
        (aftermath_label, aftermath_date),
        ("整改报告", i.report_received_on),
        ("评估", i.reviewed_on),
    ]
    current = {
        InterviewStatus.PROPOSED: 1,
        InterviewStatus.REJECTED: 1,
        InterviewStatus.APPROVED: 2,
        InterviewStatus.NOTIFIED: 3,
        InterviewStatus.CONDUCTED: 5 if _aftermath_done(i) else 4,
        InterviewStatus.REPORT_RECEIVED: 6,
    }.get(i.status, len(stages))
    result = []
    for index, (label, day) in enumerate(stages):
        if index < current:
            state = "done"
        elif index == current:
            state = "rejected" if i.status == InterviewStatus.REJECTED else "current"
        else:
            state = "todo"
        note = ""
        if label == "整改报告" and not day and i.report_due:
            note = f"期限 {i.report_due:%Y-%m-%d}"
        if label == "审批" and i.status == InterviewStatus.REJECTED:
            note = "未获批准"
        result.append({"label": label, "date": day, "state": state, "note": note, "number": index + 1})
    return result


def _render_detail(request, interview, *, bound=None, attachment_form=None, refused="", status=200):
    user = request.user
    today = timezone.localdate()
    report_state(interview, today)
    can_edit = user.can("edit_registry")
    steps = _next_steps(interview, today) if can_edit else []
    bound = bound or {}
    step_forms = []
    for step in steps:
        if step == "approve" and not user.can("approve"):
            continue
        form = bound.get(step) or _step_form(step, interview)
        step_forms.append({"step": step, "title": STEP_TITLES[step], "form": form})
    attachments = list(interview.attachments.select_related("uploaded_by"))
    stage_labels = dict(ATTACHMENT_STAGES)
    for attachment in attachments:
        attachment.stage_label = stage_labels.get(attachment.stage, attachment.stage)
    timeline = None
    if user.can("view_audit"):
        entries = audit_visible_to(user).filter(
            Q(model="supervision.interview", object_id=str(interview.pk))
            | Q(model="supervision.attachment", object_id__in=[str(a.pk) for a in attachments])
        )
        timeline = present_entries(entries.order_by("-id")[:200], user)
    return render(
        request,
        "supervision/interviews/detail.html",
        {
            "interview": interview,
            "reasons": list(interview.reasons.all()),
            "is_yuetan": interview.kind == InterviewKind.YUETAN,
            "stepper": _stepper(interview) if interview.kind == InterviewKind.YUETAN else [],
            "step_forms": step_forms,
            "awaiting_approval": interview.status == InterviewStatus.PROPOSED and not user.can("approve"),
            "refused": refused,
            "attachments": attachments,
            "attachment_form": attachment_form or AttachmentForm(),
            "timeline": timeline,
            "can_edit": can_edit,
            "can_decide": user.can("approve"),
        },
        status=status,
    )


@login_required
@require_safe
def interview_detail(request, pk):
    return _render_detail(request, interview_get(request.user, pk))


def _run_step(step: str, user, interview: Interview, data: dict) -> Interview:
    if step == "approve":
        return services.yuetan_approve(
            actor=user,
            interview=interview,
            approve=data["decision"] == "approve",
            note=data["approval_note"],
            approved_on=data["approved_on"],
        )
    if step == "notice":
        return services.yuetan_send_notice(
            actor=user,
            interview=interview,
            notice_sent_on=data["notice_sent_on"],
            scheduled_for=data["scheduled_for"],
        )
    if step == "conduct":
        return services.yuetan_conduct(actor=user, interview=interview, **data)
    if step == "aftermath":
        return services.yuetan_record_aftermath(actor=user, interview=interview, **data)
    if step == "report":
        return services.yuetan_receive_report(
            actor=user,
            interview=interview,
            received_on=data["report_received_on"],
            summary=data["report_summary"],
        )
    return services.yuetan_review(
        actor=user,
        interview=interview,
        improved=data["improved"] == "yes",
        note=data["review_note"],
        follow_up=data["follow_up"] if data["improved"] == "no" else "",
        reviewed_on=data["reviewed_on"],
    )


STEP_DONE = {
    "notice": "已登记约谈预告。",
    "conduct": "已登记约谈情况，整改报告期限为{due}。",
    "aftermath": "已登记约谈后续情况。",
    "report": "已登记整改报告。",
    "review": "已完成整改评估：{status}。",
}


@login_required
@require_POST
def interview_step(request, pk, step):
    user = request.user
    interview = interview_get(user, pk)
    if step not in STEPS:
        raise Http404("没有这个环节。")
    _require_edit(user)
    if step == "approve" and not user.can("approve"):
        raise PermissionDenied("只有部长（分管负责人）可以审批约谈提议。")
    form = _step_form(step, interview, request.POST)
    if form.is_valid():
        try:
            done = _run_step(step, user, interview, form.cleaned_data)
        except StepRefused as exc:
            return _render_detail(request, interview_get(user, pk), refused=exc.message, status=409)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if step == "approve":
                message = "已批准约谈。" if done.status == InterviewStatus.APPROVED else "已决定不予批准。"
            else:
                message = STEP_DONE[step].format(due=done.report_due, status=done.get_status_display())
            messages.success(request, message)
            return redirect("supervision:interview_detail", pk=interview.pk)
    return _render_detail(request, interview_get(user, pk), bound={step: form})


# ---------------------------------------------------------------- attachments


@login_required
@require_POST
def attachment_upload(request, pk):
    user = request.user
    interview = interview_get(user, pk)
    _require_edit(user)
    form = AttachmentForm(request.POST, request.FILES)
    status = 200
    if form.is_valid():
        try:
            attachment = services.attachment_add(
                actor=user,
                interview=interview,
                upload=form.cleaned_data["file"],
                stage=form.cleaned_data["stage"],
            )
        except BadAttachment as exc:
            apply_service_errors(form, exc)
            status = exc.status
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已上传附件“{attachment.original_name}”。")
            return redirect(reverse("supervision:interview_detail", args=[pk]) + "#attachments")
    return _render_detail(request, interview, attachment_form=form, status=status)


@login_required
@require_safe
def attachment_download(request, pk):
    """Media is not served publicly: every download passes the scope check here."""
    try:
        attachment = Attachment.objects.filter(interview__in=interviews_visible_to(request.user)).get(pk=pk)
    except Attachment.DoesNotExist:
        raise Http404("附件不存在或不在您的管辖范围内。") from None
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("附件文件已丢失，请联系系统管理员。") from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---------------------------------------------------------------- monthly summary


def _previous_month(today: datetime.date) -> tuple[int, int]:
    first = today.replace(day=1) - datetime.timedelta(days=1)
    return first.year, first.month


def _summary_table(data: dict) -> dict:
    kinds = data["kinds"]
    rows = [
        {
            "unit": u["unit"],
            "code": u["code"],
            "counts": [u["counts"].get(k, 0) for k, _ in kinds],
            "total": u["total"],
        }
        for u in data["units"]
    ]
    return {
        "headers": [label for _, label in kinds],
        "rows": rows,
        "totals": [data["totals"][k] for k, _ in kinds],
        "total": data["total"],
    }


def _summary_xlsx(title: str, subtitle: str, table: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "谈话情况统计"
    headers = ["序号", "单位", *table["headers"], "合计"]
    width = len(headers)
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)

    _text_cell(ws, 1, 1, title).font = Font(size=14, bold=True)
    ws.cell(row=1, column=1).alignment = center
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.row_dimensions[1].height = 28
    _text_cell(ws, 2, 1, subtitle).font = Font(size=10, color="666666")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    for column, header in enumerate(headers, start=1):
        cell = _text_cell(ws, 3, column, header)
        cell.font = Font(bold=True)
        cell.alignment = center
        cell.border = border
        cell.fill = PatternFill("solid", fgColor="F2F2F2")
    row_number = 4
    for index, row in enumerate(table["rows"], start=1):
        values = [index, row["unit"], *row["counts"], row["total"]]
        for column, value in enumerate(values, start=1):
            cell = _text_cell(ws, row_number, column, value)
            cell.border = border
            if column != 2:
                cell.alignment = Alignment(horizontal="center")
        row_number += 1
    for column, value in enumerate(["合计", "", *table["totals"], table["total"]], start=1):
        cell = _text_cell(ws, row_number, column, value)
        cell.font = Font(bold=True)
        cell.border = border
        cell.alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=row_number, start_column=1, end_row=row_number, end_column=2)
    ws.column_dimensions["A"].width = 8
    # CJK characters take about two columns each
    ws.column_dimensions["B"].width = min(max([20, *(len(r["unit"]) * 2 + 4 for r in table["rows"])]), 60)
    for column in range(3, width + 1):
        ws.column_dimensions[get_column_letter(column)].width = 12
    ws.freeze_panes = "C4"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@login_required
@require_safe
def monthly_summary_view(request):
    user = request.user
    units = units_visible_to(user)
    year, month = _previous_month(timezone.localdate())
    params = request.GET.copy()
    params.setdefault("year", str(year))
    params.setdefault("month", str(month))
    form = SummaryForm(params, user=user, units=units)
    if form.is_valid():
        year, month = form.cleaned_data["year"], form.cleaned_data["month"]
        unit = form.cleaned_data.get("unit")
    else:
        unit = None
    data = monthly_summary(user, year=year, month=month, unit=unit)
    table = _summary_table(data)
    # the filter's units carry their label (cadres.forms.unit_field): 光明村（城关镇）
    scope_name = (
        getattr(unit, "label", unit.name)
        if unit
        else (user.unit.name if getattr(user, "unit_id", None) else "全部单位")
    )
    title = f"{scope_name}{year}年{month}月谈心谈话等情况统计表"
    last_day = (datetime.date(year, month, 1) + datetime.timedelta(days=32)).replace(
        day=1
    ) - datetime.timedelta(days=1)
    subtitle = (
        f"统计期间：{year}年{month}月1日至{month}月{last_day.day}日（约谈按已实施计）"
        f"　制表日期：{timezone.localdate():%Y年%m月%d日}"
    )
    if request.GET.get("format") == "xlsx" and form.is_valid():
        response = HttpResponse(
            _summary_xlsx(title, subtitle, table),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        filename = f"谈话情况统计{year}{month:02d}.xlsx"
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        return response
    return render(
        request,
        "supervision/interviews/summary.html",
        {"form": form, "title": title, "subtitle": subtitle, "table": table, "year": year, "month": month},
    )


urlpatterns = [
    path("", interview_list_view, name="interviews"),
    path("new/", interview_new, name="interview_new"),
    path("<int:pk>/", interview_detail, name="interview_detail"),
    path("<int:pk>/edit/", interview_edit, name="interview_edit"),
    path("<int:pk>/step/<str:step>/", interview_step, name="interview_step"),
    path("<int:pk>/attachments/", attachment_upload, name="attachment_upload"),
    path("attachments/<int:pk>/", attachment_download, name="attachment_download"),
    path("summary/", monthly_summary_view, name="monthly_summary"),
]
