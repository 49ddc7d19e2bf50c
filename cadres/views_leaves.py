"""Pages of leave records (请假记录) on a cadre's profile: add, edit, delete. Every role reads
them on the profile within its subtree; writing needs ``edit_registry`` (others get 403), a
cadre or record outside the subtree answers 404. A change regrades the open annual periods."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse

from . import selectors
from . import services_leaves as services
from .forms import apply_service_errors
from .forms_leaves import LeaveForm, leave_initial
from .selectors_leaves import leave_days, leave_get

GRADE_NOTE = "进行中的年度考核将按“长期请假”规则重新计算等次。"


def _require_edit(user) -> None:
    if not user.can("edit_registry"):
        raise PermissionDenied("您的角色无权登记请假记录。")


def _back(cadre) -> str:
    return reverse("cadres:detail", args=[cadre.pk]) + "#leaves"


@login_required
def leave_create(request, pk):
    user = request.user
    cadre = selectors.cadre_get(user, pk)
    _require_edit(user)
    form = LeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            leave = services.leave_create(actor=user, cadre=cadre, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已登记“{cadre.name}”的{leave}，{leave_days(leave)}天；{GRADE_NOTE}")
            return redirect(_back(cadre))
    return render(request, "cadres/leave_form.html", {"form": form, "cadre": cadre, "title": "登记请假"})


@login_required
def leave_edit(request, pk, lid):
    user = request.user
    cadre = selectors.cadre_get(user, pk)
    leave = leave_get(user, lid, cadre=cadre)
    _require_edit(user)
    form = LeaveForm(request.POST or None, initial=leave_initial(leave))
    if request.method == "POST" and form.is_valid():
        try:
            leave = services.leave_update(actor=user, leave=leave, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已保存“{cadre.name}”的{leave}；{GRADE_NOTE}")
            return redirect(_back(cadre))
    return render(
        request,
        "cadres/leave_form.html",
        {"form": form, "cadre": cadre, "leave": leave, "title": "修改请假记录"},
    )


@login_required
def leave_delete(request, pk, lid):
    """GET asks to confirm (the profile's button asks in the browser and posts here directly)."""
    user = request.user
    cadre = selectors.cadre_get(user, pk)
    leave = leave_get(user, lid, cadre=cadre)
    _require_edit(user)
    if request.method != "POST":
        leave.days = leave_days(leave)
        return render(request, "cadres/leave_delete.html", {"cadre": cadre, "leave": leave})
    label = str(leave)
    services.leave_delete(actor=user, leave=leave)
    messages.success(request, f"已删除“{cadre.name}”的{label}，删除记录已记入全程纪实；{GRADE_NOTE}")
    return redirect(_back(cadre))


urlpatterns = [
    path("<int:pk>/leaves/new/", leave_create, name="leave_create"),
    path("<int:pk>/leaves/<int:lid>/edit/", leave_edit, name="leave_edit"),
    path("<int:pk>/leaves/<int:lid>/delete/", leave_delete, name="leave_delete"),
]
