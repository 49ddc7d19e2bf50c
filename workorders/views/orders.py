"""Pages of residents' work orders (民情工单): the list, recording a need, and an order's page
with its rounds, its life (every step: what, on which day, who, when entered) and the form of the
step its status allows next. Every role reads the orders of its subtree (others answer 404);
recording and the steps need ``manage_workorders`` (others get 403 and see no forms)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from cadres.forms import apply_service_errors
from cadres.idnumber import mask_phone
from cadres.selectors import unit_label, units_visible_to

from .. import services
from ..forms import (
    AcceptForm,
    DispatchForm,
    FollowupForm,
    HandleForm,
    OrderFilterForm,
    OrderForm,
    RateForm,
)
from ..models import Cause, Dispatch, OrderStatus, Rating, Step, WorkOrder
from ..selectors import visible_groups, visible_orders

PAGE_SIZE = 30
CADRE_PICKER_ERRORS = {"cadre": "cadre_query"}


def _require_manage(user) -> None:
    if not user.can("manage_workorders"):
        raise PermissionDenied("您的角色只能查阅民情工单，不能登记或办理。")


# ---------------------------------------------------------------- the list


def _latest(field: str):
    """A field of the order's latest round, as a subquery (no query per row)."""
    return Subquery(Dispatch.objects.filter(order=OuterRef("pk")).order_by("-round").values(field)[:1])


def order_list(user, *, today: datetime.date, filters: dict):
    """The orders of the user's subtree, newest first, with their latest round's cadre, promise
    and follow-up cause (for the status shown), filtered by ``filters`` (the filter form's)."""
    qs = visible_orders(user).annotate(
        unit_label=unit_label("unit__"),
        cadre_name=_latest("cadre__name"),
        last_promised_on=_latest("promised_on"),
        last_cause=_latest("cause"),
    )
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("channel"):
        qs = qs.filter(channel=filters["channel"])
    if filters.get("unit"):
        qs = qs.filter(unit__path__startswith=filters["unit"].path)
    if filters.get("cadre"):
        rounds = Dispatch.objects.filter(order=OuterRef("pk"), cadre__name__contains=filters["cadre"].strip())
        qs = qs.filter(Exists(rounds))
    if filters.get("date_from"):
        qs = qs.filter(recorded_on__gte=filters["date_from"])
    if filters.get("date_to"):
        qs = qs.filter(recorded_on__lte=filters["date_to"])
    if filters.get("overdue"):
        qs = qs.filter(
            Q(status=OrderStatus.RECORDED, dispatch_due__lt=today)
            | Q(status=OrderStatus.ACCEPTED, last_promised_on__lt=today)
        )
    return qs.order_by("-recorded_on", "-id")


def _row_state(order: WorkOrder, today: datetime.date) -> None:
    """What a row shows beside its status: the deadline running and by how many days it is past."""
    order.deadline, order.overdue_days, order.stage = None, 0, OrderStatus(order.status).label
    if order.status == OrderStatus.RECORDED:
        order.deadline = order.dispatch_due
    elif order.status == OrderStatus.ACCEPTED:
        order.deadline = order.last_promised_on
    elif order.status == OrderStatus.UNSATISFIED and order.last_cause == Cause.CADRE:
        order.stage = services.AWAITING_REDISPATCH
    if order.deadline and order.deadline < today:
        order.overdue_days = (today - order.deadline).days


