"""Pages of sanctions (处分): list and record. Writes need ``edit_registry``. A sanction is exempted
by a 容错纠错 decision (incentives:exemption_decide); the list shows each one's decision."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse

from cadres.selectors import unit_label, units_visible_to

from ..exemptions import decision_id, decision_verdict
from ..forms_records import SanctionFilterForm, SanctionForm, apply_errors
from ..models import MatterType
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
        .annotate(
            unit_label=unit_label("cadre__unit__"),
            exemption_id=decision_id(MatterType.SANCTION),
            exemption_verdict=decision_verdict(MatterType.SANCTION),
        )
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
            "can_decide": user.can("approve"),
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


urlpatterns = [
    path("records/sanctions/", sanction_list, name="sanction_list"),
    path("records/sanctions/new/", sanction_create, name="sanction_create"),
]
