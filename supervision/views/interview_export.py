"""The interview list (谈话监督) as .xlsx: the list's filters and scope, every row (not a page)."""

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from cadres.selectors import units_visible_to
from core.xlsx import XLSX_CONTENT_TYPE, safe_row, styled_row

from ..forms_interviews import InterviewFilterForm
from ..selectors.interview_profile import report_state
from ..selectors.interviews import interview_list

CHUNK = 2000
HEADERS = ["序号", "类别", "对象", "单位", "情形", "具体问题", "提议日期", "谈话日期", "谈话人", "状态",
           "整改报告期限", "整改报告提交日期", "逾期天数", "后续处理建议"]  # fmt: skip
WIDTHS = [6, 10, 14, 22, 30, 30, 12, 12, 16, 10, 14, 16, 10, 14]


def _date(value) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def _row(number: int, interview, today) -> list:
    report_state(interview, today)
    proposed = interview.proposed_on or (
        timezone.localtime(interview.proposed_at).date() if interview.proposed_at else None
    )
    return [
        number,
        interview.get_kind_display(),
        interview.subject_label,
        interview.unit_label or interview.unit.name,
        "；".join(reason.text for reason in interview.reasons.all()),  # prefetched
        interview.reason_detail,
        _date(proposed),
        _date(interview.conducted_on),
        interview.interviewers,
        interview.get_status_display(),
        _date(interview.report_due),
        _date(interview.report_received_on),
        interview.overdue_days or "",
        interview.get_follow_up_display() if interview.follow_up else "",
    ]


def interviews_xlsx(rows, *, title: str):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("谈话监督")
    for column, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "A3"
    ws.append(styled_row(ws, [title], font=Font(size=14, bold=True)))
    ws.append(
        styled_row(
            ws,
            HEADERS,
            font=Font(bold=True),
            fill=PatternFill("solid", fgColor="F2F2F2"),
            alignment=Alignment(horizontal="center"),
        )
    )
    today = timezone.localdate()
    for number, interview in enumerate(rows, start=1):
        ws.append(safe_row(ws, _row(number, interview, today)))
    out = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the FileResponse that streams it)
    wb.save(out)
    out.seek(0)
    return out


@login_required
@require_safe
def interview_export(request):
    user = request.user
    form = InterviewFilterForm(request.GET or None, user=user, units=units_visible_to(user))
    if request.GET and not form.is_valid():
        messages.error(request, "筛选条件有误，未导出，请修改后再导出。")
        return redirect(f"{reverse('supervision:interviews')}?{request.GET.urlencode()}")
    filters = form.cleaned_data if request.GET else {}
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
    today = timezone.localdate()
    scope = filters["unit"].name if filters.get("unit") else "全部"
    out = interviews_xlsx(rows.iterator(chunk_size=CHUNK), title=f"谈话监督记录（{scope}）{today:%Y-%m-%d}")
    return FileResponse(
        out, as_attachment=True, filename=f"谈话监督记录-{today:%Y%m%d}.xlsx", content_type=XLSX_CONTENT_TYPE
    )


urlpatterns = [path("export/", interview_export, name="interview_export")]
