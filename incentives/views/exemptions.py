"""容错纠错 pages: the decisions (filtered by matter type, verdict, unit subtree and year), the
decision form reached from each matter's page (a talk or 约谈, a sanction, a flag, a recall case),
a decision with its matter, classification, verdict, basis, who and when, and what it lifted;
its revision and revocation.

Everyone reads within scope; deciding, revising and revoking are a department head's
(``approve``). A matter or decision outside the user's subtree answers 404 (looked up first), a
role that may not decide 403. Writes go through ``supervision.services.exemptions``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST, require_safe

from cadres.forms import apply_service_errors
from cadres.selectors import units_visible_to
from supervision.selectors.exemptions import exemption_get, exemption_list, matter_get, matters_of
from supervision.services import exemptions as services

from ..forms_exemptions import ExemptionFilterForm, ExemptionForm, ExemptionReviseForm, ExemptionRevokeForm
from ..hub import HubLink, hub_add
from ..selectors_exemptions import change_message, effects

PAGE_SIZE = 50
FIELDS = ("intent", "motive", "nature", "verdict", "basis", "decided_on")

hub_add(
    HubLink(
        key="exemptions",
        title="容错纠错",
        url_name="incentives:exemptions",
        icon="bi-shield-check",
        about="按“三个区分开来”对约谈、处分、预警和召回事由作出可容或不容的认定；可容的不再限制等次、不计入预警。",
        order=60,
    )
)


def _require_head(user) -> None:
    if not user.can("approve"):
        raise PermissionDenied("只有部长（分管负责人）可以作出容错纠错认定。")


@login_required
@require_safe
def exemption_list_page(request):
    user = request.user
    form = ExemptionFilterForm(request.GET or None, user=user, units=units_visible_to(user))
    filters = form.cleaned_data if form.is_valid() else {}
    rows = exemption_list(
        user,
        matter_type=filters.get("matter_type", ""),
        verdict=filters.get("verdict", ""),
        unit=filters.get("unit"),
        year=filters.get("year"),
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    matters = matters_of(page.object_list)
    for exemption in page.object_list:
        exemption.matter = matters.get((exemption.matter_type, exemption.matter_id))
    return render(
        request,
        "incentives/exemptions/list.html",
        {
            "form": form,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "filtered": any(v not in (None, "") for v in filters.values()),
        },
    )


def _render_form(request, matter, form, *, exemption=None, status=200):
    return render(
        request,
        "incentives/exemptions/form.html",
        {"matter": matter, "form": form, "exemption": exemption},
        status=status,
    )


@login_required
def exemption_decide(request, matter_type, matter_id):
    user = request.user
    matter = matter_get(user, matter_type, matter_id)
    _require_head(user)
    form = ExemptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            exemption = services.exemption_decide(
                actor=user, matter_type=matter_type, matter_id=matter.id, **form.cleaned_data
            )
        except services.ExemptionExists as exc:
            messages.info(request, str(exc))
            return redirect("incentives:exemption_detail", pk=exc.exemption.pk)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"已认定“{matter.label}”为{exemption.get_verdict_display()}。"
                + change_message(matter, exemption.verdict),
            )
            return redirect("incentives:exemption_detail", pk=exemption.pk)
    return _render_form(request, matter, form)


def _render_detail(request, exemption, *, revoke_form=None, status=200):
    try:
        matter = matter_get(request.user, exemption.matter_type, exemption.matter_id)
    except Http404:  # the matter is gone, or its cadre moved out of the user's subtree
        matter = None
    return render(
        request,
        "incentives/exemptions/detail.html",
        {
            "exemption": exemption,
            "matter": matter,
            "effects": effects(exemption, matter) if matter is not None else {},
            "can_decide": request.user.can("approve"),
            "revoke_form": revoke_form or ExemptionRevokeForm(),
        },
        status=status,
    )


@login_required
@require_safe
def exemption_detail(request, pk):
    return _render_detail(request, exemption_get(request.user, pk))


@login_required
def exemption_revise(request, pk):
    user = request.user
    exemption = exemption_get(user, pk)
    matter = matter_get(user, exemption.matter_type, exemption.matter_id)
    _require_head(user)
    initial = {f: getattr(exemption, f) for f in FIELDS}
    form = ExemptionReviseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason", "")
        try:
            revised = services.exemption_revise(actor=user, exemption=exemption, reason=reason, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"已修改对“{matter.label}”的认定（{revised.get_verdict_display()}）。"
                + change_message(matter, revised.verdict),
            )
            return redirect("incentives:exemption_detail", pk=revised.pk)
    return _render_form(request, matter, form, exemption=exemption)


@login_required
@require_POST
def exemption_revoke(request, pk):
    user = request.user
    exemption = exemption_get(user, pk)
    matter = matter_get(user, exemption.matter_type, exemption.matter_id)
    _require_head(user)
    form = ExemptionRevokeForm(request.POST)
    if form.is_valid():
        try:
            services.exemption_revoke(actor=user, exemption=exemption, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"已撤销对“{matter.label}”的容错纠错认定，该事项照常计入。" + change_message(matter, ""),
            )
            return redirect(matter.url)
    return _render_detail(request, exemption, revoke_form=form)


urlpatterns = [
    path("exemptions/", exemption_list_page, name="exemptions"),
    path("exemptions/decide/<str:matter_type>/<int:matter_id>/", exemption_decide, name="exemption_decide"),
    path("exemptions/<int:pk>/", exemption_detail, name="exemption_detail"),
    path("exemptions/<int:pk>/edit/", exemption_revise, name="exemption_revise"),
    path("exemptions/<int:pk>/revoke/", exemption_revoke, name="exemption_revoke"),
]
