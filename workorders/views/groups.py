"""Pages of party groups (党小组): the groups of the user's subtree with the form that adds one,
and a group's edit page. Every role reads in scope (a group outside answers 404); adding and
changing need ``manage_workorders`` (others get 403 and see no form)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path

from cadres.forms import apply_service_errors
from cadres.selectors import unit_label, units_visible_to

from .. import services
from ..forms import GroupForm
from ..models import PartyGroup
from ..selectors import visible_groups

PAGE_SIZE = 50


def _require_manage(user) -> None:
    if not user.can("manage_workorders"):
        raise PermissionDenied("您的角色只能查阅党小组，不能新增或修改。")


def group_list(user):
    """The party groups of the user's subtree in tree order, each with its orders counted."""
    return (
        visible_groups(user)
        .annotate(unit_label=unit_label("unit__"), order_count=Count("orders"))
        .order_by("unit__path", "name")
    )


def _save(request, form, group=None):
    try:
        saved = services.party_group_save(actor=request.user, group=group, **form.cleaned_data)
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return None
    verb = "已修改" if group is not None else "已新增"
    messages.success(request, f"{verb}党小组“{saved.name}”（{saved.unit.name}）。")
    return redirect("workorders:groups")


@login_required
def groups(request):
    user = request.user
    can_manage = user.can("manage_workorders")
    if request.method == "POST":
        _require_manage(user)
    form = None
    if can_manage:
        form = GroupForm(request.POST or None, user=user, units=units_visible_to(user))
        if request.method == "POST" and form.is_valid():
            done = _save(request, form)
            if done is not None:
                return done
    page = Paginator(group_list(user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "workorders/group_list.html",
        {
            "form": form,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "can_manage": can_manage,
        },
    )


@login_required
def group_edit(request, pk):
    user = request.user
    try:
        group = visible_groups(user).select_related("unit").get(pk=pk)
    except PartyGroup.DoesNotExist:
        raise Http404("该党小组不存在或不在您的管辖范围内。") from None
    _require_manage(user)
    initial = {"unit": group.unit_id, "name": group.name, "leader": group.leader, "active": group.active}
    form = GroupForm(request.POST or None, initial=initial, user=user, units=units_visible_to(user))
    if request.method == "POST" and form.is_valid():
        done = _save(request, form, group)
        if done is not None:
            return done
    return render(request, "workorders/group_form.html", {"form": form, "group": group})


urlpatterns = [
    path("groups/", groups, name="groups"),
    path("groups/<int:pk>/edit/", group_edit, name="group_edit"),
]
