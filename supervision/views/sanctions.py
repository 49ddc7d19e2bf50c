"""Pages of sanctions (处分): list, record, and 容错免责 marking. Writes need ``edit_registry``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from cadres.selectors import unit_label, units_visible_to

from ..forms_records import SanctionExemptionForm, SanctionFilterForm, SanctionForm, apply_errors
from ..models import Sanction
from ..selectors.records import sanctions_visible_to
from ..services import sanctions as services
from .records import PICKER_ERRORS, _page, _preset_cadre, _require_edit


@login_required
def sanction_list(request):
    user = request.user
    form = SanctionFilterForm(request.GET or None, user=user, units=units_visible_to(user))
    filters = form.cleaned_data if form.is_valid() else {}
    qs = (
        sanctions_visible_to(user)
        .select_related("cadre", "cadre__unit")
        .annotate(unit_label=unit_label("cadre__unit__"))
    )
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("unit"):
        qs = qs.filter(cadre__unit__path__startswith=filters["unit"].path)
    if filters.get("name"):
        qs = qs.filter(cadre__name__contains=filters["name"])
    page, page_range = _page(request, qs.order_by("-decided_on", "-id"))
    return render(
        request,
        "supervision/records/sanction_list.html",
        {
            "form": form,
            "page": page,
            "page_range": page_range,
            "filtered": any(v not in (None, "") for v in filters.values()),
            "can_edit": user.can("edit_registry"),
            "exemption_form": SanctionExemptionForm(),
        },
    )


@login_required
def sanction_create(request):
    user = request.user
    preset = _preset_cadre(request)
    _require_edit(user)
    form = SanctionForm(request.POST or None, user=user, units=units_visible_to(user), preset=preset)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sanction = services.sanction_create(
                actor=user,
                cadre=data["cadre"],
                kind=data["kind"],
                decided_on=data["decided_on"],
                reason=data["reason"],
                exempted=data["exempted"],
                exemption_note=data["exemption_note"],
            )
        except ValidationError as exc:
            apply_errors(form, exc, PICKER_ERRORS)
        else:
            messages.success(
                request,
                f"已登记“{sanction.cadre.name}”的{sanction.get_kind_display()}处分；进行中的年度考核将按影响期规则重新计算等次。",
            )
            return redirect(reverse("cadres:detail", args=[sanction.cadre_id]) + "#sanctions")
    return render(request, "supervision/records/sanction_form.html", {"form": form, "preset": preset})


@require_POST
@login_required
def sanction_exemption(request, pk):
    user = request.user
    _require_edit(user)
    try:
        sanction = sanctions_visible_to(user).select_related("cadre", "cadre__unit").get(pk=pk)
    except (Sanction.DoesNotExist, ValueError):
        raise Http404("处分记录不存在或不在您的管辖范围内。") from None
    form = SanctionExemptionForm(request.POST)
    if form.is_valid():
        try:
            services.sanction_set_exemption(
                actor=user,
                sanction=sanction,
                exempted=form.cleaned_data["exempted"],
                note=form.cleaned_data["exemption_note"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            state = "认定为容错免责" if form.cleaned_data["exempted"] else "撤销容错免责认定"
            messages.success(
                request, f"已将“{sanction.cadre.name}”的{sanction.get_kind_display()}处分{state}。"
            )
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect(reverse("cadres:detail", args=[sanction.cadre_id]) + "#sanctions")


urlpatterns = [
    path("records/sanctions/", sanction_list, name="sanction_list"),
    path("records/sanctions/new/", sanction_create, name="sanction_create"),
    path("records/sanctions/<int:pk>/exemption/", sanction_exemption, name="sanction_exemption"),
]
