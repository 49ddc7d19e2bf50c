"""Pages of investigations (立案审查): list, record, correct while open, close. Every role reads
within its subtree (objects outside answer 404); writes need ``edit_registry`` (others get 403).
An open investigation keeps the annual grade 不定等次; each change regrades the open periods."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse

from cadres.selectors import units_visible_to

from ..forms_investigations import (
    InvestigationCloseForm,
    InvestigationEditForm,
    InvestigationFilterForm,
    InvestigationForm,
)
from ..forms_records import apply_errors
from ..models import InvestigationOutcome
from ..selectors.investigations import investigation_get, investigation_list
from ..services import investigations as services
from .records import PICKER_ERRORS, _page, _preset_cadre, _require_edit

GRADE_NOTE = "进行中的年度考核将重新计算等次"


def _profile(investigation) -> str:
    return reverse("cadres:detail", args=[investigation.cadre_id]) + "#investigations"


@login_required
def investigation_index(request):
    user = request.user
    form = InvestigationFilterForm(request.GET or None, user=user, units=units_visible_to(user))
    filters = form.cleaned_data if form.is_valid() else {}
    qs = investigation_list(
        user, state=filters.get("state") or "", unit=filters.get("unit"), name=filters.get("name") or ""
    )
    page, page_range = _page(request, qs)
    return render(
        request,
        "supervision/records/investigation_list.html",
        {
            "form": form,
            "page": page,
            "page_range": page_range,
            "filtered": any(v not in (None, "") for v in filters.values()),
            "can_edit": user.can("edit_registry"),
        },
    )


@login_required
def investigation_create(request):
    user = request.user
    preset = _preset_cadre(request)
    _require_edit(user)
    form = InvestigationForm(request.POST or None, user=user, units=units_visible_to(user), preset=preset)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            investigation = services.investigation_open(
                actor=user,
                cadre=data["cadre"],
                opened_on=data["opened_on"],
                authority=data["authority"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            apply_errors(form, exc, PICKER_ERRORS)
        else:
            messages.success(
                request,
                f"已登记“{investigation.cadre.name}”被立案审查；结案前年度考核不定等次，{GRADE_NOTE}。",
            )
            return redirect(_profile(investigation))
    return render(request, "supervision/records/investigation_form.html", {"form": form, "preset": preset})


@login_required
def investigation_edit(request, pk):
    user = request.user
    investigation = investigation_get(user, pk)
    _require_edit(user)
    initial = {
        "opened_on": investigation.opened_on,
        "authority": investigation.authority,
        "reason": investigation.reason,
    }
    form = InvestigationEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.investigation_update(actor=user, investigation=investigation, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已修改“{investigation.cadre.name}”的立案审查记录；{GRADE_NOTE}。")
            return redirect(_profile(investigation))
    return render(
        request,
        "supervision/records/investigation_edit.html",
        {"form": form, "investigation": investigation},
    )


@login_required
def investigation_close(request, pk):
    user = request.user
    investigation = investigation_get(user, pk)
    _require_edit(user)
    form = InvestigationCloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            closed = services.investigation_close(
                actor=user, investigation=investigation, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            name = closed.cadre.name
            if closed.outcome == InvestigationOutcome.SANCTIONED:
                messages.success(
                    request,
                    f"已结案：“{name}”给予处分。请登记处分决定，处分影响期按评定规则限制等次。",
                )
                return redirect(reverse("supervision:sanction_create") + f"?cadre={closed.cadre_id}")
            messages.success(request, f"已结案：“{name}”未予处分，按规定确定年度考核等次；{GRADE_NOTE}。")
            return redirect(_profile(closed))
    return render(
        request,
        "supervision/records/investigation_close.html",
        {"form": form, "investigation": investigation},
    )


urlpatterns = [
    path("investigations/", investigation_index, name="investigation_list"),
    path("investigations/new/", investigation_create, name="investigation_create"),
    path("investigations/<int:pk>/edit/", investigation_edit, name="investigation_edit"),
    path("investigations/<int:pk>/close/", investigation_close, name="investigation_close"),
]
