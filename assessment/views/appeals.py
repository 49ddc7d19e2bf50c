"""Pages of 复核申诉: the list, recording an appeal from a result's page, an appeal with its
documents and, for a head, the decision (a changed grade shows first which cadres of the unit
it would move, and is decided on a second submit).

Views stay thin: parse, call one selector or service, render. An appeal or result outside the
user's subtree answers 404; a role without the capability 403.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from audit.selectors import audit_visible_to
from audit.views import present_entries
from cadres.forms import apply_service_errors
from cadres.selectors import units_visible_to
from supervision.services.interviews import BadAttachment

from ..forms_appeals import AppealFilterForm, AppealForm, DecideForm, PreviewForm
from ..models import AppealAttachment, AppealStatus
from ..selectors import assessment_get
from ..selectors_appeals import appeal_get, appeal_list, attachments_visible_to
from ..services import appeals as services

PAGE_SIZE = 50


def _require(user, capability: str, message: str) -> None:
    if not user.can(capability):
        raise PermissionDenied(message)


# ---------------------------------------------------------------- list


@login_required
@require_safe
def appeals(request):
    user = request.user
    form = AppealFilterForm(request.GET or None, user=user, units=units_visible_to(user))
    filters = form.cleaned_data if form.is_valid() else {}
    rows = appeal_list(
        user,
        period=filters.get("period"),
        status=filters.get("status") or "",
        unit=filters.get("unit"),
        name=(filters.get("name") or "").strip(),
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "assessment/appeal_list.html",
        {
            "form": form,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "filtered": any(v not in (None, "") for v in filters.values()),
        },
    )


# ---------------------------------------------------------------- record


@login_required
def appeal_create(request, pk):
    user = request.user
    assessment = assessment_get(user, pk)
    _require(user, "manage_assessment", "您的角色无权登记复核申诉。")
    period = assessment.period
    deadline = services.appeal_deadline(period, assessment.unit)
    refusal = services.filing_refusal(period, deadline)
    form = None
    if not refusal:
        initial = {"appellant": assessment.cadre.name, "filed_on": timezone.localdate()}
        form = AppealForm(request.POST or None, request.FILES or None, initial=initial)
    status = 200
    if form is not None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appeal = services.appeal_file(
                actor=user,
                assessment=assessment,
                appellant=data["appellant"],
                filed_on=data["filed_on"],
                grounds=data["grounds"],
                files=data["files"],
            )
        except BadAttachment as exc:
            form.add_error("files", exc.message_dict["file"])
            status = exc.status
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"已登记{assessment.cadre.name}对{period.name}等次（{appeal.grade_before}）的复核申请，待部长（分管负责人）决定。",
            )
            return redirect("assessment:appeal_detail", pk=appeal.pk)
    return render(
        request,
        "assessment/appeal_form.html",
        {
            "a": assessment,
            "period": period,
            "cadre": assessment.cadre,
            "form": form,
            "deadline": deadline,
            "refusal": refusal,
        },
        status=status,
    )


# ---------------------------------------------------------------- one appeal and its decision


def _render_detail(request, appeal, *, form=None, preview_grade="", status=200):
    user = request.user
    assessment = appeal.assessment
    can_decide = user.can("approve") and appeal.status == AppealStatus.PENDING
    preview = None
    if can_decide:
        if form is None:
            form = DecideForm(initial={"new_grade": preview_grade, "confirm": preview_grade})
            if preview_grade:
                form.initial["outcome"] = AppealStatus.CHANGED
        if preview_grade and preview_grade != appeal.grade_before:
            preview = services.appeal_consequences(appeal, preview_grade)
    attachments = list(appeal.attachments.all())
    timeline = None
    if user.can("view_audit"):
        entries = audit_visible_to(user).filter(
            Q(model="assessment.appeal", object_id=str(appeal.pk))
            | Q(model="assessment.appealattachment", object_id__in=[str(a.pk) for a in attachments])
        )
        timeline = present_entries(entries.order_by("-id")[:100], user)
    return render(
        request,
        "assessment/appeal_detail.html",
        {
            "appeal": appeal,
            "a": assessment,
            "period": assessment.period,
            "cadre": assessment.cadre,
            "deadline": services.appeal_deadline(assessment.period, assessment.unit),
            "attachments": attachments,
            "form": form if can_decide else None,
            "preview_grade": preview_grade,
            "preview": preview,
            "grades": services.DECISION_GRADES,
            "timeline": timeline,
        },
        status=status,
    )


@login_required
@require_safe
def appeal_detail(request, pk):
    appeal = appeal_get(request.user, pk)
    preview = PreviewForm(request.GET)
    grade = preview.cleaned_data.get("grade", "") if preview.is_valid() else ""
    return _render_detail(request, appeal, preview_grade=grade)


@login_required
@require_POST
def appeal_decide(request, pk):
    user = request.user
    appeal = appeal_get(user, pk)
    _require(user, "approve", "只有部长（分管负责人）可以对复核申诉作出决定。")
    form = DecideForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, appeal, form=form)
    data = form.cleaned_data
    outcome, grade = data["outcome"], data["new_grade"]
    if (
        outcome == AppealStatus.CHANGED
        and grade
        and grade != appeal.grade_before
        and data["confirm"] != grade
    ):
        # Show what the new grade would do to the unit before deciding: a second submit decides.
        form = DecideForm(initial={**data, "confirm": grade})
        messages.info(request, f"请核对改为“{grade}”后本单位等次的变化，确认无误后再次提交。")
        return _render_detail(request, appeal, form=form, preview_grade=grade)
    try:
        decided = services.appeal_decide(
            actor=user, appeal=appeal, outcome=outcome, new_grade=grade, reason=data["decision_reason"]
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _render_detail(request, appeal_get(user, pk), form=form, preview_grade=grade)
    if decided.status == AppealStatus.CHANGED:
        messages.success(
            request,
            f"已决定改变等次：{decided.grade_before} → {decided.new_grade}；"
            f"{appeal.assessment.unit.name}的等次已重新计算，并记入全程纪实。",
        )
    else:
        messages.success(request, f"已决定维持原等次（{decided.grade_before}）。")
    return redirect("assessment:appeal_detail", pk=decided.pk)


@login_required
@require_safe
def appeal_attachment(request, pk):
    """Media is not served publicly: every download passes the scope check here."""
    try:
        attachment = attachments_visible_to(request.user).get(pk=pk)
    except AppealAttachment.DoesNotExist:
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


urlpatterns = [
    path("appeals/", appeals, name="appeals"),
    path("assessments/<int:pk>/appeals/new/", appeal_create, name="appeal_create"),
    path("appeals/<int:pk>/", appeal_detail, name="appeal_detail"),
    path("appeals/<int:pk>/decide/", appeal_decide, name="appeal_decide"),
    path("appeals/attachments/<int:pk>/", appeal_attachment, name="appeal_attachment"),
]
