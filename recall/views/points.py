"""记分管理: the point records of the 记分制 and recording a situation against a cadre. Reaching
the unit's threshold proposes a recall (``services.points_record``); the page says so and links
to the case."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_safe

from cadres.forms import apply_service_errors
from cadres.selectors import units_visible_to

from .. import services
from ..errors import StepError
from ..forms import PointFilterForm, PointForm
from ..selectors_pages import point_rows
from .common import PICKER_ERRORS, filters_of, is_filtered, paged, preset_cadre, renamed, require_manage


@login_required
@require_safe
def point_list(request):
    user = request.user
    form = PointFilterForm(request.GET or None, user=user, units=units_visible_to(user))
    filters = filters_of(form)
    rows = point_rows(
        user,
        unit=filters.get("unit"),
        group=filters.get("group", ""),
        name=filters.get("name", ""),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    page, page_range = paged(request, rows)
    return render(
        request,
        "recall/point_list.html",
        {
            "form": form,
            "page": page,
            "page_range": page_range,
            "filtered": is_filtered(filters),
            "can_manage": user.can("manage_recall"),
            "tab": "points",
        },
    )


@login_required
def point_create(request):
    user = request.user
    preset = preset_cadre(request)
    require_manage(user)
    form = PointForm(request.POST or None, user=user, units=units_visible_to(user), preset=preset)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record, case = services.points_record(
                actor=user,
                cadre=data["cadre"],
                situation=data["situation"],
                detail=data["detail"],
                occurred_on=data.get("occurred_on"),
            )
        except StepError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            apply_service_errors(form, renamed(exc, PICKER_ERRORS))
        else:
            text = f"已为“{record.cadre.name}”记{record.points}分（{record.situation.name}）。"
            if case is not None:
                messages.warning(
                    request,
                    format_html(
                        "{}该干部累计记分已达到召回分值，系统已自动提议召回，待部长（分管负责人）审批："
                        '<a class="alert-link" href="{}">查看召回案件</a>',
                        text,
                        reverse("recall:case_detail", args=[case.pk]),
                    ),
                )
            else:
                messages.success(request, text)
            return redirect("recall:points")
    return render(request, "recall/point_form.html", {"form": form, "preset": preset, "tab": "points"})


urlpatterns = [
    path("points/", point_list, name="points"),
    path("points/new/", point_create, name="point_create"),
]
