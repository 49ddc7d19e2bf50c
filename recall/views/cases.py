"""召回管理: the list of recall cases, 提议召回, and the case page with its stepper and the one
form of the step the case waits for.

Views stay thin: parse, call one service or selector, render. Cases outside the user's subtree
answer 404; a role without ``manage_recall`` gets 403 on any write, and approving needs
``approve``. A step out of order (``StepError``) or refused input (``ValidationError``) shows the
service's Chinese message on the step's form and changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST, require_safe

from cadres.forms import apply_service_errors
from cadres.models import CadreStatus
from cadres.selectors import units_visible_to

from .. import services
from ..errors import StepError
from ..forms import (
    ApproveForm,
    CaseFilterForm,
    CaseProposeForm,
    FollowUpForm,
    OutcomeForm,
    PenalizeForm,
    PublicizeForm,
    StudyForm,
)
from ..models import OPEN_STAGES, Attendance, CaseSource, Outcome, RecallCase, Result, Stage
from ..selectors import cases_visible_to
from ..selectors_pages import case_for_page, case_rows, case_stage_counts, flag_for_page
from .common import (
    PICKER_ERRORS,
    facts_shown,
    filters_of,
    is_filtered,
    paged,
    preset_cadre,
    renamed,
    require_approve,
    require_manage,
)

# ---------------------------------------------------------------- list


@login_required
@require_safe
def case_list(request):
    user = request.user
    form = CaseFilterForm(request.GET or None, user=user, units=units_visible_to(user))
    filters = filters_of(form)
    rows = case_rows(
        user,
        stage=filters.get("stage", ""),
        unit=filters.get("unit"),
        level=filters.get("level", ""),
        cause=filters.get("cause", ""),
        source=filters.get("source", ""),
        name=filters.get("name", ""),
    )
    page, page_range = paged(request, rows)
    counts = case_stage_counts(user)
    return render(
        request,
        "recall/case_list.html",
        {
            "form": form,
            "page": page,
            "page_range": page_range,
            "filtered": is_filtered(filters),
            "counts": counts,
            "open_count": sum(counts[s] for s in OPEN_STAGES),
            "can_manage": user.can("manage_recall"),
            "tab": "cases",
        },
    )


# ---------------------------------------------------------------- propose


def _preset_flag(request):
    pk = request.GET.get("flag") or request.POST.get("flag")
    return flag_for_page(request.user, pk) if pk else None


@login_required
def case_propose(request):
    user = request.user
    flag = _preset_flag(request)
    preset = flag.cadre if flag is not None else preset_cadre(request)
    require_manage(user)
    form = CaseProposeForm(
        request.POST or None, user=user, units=units_visible_to(user), preset=preset, flag=flag
    )
    open_case = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        cadre = data["cadre"]
        try:
            case = services.case_propose(
                actor=user,
                cadre=cadre,
                source=data["source"],
                situation=data.get("situation"),
                period=data.get("period"),
                flag=flag,
                cause=data.get("cause") or "",
                reason=data["reason"],
                on=data.get("proposed_on"),
            )
        except StepError as exc:
            form.add_error(None, str(exc))
            open_case = cases_visible_to(user).filter(cadre=cadre, stage__in=OPEN_STAGES).first()
        except ValidationError as exc:
            apply_service_errors(form, renamed(exc, PICKER_ERRORS))
        else:
            messages.success(request, f"已提议召回“{case.cadre.name}”，待部长（分管负责人）审批。")
            return redirect("recall:case_detail", pk=case.pk)
    return render(
        request,
        "recall/case_form.html",
        {"form": form, "preset": preset, "flag": flag, "open_case": open_case, "tab": "cases"},
    )


# ---------------------------------------------------------------- the case page

# The stepper: every stage a case passes, in order. A case sent to the front line gets three more.
STAGES = [
    ("propose", "提议召回"),
    ("approve", "部长审批"),
    ("publicize", "公开召回"),
    ("study", "召回学习"),
    ("penalize", "扣发绩效"),
    ("follow_up", "跟踪考察"),
    ("outcome", "处理结果"),
]
FRONTLINE_STAGES = [("frontline_check", "锻炼期满考察"), ("outcome", "最终处理")]

# The step form a case waits for, by stage (approving is a head's; the others any manager's).
NEXT = {
    Stage.PROPOSED: "approve",
    Stage.APPROVED: "publicize",
    Stage.PUBLICIZED: "study",
    Stage.STUDIED: "penalize",
    Stage.PENALIZED: "follow_up",
    Stage.FOLLOWED_UP: "outcome",
    Stage.FRONTLINE: "follow_up",
}
# As the services word a step out of order.
STEP_VERBS = {
    "approve": "审批召回",
    "publicize": "公开召回信息",
    "study": "登记召回学习班",
    "penalize": "登记经济处理",
    "follow_up": "登记跟踪考察",
    "outcome": "确定处理结果",
}
STEPS = ("approve", "publicize", "study", "penalize", "follow_up", "outcome")
FORMS = {
    "approve": ApproveForm,
    "publicize": PublicizeForm,
    "study": StudyForm,
    "penalize": PenalizeForm,
    "follow_up": FollowUpForm,
    "outcome": OutcomeForm,
}


def allowed_steps(case: RecallCase) -> set[str]:
    """The steps the case takes now (after the study class: 扣发绩效, or the follow-up directly)."""
    step = NEXT.get(Stage(case.stage)) if case.is_open else None
    if step is None:
        return set()
    return {step, "follow_up"} if step == "penalize" else {step}


def _after_frontline(case: RecallCase) -> bool:
    return bool(case.frontline_result)


def _step_title(step: str, case: RecallCase) -> str:
    if step == "follow_up":
        return "登记一线锻炼期满考察" if case.stage == Stage.FRONTLINE else "登记跟踪考察"
    if step == "outcome":
        return "确定最终处理结果" if _after_frontline(case) else "确定处理结果"
    return {
        "approve": "部长（分管负责人）审批",
        "publicize": "登记公开召回信息",
        "study": "登记召回学习班",
        "penalize": "登记扣发绩效奖励",
    }[step]


def _step_form(step: str, case: RecallCase, data=None):
    if step == "outcome":
        return OutcomeForm(data, after_frontline=_after_frontline(case))
    return FORMS[step](data)


def _summary(step) -> str:
    """What a recorded step says in the stepper, under who and when."""
    data = step.data or {}
    if step.step == "propose":
        return CaseSource(data["source"]).label if data.get("source") in CaseSource.values else ""
    if step.step == "publicize":
        return data.get("where", "")
    if step.step == "study":
        attendance = (
            Attendance(data["attendance"]).label if data.get("attendance") in Attendance.values else ""
        )
        return f"{data.get('days', '')}天 · {attendance}"
    if step.step == "penalize":
        amount = f"{data.get('amount')}元"
        return f"扣发全年绩效 {amount}" if data.get("full") else f"扣发 {amount}"
    if step.step in ("follow_up", "frontline_check"):
        return Result(data["result"]).label if data.get("result") in Result.values else ""
    if step.step == "outcome":
        return Outcome(data["outcome"]).label if data.get("outcome") in Outcome.values else ""
    if step.step == "reject":
        return "不予批准"
    if step.step == "approve":
        return "批准"
    return ""


def stepper(case: RecallCase, steps: list) -> list[dict]:
    """Every stage of the case: done (who, when, what), current, skipped, rejected or to come."""
    frontline = case.stage == Stage.FRONTLINE or bool(case.frontline_start)
    stages = STAGES + (FRONTLINE_STAGES if frontline else [])
    queue: dict[str, list] = {}
    for step in steps:
        key = "approve" if step.step == "reject" else step.step
        queue.setdefault(key, []).append(step)
    items = []
    for number, (key, label) in enumerate(stages, start=1):
        done = queue.get(key, [])
        step = done.pop(0) if done else None
        item = {"key": key, "label": label, "number": number, "step": step, "state": "todo", "note": ""}
        if step is not None:
            item["state"] = "rejected" if step.step == "reject" else "done"
            item["note"] = _summary(step)
        items.append(item)
    last_done = max((i for i, item in enumerate(items) if item["step"] is not None), default=-1)
    for i, item in enumerate(items):
        if item["state"] == "todo" and i < last_done:
            item["state"], item["note"] = "skipped", "未扣发" if item["key"] == "penalize" else "未办理"
    if case.is_open:
        current = next((item for item in items if item["state"] == "todo"), None)
        if current is not None:
            current["state"] = "current"
            if current["key"] == "approve":
                current["note"] = "待部长审批"
            elif current["key"] == "penalize":
                current["note"] = "或直接跟踪考察"
            elif current["key"] == "frontline_check" and case.frontline_start and case.frontline_months:
                ends = services.add_months(case.frontline_start, case.frontline_months)
                current["note"] = f"{ends:%Y-%m-%d} 期满"
    return items


def _render_detail(request, case, *, step=None, form=None, refused: str = "", status: int = 200):
    user = request.user
    steps = list(case.steps.all())
    can_manage = user.can("manage_recall")
    next_step = NEXT.get(Stage(case.stage)) if case.is_open else None
    # 已完成召回学习: 扣发绩效 is the usual next step, but the follow-up may come straight after it
    alternative = None
    if next_step == "penalize":
        wanted = step or request.GET.get("step")
        if wanted == "follow_up":
            next_step, alternative = "follow_up", "penalize"
        else:
            alternative = "follow_up"
    shown = None
    if next_step and can_manage and (next_step != "approve" or user.can("approve")):
        shown = {
            "step": next_step,
            "title": _step_title(next_step, case),
            "form": form if form is not None and step == next_step else _step_form(next_step, case),
            "alternative": alternative,
            "alternative_title": _step_title(alternative, case) if alternative else "",
        }
    treatment, treatment_why = services.treatment_for(case)
    return render(
        request,
        "recall/case_detail.html",
        {
            "case": case,
            "cadre": case.cadre,
            "stepper": stepper(case, steps),
            "steps": steps,
            "shown": shown,
            "refused": refused,
            "awaiting_approval": case.stage == Stage.PROPOSED and not user.can("approve"),
            "next_label": services.NEXT_STEP[Stage(case.stage)],
            "treatment": treatment,
            "treatment_why": treatment_why,
            "facts": facts_shown(case.facts),
            "status_before_label": CadreStatus(case.status_before).label
            if case.status_before in CadreStatus.values
            else "",
            "can_manage": can_manage,
            "can_decide": user.can("approve"),
            "tab": "cases",
        },
        status=status,
    )


@login_required
@require_safe
def case_detail(request, pk):
    return _render_detail(request, case_for_page(request.user, pk))


def _run(step: str, user, case: RecallCase, data: dict) -> tuple[RecallCase, str]:
    if step == "approve":
        if data["decision"] == "approve":
            services.case_approve(actor=user, case=case, note=data["note"], on=data["approved_on"])
            return case, "已批准召回，干部状态已改为“召回学习”。"
        services.case_reject(actor=user, case=case, note=data["note"], on=data["approved_on"])
        return case, "已决定不予批准召回。"
    if step == "publicize":
        services.case_publicize(actor=user, case=case, where=data["where"], on=data["publicized_on"])
        return case, "已登记公开召回信息。"
    if step == "study":
        done = services.case_study(
            actor=user,
            case=case,
            start=data["study_start"],
            end=data["study_end"],
            content=data["study_content"],
            attendance=data["attendance"],
            fee=data["study_fee"],
        )
        return done, f"已登记召回学习班（{done.study_days}天）。"
    if step == "penalize":
        services.case_penalize(
            actor=user,
            case=case,
            amount=data["bonus_withheld"],
            full=data["bonus_withheld_full"],
            note=data["penalty_note"],
            on=data["penalized_on"],
        )
        return case, "已登记扣发绩效奖励。"
    if step == "follow_up":
        done = services.case_follow_up(
            actor=user,
            case=case,
            result=data["result"],
            discipline_officer=data["discipline_officer"],
            org_officer=data["org_officer"],
            note=data["note"],
            on=data["followup_on"],
        )
        return done, f"已登记跟踪考察：{Result(data['result']).label}。"
    done = services.case_outcome(
        actor=user,
        case=case,
        outcome=data["outcome"],
        note=data["note"],
        on=data["outcome_on"],
        new_post_title=data.get("new_post_title", ""),
        new_rank=data.get("new_rank", ""),
        frontline_post=data.get("frontline_post", ""),
        frontline_start=data.get("frontline_start"),
        frontline_months=data.get("frontline_months"),
    )
    if done.stage == Stage.FRONTLINE:
        return done, f"已安排到“{done.frontline_post}”锻炼 {done.frontline_months} 个月，期满后进行考察。"
    return done, f"案件已办结：{done.get_outcome_display()}。"


@login_required
@require_POST
def case_step(request, pk, step):
    user = request.user
    case = case_for_page(user, pk)
    if step not in STEPS:
        raise Http404("没有这个环节。")
    require_manage(user)
    if step == "approve":
        require_approve(user)
    form = _step_form(step, case, request.POST)
    if step not in allowed_steps(case):
        refused = (
            f"案件当前环节为“{case.get_stage_display()}”，不能{STEP_VERBS[step]}；"
            f"下一步应为：{services.NEXT_STEP[Stage(case.stage)]}。"
        )
        return _render_detail(request, case, refused=refused, status=409)
    if form.is_valid():
        try:
            _, message = _run(step, user, case, form.cleaned_data)
        except StepError as exc:
            # out of order (another user was quicker, or a stale page): the case as it is now
            return _render_detail(request, case_for_page(user, pk), refused=str(exc), status=409)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect("recall:case_detail", pk=case.pk)
    return _render_detail(request, case_for_page(user, pk), step=step, form=form)


urlpatterns = [
    path("", case_list, name="cases"),
    path("new/", case_propose, name="case_propose"),
    path("<int:pk>/", case_detail, name="case_detail"),
    path("<int:pk>/step/<str:step>/", case_step, name="case_step"),
]
