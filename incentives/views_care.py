"""关爱 pages (/incentives/care/...): care records (谈心谈话, 走访慰问, 体检, 带薪休假, 困难帮扶 ...), the
关爱提醒 (care due) list per unit, hardship posts and departed village cadres with their living
subsidy. Every role reads in its scope; ``manage_incentives`` records. Objects are looked up
through the caller's scope first (404 outside it), then the role is checked (403)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from assessment.models import RuleKind
from assessment.services.policy import params_for
from cadres.forms import apply_service_errors
from cadres.selectors import cadre_get, unit_get, units_visible_to

from . import services_care as services
from .forms_care import (
    CareDueFilterForm,
    CareFilterForm,
    CareRecordForm,
    DepartedFilterForm,
    DepartureEditForm,
    DepartureForm,
    HardshipForm,
    SubsidyPayForm,
    month_text,
)
from .hub import HubLink, hub_add
from .models import CareKind
from .policy_care import SUBSIDY_CYCLES
from .selectors_care import (
    DueKind,
    care_due,
    care_record_get,
    care_record_rows,
    departure_get,
    departure_rows,
    due_by_unit,
    due_counts,
    hardship_get,
    hardship_rows,
    with_owed,
)

PAGE_SIZE = 50
PICKER_ERRORS = {"cadre": "cadre_query"}


def _require_manage(user) -> None:
    if not user.can("manage_incentives"):
        raise PermissionDenied("您的角色只能查阅关爱记录，不能登记。")


def _paged(request, items):
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return page, page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)


def _filters(form) -> dict:
    return form.cleaned_data if form.is_valid() else {}


def _filtered(filters: dict) -> bool:
    return any(v not in (None, "", False) for v in filters.values())


def _renamed(exc: ValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        return ValidationError({PICKER_ERRORS.get(k, k): v for k, v in exc.error_dict.items()})
    return exc


def _preset(request):
    pk = request.GET.get("cadre") or request.POST.get("cadre")
    return cadre_get(request.user, pk) if pk else None


def _pay_figures(user, unit) -> dict | None:
    """村/社区干部报酬 from the CARE rule in force for the unit shown (or the user's own)."""
    unit = unit or getattr(user, "unit", None)
    if unit is None:
        from assessment.models import PolicyRule

        row = PolicyRule.objects.filter(unit=None, kind=RuleKind.CARE, enabled=True).first()
        return row.params if row else None
    return params_for(RuleKind.CARE, unit)


# --------------------------------------------------------------------------- records


@login_required
@require_safe
def care_list(request):
    user = request.user
    form = CareFilterForm(request.GET or None, user=user, units=units_visible_to(user))
    filters = _filters(form)
    cadre = _preset(request) if request.GET.get("cadre") else None
    rows = care_record_rows(
        user,
        unit=filters.get("unit"),
        kind=filters.get("kind", ""),
        year=filters.get("year"),
        name=filters.get("name", ""),
        cadre=cadre,
    )
    page, page_range = _paged(request, rows)
    return render(
        request,
        "incentives/care/list.html",
        {
            "form": form,
            "page": page,
            "page_range": page_range,
            "filtered": _filtered(filters) or cadre is not None,
            "cadre": cadre,
            "pay": _pay_figures(user, filters.get("unit")),
            "can_manage": user.can("manage_incentives"),
            "tab": "records",
        },
    )


def _record_data(data: dict) -> dict:
    return {
        "kind": data.get("kind"),
        "occasion": data.get("occasion") or "",
        "date": data.get("date"),
        "days": data.get("days"),
        "amount": data.get("amount"),
        "content": data.get("content", ""),
        "by_whom": data.get("by_whom", ""),
    }


@login_required
def care_create(request):
    user = request.user
    preset = _preset(request)
    _require_manage(user)
    initial = {"kind": request.GET.get("kind", "")} if request.GET.get("kind") in CareKind.values else {}
    form = CareRecordForm(
        request.POST or None, user=user, units=units_visible_to(user), preset=preset, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record = services.care_record_create(actor=user, cadre=data["cadre"], **_record_data(data))
        except ValidationError as exc:
            apply_service_errors(form, _renamed(exc))
        else:
            messages.success(request, f"已登记“{record.cadre.name}”的{record.get_kind_display()}。")
            if preset is not None:
                return redirect(reverse("cadres:detail", args=[preset.pk]) + "#care")
            return redirect("incentives:care")
    return render(
        request,
        "incentives/care/form.html",
        {"form": form, "preset": preset, "title": "登记关爱记录", "tab": "records"},
    )


@login_required
def care_edit(request, pk):
    user = request.user
    record = care_record_get(user, pk)
    _require_manage(user)
    initial = {
        "kind": record.kind,
        "occasion": record.occasion,
        "date": record.date,
        "days": record.days,
        "amount": record.amount,
        "content": record.content,
        "by_whom": record.by_whom,
    }
    form = CareRecordForm(
        request.POST or None, user=user, units=units_visible_to(user), preset=record.cadre, initial=initial
    )
    if record.kind == CareKind.DEPARTED_SUBSIDY:
        form.fields["kind"].choices = [(record.kind, record.get_kind_display())]
    if request.method == "POST" and form.is_valid():
        try:
            services.care_record_update(actor=user, record=record, **_record_data(form.cleaned_data))
        except ValidationError as exc:
            apply_service_errors(form, _renamed(exc))
        else:
            messages.success(request, f"已保存“{record.cadre.name}”的关爱记录。")
            return redirect("incentives:care")
    return render(
        request,
        "incentives/care/form.html",
        {"form": form, "preset": record.cadre, "record": record, "title": "修改关爱记录", "tab": "records"},
    )


@login_required
@require_POST
def care_delete(request, pk):
    user = request.user
    record = care_record_get(user, pk)
    _require_manage(user)
    try:
        services.care_record_delete(actor=user, record=record, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已删除“{record.cadre.name}”的{record.get_kind_display()}记录。")
    return redirect("incentives:care")


# --------------------------------------------------------------------------- care due


@login_required
@require_safe
def due_list(request):
    user = request.user
    form = CareDueFilterForm(request.GET or None, user=user, units=units_visible_to(user))
    filters = _filters(form)
    unit, kind = filters.get("unit"), filters.get("kind", "")
    if unit is not None:
        unit = unit_get(user, unit.pk)  # with its label
    rows = care_due(user, unit=unit)
    counts = due_counts(rows)
    shown = [r for r in rows if r.kind == kind] if kind else rows
    page, page_range = _paged(request, shown)
    return render(
        request,
        "incentives/care/due.html",
        {
            "form": form,
            "page": page,
            "page_range": page_range,
            "filtered": _filtered(filters),
            "counts": [(k, label, counts[k]) for k, label in DueKind.choices],
            "kind": kind,
            "by_unit": due_by_unit(user, shown, unit),
            "unit": unit,
            "year": timezone.localdate().year,
            "can_manage": user.can("manage_incentives"),
            "tab": "due",
        },
    )


# --------------------------------------------------------------------------- hardship posts


def _hardship_page(request, form=None):
    user = request.user
    can_manage = user.can("manage_incentives")
    if can_manage and form is None:
        form = HardshipForm(user=user, units=units_visible_to(user))
    posts = list(hardship_rows(user))
    return render(
        request,
        "incentives/care/hardship.html",
        {"posts": posts, "form": form, "can_manage": can_manage, "tab": "hardship"},
    )


@login_required
@require_safe
def hardship_list(request):
    return _hardship_page(request)


@login_required
@require_POST
def hardship_add(request):
    user = request.user
    _require_manage(user)
    form = HardshipForm(request.POST, user=user, units=units_visible_to(user))
    if form.is_valid():
        data = form.cleaned_data
        try:
            post = services.hardship_post_designate(
                actor=user, unit=data["unit"], since=data.get("since"), note=data.get("note", "")
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已将“{post.unit.name}”认定为艰苦边远岗位。")
            return redirect("incentives:hardship")
    return _hardship_page(request, form)


@login_required
@require_POST
def hardship_remove(request, pk):
    user = request.user
    post = hardship_get(user, pk)
    _require_manage(user)
    services.hardship_post_undesignate(actor=user, post=post, reason=request.POST.get("reason", ""))
    messages.success(request, f"已取消“{post.unit.name}”的艰苦边远岗位认定。")
    return redirect("incentives:hardship")


# --------------------------------------------------------------------------- departed village cadres


@login_required
@require_safe
def departed_list(request):
    user = request.user
    form = DepartedFilterForm(request.GET or None, user=user, units=units_visible_to(user))
    filters = _filters(form)
    rows = departure_rows(user, unit=filters.get("unit"), name=filters.get("name", ""))
    page, page_range = _paged(request, rows)
    with_owed(page.object_list)
    return render(
        request,
        "incentives/care/departed.html",
        {
            "form": form,
            "page": page,
            "page_range": page_range,
            "filtered": _filtered(filters),
            "cycles": SUBSIDY_CYCLES,
            "can_manage": user.can("manage_incentives"),
            "tab": "departed",
        },
    )


@login_required
def departed_create(request):
    user = request.user
    preset = _preset(request)
    _require_manage(user)
    form = DepartureForm(request.POST or None, user=user, units=units_visible_to(user), preset=preset)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            departure = services.departure_register(
                actor=user,
                cadre=data["cadre"],
                left_on=data["left_on"],
                years_served=data["years_served"],
                monthly_subsidy=data["monthly_subsidy"],
                role_after=data.get("role_after", ""),
                note=data.get("note", ""),
            )
        except ValidationError as exc:
            apply_service_errors(form, _renamed(exc))
        else:
            messages.success(request, f"已登记“{departure.cadre.name}”离任。")
            return redirect("incentives:departed_detail", pk=departure.pk)
    return render(
        request,
        "incentives/care/departed_form.html",
        {"form": form, "preset": preset, "tab": "departed"},
    )


def _departed_page(request, departure, edit_form=None, pay_form=None):
    user = request.user
    (departure,) = with_owed([departure])
    can_manage = user.can("manage_incentives")
    if can_manage:
        edit_form = edit_form or DepartureEditForm(
            initial={
                "years_served": departure.years_served,
                "monthly_subsidy": departure.monthly_subsidy,
                "role_after": departure.role_after,
                "paid_through": month_text(departure.paid_through),
                "note": departure.note,
            }
        )
        pay_form = pay_form or SubsidyPayForm(owed=departure.owed)
    records = care_record_rows(user, cadre=departure.cadre)[:50]
    return render(
        request,
        "incentives/care/departed_detail.html",
        {
            "d": departure,
            "records": records,
            "edit_form": edit_form,
            "pay_form": pay_form,
            "cycles": SUBSIDY_CYCLES,
            "can_manage": can_manage,
            "tab": "departed",
        },
    )


@login_required
def departed_detail(request, pk):
    user = request.user
    departure = departure_get(user, pk)
    if request.method != "POST":
        return _departed_page(request, departure)
    _require_manage(user)
    form = DepartureEditForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.departure_update(
                actor=user,
                departure=departure,
                years_served=data["years_served"],
                monthly_subsidy=data["monthly_subsidy"],
                role_after=data.get("role_after", ""),
                paid_through=data.get("paid_through") or None,
                note=data.get("note", ""),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已保存“{departure.cadre.name}”的离任信息。")
            return redirect("incentives:departed_detail", pk=departure.pk)
    return _departed_page(request, departure, edit_form=form)


@login_required
@require_POST
def departed_pay(request, pk):
    user = request.user
    departure = departure_get(user, pk)
    _require_manage(user)
    form = SubsidyPayForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            record = services.departure_subsidy_pay(
                actor=user,
                departure=departure,
                through=data["through"],
                paid_on=data.get("paid_on"),
                by_whom=data.get("by_whom", ""),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已登记：{record.content}，共 {record.amount} 元。")
            return redirect("incentives:departed_detail", pk=departure.pk)
    return _departed_page(request, departure, pay_form=form)


hub_add(
    HubLink(
        key="care",
        title="关爱帮扶",
        url_name="incentives:care",
        icon="bi-heart-pulse",
        about="谈心谈话、走访慰问、年度体检、带薪休假、困难帮扶和离任村干部关爱的记录与提醒。",
        order=400,
    )
)
hub_add(
    HubLink(
        key="care_due",
        title="关爱提醒",
        url_name="incentives:care_due",
        icon="bi-bell",
        about="艰苦边远岗位未走访、本年度未体检、休假不足、离任村干部补贴待发放，按单位汇总。",
        order=410,
    )
)

urlpatterns = [
    path("care/", care_list, name="care"),
    path("care/new/", care_create, name="care_create"),
    path("care/<int:pk>/edit/", care_edit, name="care_edit"),
    path("care/<int:pk>/delete/", care_delete, name="care_delete"),
    path("care/due/", due_list, name="care_due"),
    path("care/hardship/", hardship_list, name="hardship"),
    path("care/hardship/add/", hardship_add, name="hardship_add"),
    path("care/hardship/<int:pk>/remove/", hardship_remove, name="hardship_remove"),
    path("care/departed/", departed_list, name="departed"),
    path("care/departed/new/", departed_create, name="departed_create"),
    path("care/departed/<int:pk>/", departed_detail, name="departed_detail"),
    path("care/departed/<int:pk>/pay/", departed_pay, name="departed_pay"),
]
