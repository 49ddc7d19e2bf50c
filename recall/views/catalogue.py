"""惰政情形 catalogue (five groups; edited by users whose scope is the whole tree) and a unit's
负面清单 (its own entries and those it inherits from the units above)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe

from cadres.forms import apply_service_errors
from cadres.selectors import unit_get, units_visible_to

from .. import services_catalogue as services
from ..forms import NegativeListAddForm, SituationForm, UnitPickForm
from ..models import Situation
from ..selectors_pages import catalogue_editable, negative_entry_get, negative_list, situations_grouped
from .common import require_manage


@login_required
@require_safe
def catalogue(request):
    user = request.user
    groups = situations_grouped()
    return render(
        request,
        "recall/catalogue.html",
        {
            "groups": groups,
            "total": sum(len(g["situations"]) for g in groups),
            "can_edit": catalogue_editable(user),
            "pick": UnitPickForm(user=user, units=units_visible_to(user)),
            "tab": "catalogue",
        },
    )


def _require_catalogue(user) -> None:
    if not catalogue_editable(user):
        raise PermissionDenied("惰政情形目录适用于全部单位，只有管理范围为全部单位的用户可以修改。")


@login_required
def situation_edit(request, pk=None):
    user = request.user
    situation = None
    if pk is not None:
        situation = Situation.objects.filter(pk=pk).first()
        if situation is None:
            raise Http404("惰政情形不存在。")
    _require_catalogue(user)
    initial = {"active": True}
    if situation is not None:
        initial = {
            f: getattr(situation, f) for f in ("group", "code", "name", "points", "cause", "order", "active")
        }
    form = SituationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.situation_save(actor=user, situation=situation, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已保存惰政情形“{saved.code} {saved.name}”。")
            return redirect(reverse("recall:catalogue") + f"#situation-{saved.pk}")
    return render(
        request, "recall/situation_form.html", {"form": form, "situation": situation, "tab": "catalogue"}
    )


# ---------------------------------------------------------------- 负面清单


def _unit_of(request):
    """The unit named by ``?unit=`` (in scope, else 404); without one, the user's own unit."""
    pk = request.GET.get("unit") or request.POST.get("unit")
    if pk:
        return unit_get(request.user, pk)
    if getattr(request.user, "unit_id", None):
        return unit_get(request.user, request.user.unit_id)
    return None


def _render_negative(request, unit, form=None, status=200):
    user = request.user
    can_manage = user.can("manage_recall")
    entries = negative_list(user, unit) if unit is not None else []
    if can_manage and unit is not None and form is None:
        form = NegativeListAddForm()
    return render(
        request,
        "recall/negative_list.html",
        {
            "unit": unit,
            "own": [e for e in entries if e.own],
            "inherited": [e for e in entries if not e.own],
            "form": form,
            "pick": UnitPickForm(initial={"unit": unit}, user=user, units=units_visible_to(user)),
            "can_manage": can_manage,
            "tab": "negative",
        },
        status=status,
    )


@login_required
@require_safe
def negative_list_view(request):
    return _render_negative(request, _unit_of(request))


@login_required
@require_POST
def negative_add(request):
    user = request.user
    unit = _unit_of(request)
    require_manage(user)
    if unit is None:
        raise Http404("请选择单位。")
    form = NegativeListAddForm(request.POST)
    if form.is_valid():
        try:
            entry = services.negative_list_add(
                actor=user,
                unit=unit,
                situation=form.cleaned_data["situation"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已将“{entry.situation.name}”列入{unit.label}负面清单。")
            return redirect(reverse("recall:negative_list") + f"?unit={unit.pk}")
    return _render_negative(request, unit, form=form)


@login_required
@require_POST
def negative_remove(request, pk):
    user = request.user
    entry = negative_entry_get(user, pk)
    require_manage(user)
    services.negative_list_remove(actor=user, entry=entry)
    messages.success(request, f"已将“{entry.situation.name}”移出{entry.unit.name}负面清单。")
    return redirect(reverse("recall:negative_list") + f"?unit={entry.unit_id}")


urlpatterns = [
    path("situations/", catalogue, name="catalogue"),
    path("situations/new/", situation_edit, name="situation_create"),
    path("situations/<int:pk>/edit/", situation_edit, name="situation_edit"),
    path("negative-list/", negative_list_view, name="negative_list"),
    path("negative-list/add/", negative_add, name="negative_add"),
    path("negative-list/<int:pk>/remove/", negative_remove, name="negative_remove"),
]