@login_required
def home(request):
    user = request.user
    today = timezone.localdate()
    form = OrderFilterForm(request.GET or None, user=user, units=units_visible_to(user))
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(order_list(user, today=today, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for order in page:
        _row_state(order, today)
    return render(
        request,
        "workorders/order_list.html",
        {
            "form": form,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "filtered": any(v not in (None, "", False) for v in filters.values()),
            "can_manage": user.can("manage_workorders"),
        },
    )


# ---------------------------------------------------------------- recording a need


def _active_groups(user, unit=None):
    groups = visible_groups(user).filter(active=True).annotate(unit_name=F("unit__name"))
    if unit is not None:
        groups = groups.filter(unit=unit)
    return groups.order_by("unit__path", "name")


@login_required
def order_create(request):
    user = request.user
    _require_manage(user)
    form = OrderForm(
        request.POST or None, user=user, units=units_visible_to(user), groups=_active_groups(user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            order = services.order_record(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"已登记民情工单 {order.number}，请在 {order.dispatch_due:%Y-%m-%d} 前派单。",
            )
            return redirect("workorders:order_detail", pk=order.pk)
    return render(request, "workorders/order_form.html", {"form": form})


# ---------------------------------------------------------------- an order and its steps


def order_get(user, pk) -> WorkOrder:
    try:
        return (
            visible_orders(user)
            .select_related("unit", "party_group", "recorded_by")
            .annotate(unit_label=unit_label("unit__"))
            .get(pk=pk)
        )
    except (WorkOrder.DoesNotExist, ValueError, TypeError):
        raise Http404("该民情工单不存在或不在您的管辖范围内。") from None


# The step forms the order page offers, by the URL's step name.
STEP_FORMS = {
    Step.DISPATCH: DispatchForm,
    Step.ACCEPT: AcceptForm,
    Step.HANDLE: HandleForm,
    Step.RATE: RateForm,
    Step.FOLLOWUP: FollowupForm,
}
STEP_TITLES = {
    Step.DISPATCH: "派单",
    Step.ACCEPT: "登记接单",
    Step.HANDLE: "登记办理情况",
    Step.RATE: "登记群众评价",
    Step.FOLLOWUP: "不满意回访",
}


def _form_steps(order: WorkOrder, last: Dispatch | None) -> list[str]:
    """The forms the order's status allows (重新派单 is the dispatch form again)."""
    return [Step.DISPATCH if s == Step.REDISPATCH else s for s in services.allowed_steps(order, last)]


def _step_form(step: str, user, order: WorkOrder, last: Dispatch | None, data=None):
    cls = STEP_FORMS[step]
    if cls is DispatchForm:
        initial = {"party_group": order.party_group_id}
        if last is not None:
            initial = {"party_group": last.party_group_id, "cadre_query": last.cadre.name}
        return DispatchForm(
            data,
            user=user,
            units=units_visible_to(user),
            groups=_active_groups(user, order.unit),
            initial=initial,
        )
    if cls is AcceptForm and data is None and last is not None:
        return AcceptForm(initial={"accepted_on": max(last.dispatched_on, timezone.localdate())})
    return cls(data)


def _render_detail(request, order: WorkOrder, *, bound: dict | None = None, refused: str = ""):
    user = request.user
    rounds = list(order.dispatches.select_related("cadre", "party_group", "dispatched_by").order_by("round"))
    last = rounds[-1] if rounds else None
    steps = list(order.steps.select_related("actor").order_by("at", "id"))
    shown = []
    if user.can("manage_workorders"):
        for step in _form_steps(order, last):
            form = (bound or {}).get(step) or _step_form(step, user, order, last)
            title = "重新派单" if step == Step.DISPATCH and last is not None else STEP_TITLES[step]
            shown.append({"step": step, "title": title, "form": form})
    today = timezone.localdate()
    contact = order.resident_contact
    if contact and not user.can("view_id_number"):
        contact = mask_phone(contact)
    return render(
        request,
        "workorders/order_detail.html",
        {
            "order": order,
            "stage": services.stage_label(order, last),
            "rounds": rounds,
            "last": last,
            "steps": steps,
            "shown": shown,
            "refused": refused,
            "contact": contact,
            "today": today,
            "dispatch_late": order.status == OrderStatus.RECORDED and order.dispatch_due < today,
            "promise_late": order.status == OrderStatus.ACCEPTED and last.promised_on < today,
            "can_manage": user.can("manage_workorders"),
        },
    )


@login_required
def order_detail(request, pk):
    return _render_detail(request, order_get(request.user, pk))


def _run(step: str, user, order: WorkOrder, data: dict):
    """The step's service. ``data`` may be empty (a form that did not validate, for a step the
    status does not allow): the service then refuses on the status, which is the message shown."""
    if step == Step.DISPATCH:
        return services.order_dispatch(
            actor=user,
            order=order,
            cadre=data.get("cadre"),
            dispatched_on=data.get("dispatched_on"),
            party_group=data.get("party_group"),
            note=data.get("note", ""),
        )
    if step == Step.ACCEPT:
        return services.order_accept(
            actor=user, order=order, accepted_on=data.get("accepted_on"), promised_on=data.get("promised_on")
        )
    if step == Step.HANDLE:
        return services.order_handle(
            actor=user, order=order, handled_on=data.get("handled_on"), handling=data.get("handling", "")
        )
    if step == Step.RATE:
        return services.order_rate(
            actor=user,
            order=order,
            rating=data.get("rating"),
            rated_on=data.get("rated_on"),
            score=data.get("score"),
            note=data.get("note", ""),
        )
    return services.order_followup(
        actor=user,
        order=order,
        followup_on=data.get("followup_on"),
        reason=data.get("reason", ""),
        cause=data.get("cause"),
        explanation=data.get("explanation", ""),
    )


def _done_message(step: str, order: WorkOrder, dispatch: Dispatch) -> str:
    if step == Step.DISPATCH:
        late = ""
        if dispatch.round == 1 and dispatch.dispatched_on > order.dispatch_due:
            late = f"（超过派单期限 {(dispatch.dispatched_on - order.dispatch_due).days} 天）"
        return f"已派单给{dispatch.cadre.name}（第{dispatch.round}轮）{late}，等待接单。"
    if step == Step.ACCEPT:
        return f"已登记接单，{dispatch.cadre.name}承诺 {dispatch.promised_on:%Y-%m-%d} 前办结。"
    if step == Step.HANDLE:
        return "已登记办理情况，请居民评价。"
    if step == Step.RATE:
        label = Rating(dispatch.rating).label
        if dispatch.rating == Rating.UNSATISFIED:
            return f"已登记群众评价“{label}”，请及时回访了解不满意的原因。"
        return f"已登记群众评价“{label}”，工单已办结。"
    if dispatch.cause == Cause.OBJECTIVE:
        return "已登记回访：属客观原因，经解释说明，工单已办结。"
    return "已登记回访：属干部个人原因，请重新派单。"


@login_required
@require_POST
def order_step(request, pk, step):
    user = request.user
    order = order_get(user, pk)
    if step not in STEP_FORMS:
        raise Http404("没有这个办理环节。")
    _require_manage(user)
    last = order.dispatches.select_related("cadre").order_by("-round").first()
    form = _step_form(step, user, order, last, request.POST)
    valid = form.is_valid()
    if not valid and step in _form_steps(order, last):
        return _render_detail(request, order, bound={step: form})
    try:
        dispatch = _run(step, user, order, form.cleaned_data if valid else {})
    except ValidationError as exc:
        fresh = order_get(user, pk)
        if hasattr(exc, "error_dict") and step in _form_steps(fresh, last):
            apply_service_errors(form, exc if step != Step.DISPATCH else _renamed(exc))
            return _render_detail(request, fresh, bound={step: form})
        return _render_detail(request, fresh, refused="".join(exc.messages))
    messages.success(request, _done_message(step, order_get(user, pk), dispatch))
    return redirect("workorders:order_detail", pk=order.pk)


def _renamed(exc: ValidationError) -> ValidationError:
    return ValidationError({CADRE_PICKER_ERRORS.get(k, k): v for k, v in exc.error_dict.items()})


def order_url(order_id: int) -> str:
    return reverse("workorders:order_detail", args=[order_id])


urlpatterns = [
    path("", home, name="home"),
    path("new/", order_create, name="order_create"),
    path("<int:pk>/", order_detail, name="order_detail"),
    path("<int:pk>/<slug:step>/", order_step, name="order_step"),
]
