"""预警研判: the queue of "不适宜担任现职" flags (the longest waiting first), a flag's facts and
its two outcomes (dismissed with a reason, or an adjustment decision proposed), and the adjustment
decisions a head approves or rejects.

The system flags; people decide (``recall.services_flags``). Objects outside the user's subtree
answer 404; a role without ``manage_recall`` gets 403 on any write, deciding needs ``approve``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from cadres.forms import apply_service_errors
from cadres.selectors import units_visible_to

from .. import services_flags as services
from ..errors import StepError
from ..forms import AdjustmentForm, DecisionApproveForm, DecisionFilterForm, FlagDismissForm, FlagFilterForm
from ..models import DecisionStatus, FlagStatus
from ..selectors import adjustments_visible_to
from ..selectors_pages import (
    decision_for_page,
    decision_rows,
    flag_for_page,
    flag_rows,
    flag_rules,
    open_flag_count,
    waited_days,
)
from .common import facts_shown, filters_of, is_filtered, paged, require_approve, require_manage

# A flag waiting longer than this is marked in red in the queue.
LONG_WAIT_DAYS = 30


# ---------------------------------------------------------------- the queue


@login_required
@require_safe
def flag_list(request):
    user = request.user
    params = request.GET.copy()
    # the queue opens on the flags waiting for review; ?status= (empty) shows every flag
    if "status" not in params:
        params["status"] = FlagStatus.OPEN
    form = FlagFilterForm(params, user=user, units=units_visible_to(user), rules=flag_rules(user))
    filters = filters_of(form)
    rows = flag_rows(
        user,
        rule=filters.get("rule", ""),
        unit=filters.get("unit"),
        status=filters.get("status", ""),
        name=filters.get("name", ""),
    )
    page, page_range = paged(request, rows)
    today = timezone.localdate()
    for flag in page.object_list:
        flag.waited = waited_days(flag, today)
        flag.waited_long = flag.status == FlagStatus.OPEN and flag.waited > LONG_WAIT_DAYS
    return render(
        request,
        "recall/flag_list.html",
        {
            "form": form,
            "page": page,
            "page_range": page_range,
            "filtered": is_filtered({k: v for k, v in filters.items() if k != "status"})
            or filters.get("status") != FlagStatus.OPEN,
            "open_count": open_flag_count(user),
            "long_wait": LONG_WAIT_DAYS,
            "ftab": "flags",
        },
    )


def _render_flag(request, flag, *, dismiss_form=None, refused="", status=200):
    user = request.user
    can_manage = user.can("manage_recall")
    is_open = flag.status == FlagStatus.OPEN
    flag.waited = waited_days(flag)
    decisions = list(
        adjustments_visible_to(user).filter(flag=flag).select_related("proposed_by").order_by("-proposed_on")
    )
    return render(
        request,
        "recall/flag_detail.html",
        {
            "flag": flag,
            "cadre": flag.cadre,
            "facts": facts_shown(flag.facts),
            "decisions": decisions,
            "dismiss_form": (dismiss_form or FlagDismissForm()) if can_manage and is_open else None,
            "can_manage": can_manage,
            "can_decide": user.can("approve"),
            "is_open": is_open,
            "refused": refused,
            "ftab": "flags",
        },
        status=status,
    )


@login_required
@require_safe
def flag_detail(request, pk):
    return _render_flag(request, flag_for_page(request.user, pk))


@login_required
@require_POST
def flag_dismiss(request, pk):
    user = request.user
    flag = flag_for_page(user, pk)
    require_manage(user)
    form = FlagDismissForm(request.POST)
    if form.is_valid():
        try:
            services.flag_dismiss(actor=user, flag=flag, reason=form.cleaned_data["reason"])
        except StepError as exc:
            return _render_flag(request, flag_for_page(user, pk), refused=str(exc), status=409)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已排除对“{flag.cadre.name}”的预警。")
            return redirect("recall:flag_detail", pk=flag.pk)
    return _render_flag(request, flag_for_page(user, pk), dismiss_form=form)


@login_required
def flag_adjust(request, pk):
    """The adjustment decision form of an open flag."""
    user = request.user
    flag = flag_for_page(user, pk)
    require_manage(user)
    form = AdjustmentForm(request.POST or None)
    status = 200
    if flag.status != FlagStatus.OPEN and request.method == "GET":
        form.add_error(None, f"该预警当前为“{flag.get_status_display()}”，不能再据此提出调整。")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            decision = services.adjustment_propose(
                actor=user,
                cadre=flag.cadre,
                flag=flag,
                method=data["method"],
                reason=data["reason"],
                new_post_title=data["new_post_title"],
                new_rank=data["new_rank"],
                effective_on=data["effective_on"],
                step_back=data["step_back"],
            )
        except StepError as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"已提出对“{flag.cadre.name}”的调整决定（{decision.get_method_display()}），待部长审批。",
            )
            return redirect("recall:decision_detail", pk=decision.pk)
    return render(
        request,
        "recall/adjustment_form.html",
        {"flag": flag, "cadre": flag.cadre, "facts": facts_shown(flag.facts), "form": form, "ftab": "flags"},
        status=status,
    )


# ---------------------------------------------------------------- adjustment decisions


@login_required
@require_safe
def decision_list(request):
    user = request.user
    form = DecisionFilterForm(request.GET or None, user=user, units=units_visible_to(user))
    filters = filters_of(form)
    rows = decision_rows(
        user,
        status=filters.get("status", ""),
        method=filters.get("method", ""),
        unit=filters.get("unit"),
        name=filters.get("name", ""),
    )
    page, page_range = paged(request, rows)
    return render(
        request,
        "recall/decision_list.html",
        {
            "form": form,
            "page": page,
            "page_range": page_range,
            "filtered": is_filtered(filters),
            "ftab": "decisions",
        },
    )


def _render_decision(request, decision, *, form=None, refused="", status=200):
    user = request.user
    waiting = decision.status == DecisionStatus.PROPOSED
    can_decide = waiting and user.can("approve")
    return render(
        request,
        "recall/decision_detail.html",
        {
            "decision": decision,
            "cadre": decision.cadre,
            "facts": facts_shown(decision.flag.facts) if decision.flag else [],
            "form": (form or DecisionApproveForm()) if can_decide else None,
            "awaiting_approval": waiting and not user.can("approve"),
            "refused": refused,
            "ftab": "decisions",
        },
        status=status,
    )


@login_required
@require_safe
def decision_detail(request, pk):
    return _render_decision(request, decision_for_page(request.user, pk))


@login_required
@require_POST
def decision_decide(request, pk):
    user = request.user
    decision = decision_for_page(user, pk)
    require_approve(user, "调整决定")
    form = DecisionApproveForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "approve":
                services.adjustment_approve(actor=user, decision=decision, note=data["note"])
                message = f"已批准对“{decision.cadre.name}”的调整决定，干部信息已按决定更新。"
            else:
                services.adjustment_reject(actor=user, decision=decision, note=data["note"])
                message = "已决定不予批准该调整决定。"
        except StepError as exc:
            return _render_decision(request, decision_for_page(user, pk), refused=str(exc), status=409)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect("recall:decision_detail", pk=decision.pk)
    return _render_decision(request, decision_for_page(user, pk), form=form)


urlpatterns = [
    path("flags/", flag_list, name="flags"),
    path("flags/<int:pk>/", flag_detail, name="flag_detail"),
    path("flags/<int:pk>/dismiss/", flag_dismiss, name="flag_dismiss"),
    path("flags/<int:pk>/adjust/", flag_adjust, name="flag_adjust"),
    path("flags/adjustments/", decision_list, name="decisions"),
    path("flags/adjustments/<int:pk>/", decision_detail, name="decision_detail"),
    path("flags/adjustments/<int:pk>/decide/", decision_decide, name="decision_decide"),
]
