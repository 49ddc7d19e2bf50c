"""Pages of the 优秀 quotas: every unit's quota in a subtree (the two numbers, who is left out
of the base and why), and 优秀比例上调 (list with the form, edit, delete). Every role reads within
its scope (a unit or raise outside it answers 404); recording a raise needs ``manage_assessment``
(403). Writes go through ``services.quotas``."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from cadres.forms import BootstrapMixin, DateInput, apply_service_errors, unit_field
from cadres.selectors import unit_get, units_visible_to

from ..models import PeriodStatus, QuotaRaise
from ..selectors import period_get
from ..services import quotas as services
from ..services.recompute import policy_resolver

PAGE_SIZE = 50


def _require_manage(user) -> None:
    if not user.can("manage_assessment"):
        raise PermissionDenied("您的角色只能查阅优秀比例上调，不能登记、修改或撤销。")


def _page(request, qs):
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return page, page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)


def _errors_text(exc: ValidationError) -> str:
    return "；".join(exc.messages)


class RaiseFieldsForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label="理由（完成的重大任务）",
        max_length=services.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写理由：本单位完成的重大任务。"},
        help_text=f"简要写明本单位在考核年度完成的重大任务，不超过 {services.REASON_MAX} 字；将写入干部的等次依据。",
    )
    approved_by = forms.CharField(
        label="批准人",
        max_length=services.APPROVER_MAX,
        error_messages={"required": "请填写批准人。"},
        help_text="批准上调的领导或会议，如：县委常委会。",
    )
    approved_on = forms.DateField(
        label="批准日期",
        widget=DateInput(),
        error_messages={"required": "请填写批准日期。", "invalid": "请填写有效的日期，如 2026-01-15。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


class RaiseCreateForm(RaiseFieldsForm):
    unit = forms.ModelChoiceField(queryset=None)
    field_order = ["unit", "reason", "approved_by", "approved_on"]

    def __init__(self, *args, user, preset=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(
            user,
            units_visible_to(user),
            label="单位",
            empty_label="请选择单位",
            initial=preset,
            error_messages={"required": "请选择单位。", "invalid_choice": "单位不存在或不在您的管辖范围内。"},
        )
        self.order_fields(self.field_order)
        self._style_widgets()


class RaiseFilterForm(BootstrapMixin, forms.Form):
    unit = forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(
            user, units_visible_to(user), required=False, label="单位（含下级）", empty_label="全部单位"
        )
        self._style_widgets()


class QuotaFilterForm(BootstrapMixin, forms.Form):
    SHOW = [("", "全部单位"), ("raised", "上调比例的单位"), ("excluded", "有不计入基数人员的单位")]
    show = forms.ChoiceField(label="显示", choices=SHOW, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


def _preset_unit(request):
    """``?unit=``: a unit in scope, 404 for one outside (or none such)."""
    pk = request.GET.get("unit")
    return unit_get(request.user, pk) if pk else None


@login_required
def quota_raises(request, period_pk):
    """The raises of a period (filtered by unit subtree) and the form recording one."""
    user = request.user
    period = period_get(user, period_pk)
    preset = _preset_unit(request)
    can_manage = user.can("manage_assessment")
    form = None
    if period.is_annual and period.status != PeriodStatus.ARCHIVED:
        form = RaiseCreateForm(request.POST or None, user=user, preset=preset)
    if request.method == "POST":
        _require_manage(user)
        if form is None:
            messages.error(
                request, services.regrade_effect(period) if period.is_annual else "季度平时考核不设优秀名额。"
            )
            return redirect("assessment:quota_raises", period_pk=period.pk)
        if form.is_valid():
            data = form.cleaned_data
            try:
                raise_ = services.quota_raise_create(
                    actor=user,
                    period=period,
                    unit=data["unit"],
                    reason=data["reason"],
                    approved_by=data["approved_by"],
                    approved_on=data["approved_on"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _saved_message(period, raise_.unit, "已登记"))
                return redirect(
                    reverse("assessment:quota_raises", args=[period.pk]) + f"?unit={raise_.unit_id}"
                )
    # the unit the form is about (as chosen in a refused form, else the ?unit= preset): the
    # raised ratio shown is that unit's
    selected = preset
    if form is not None and form.is_bound and form.cleaned_data.get("unit") is not None:
        selected = form.cleaned_data["unit"]
    filter_form = RaiseFilterForm(request.GET or None, user=user)
    resolver = policy_resolver()
    page, page_range = _page(request, services.quota_raise_rows(user, period=period, unit=preset))
    for r in page:
        r.ratios = services.ratios_for(r.unit, resolver)
    ratios = services.ratios_for(selected, resolver) if selected is not None else None
    return render(
        request,
        "assessment/quota_raises.html",
        {
            "period": period,
            "preset": preset,
            "selected": selected,
            "ratios": ratios,
            "effect": services.raise_effect(ratios) if ratios else "",
            "regrade": services.regrade_effect(period),
            "form": form if can_manage else None,
            "filter_form": filter_form,
            "page": page,
            "page_range": page_range,
            "can_manage": can_manage,
            "today": timezone.localdate(),
        },
    )


def _saved_message(period, unit, what: str) -> str:
    text = f"{what}{unit.name}的优秀比例上调。"
    if period.status == PeriodStatus.PUBLISHED:
        return text + "考核期已公布，已按新的比例重新评定该单位等次。"
    if period.status in (PeriodStatus.COLLECTING, PeriodStatus.GRADING):
        return text + "系统正在重新计算该单位的等次。"
    return text


def _raise_get(user, pk):
    try:
        return services.quota_raise_rows(user).get(pk=pk)
    except QuotaRaise.DoesNotExist:
        raise Http404("优秀比例上调不存在或不在您的管辖范围内。") from None


@login_required
def quota_raise_edit(request, pk):
    user = request.user
    raise_ = _raise_get(user, pk)
    _require_manage(user)
    period = raise_.period
    form = RaiseFieldsForm(
        request.POST or None,
        initial={
            "reason": raise_.reason,
            "approved_by": raise_.approved_by,
            "approved_on": raise_.approved_on,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.quota_raise_update(
                actor=user,
                raise_=raise_,
                reason=data["reason"],
                approved_by=data["approved_by"],
                approved_on=data["approved_on"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _saved_message(period, saved.unit, "已修改"))
            return redirect(reverse("assessment:quota_raises", args=[period.pk]) + f"?unit={saved.unit_id}")
    ratios = services.ratios_for(raise_.unit)
    return render(
        request,
        "assessment/quota_raise_form.html",
        {
            "period": period,
            "raise": raise_,
            "form": form,
            "ratios": ratios,
            "effect": services.raise_effect(ratios),
            "regrade": services.regrade_effect(period),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def quota_raise_delete(request, pk):
    user = request.user
    raise_ = _raise_get(user, pk)
    _require_manage(user)
    period, unit = raise_.period, raise_.unit
    try:
        services.quota_raise_delete(actor=user, raise_=raise_)
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
    else:
        messages.success(request, _saved_message(period, unit, "已撤销"))
    return redirect(reverse("assessment:quota_raises", args=[period.pk]) + f"?unit={unit.pk}")


@login_required
@require_safe
def unit_quotas(request, period_pk, unit_pk):
    """Every unit's quota in the subtree of ``unit``, paginated, each linking to its results."""
    user = request.user
    period = period_get(user, period_pk)
    unit = unit_get(user, unit_pk)
    form = QuotaFilterForm(request.GET or None)
    show = form.cleaned_data.get("show") if form.is_valid() else ""
    rows = services.unit_quota_rows(user, period=period, unit=unit)
    if show == "raised":
        rows = rows.filter(raised=True)
    elif show == "excluded":
        rows = rows.exclude(excluded={})
    page, page_range = _page(request, rows)
    for q in page:
        services.decorate(q)
    return render(
        request,
        "assessment/quota_list.html",
        {
            "period": period,
            "unit": unit,
            "form": form,
            "filtered": bool(show),
            "page": page,
            "page_range": page_range,
            "can_manage": user.can("manage_assessment"),
        },
    )


urlpatterns = [
    path("periods/<int:period_pk>/quota-raises/", quota_raises, name="quota_raises"),
    path("quota-raises/<int:pk>/edit/", quota_raise_edit, name="quota_raise_edit"),
    path("quota-raises/<int:pk>/delete/", quota_raise_delete, name="quota_raise_delete"),
    path("periods/<int:period_pk>/units/<int:unit_pk>/quotas/", unit_quotas, name="unit_quotas"),
]
