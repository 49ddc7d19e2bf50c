"""Registry pages: cadres with their histories, the org tree and leadership teams.

Views stay thin: parse the request, call one selector or service, render. Objects outside the
user's subtree answer 404 (through the selectors); roles without ``edit_registry`` get 403.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from audit.selectors import cadre_timeline
from audit.services import audit_view
from audit.views import present_entries
from core import registry

from . import selectors, services
from .forms import (
    HISTORY_FORMS,
    CadreDeleteForm,
    CadreEditForm,
    CadreFilterForm,
    CadreForm,
    PostRecordForm,
    TeamMemberForm,
    UnitCreateForm,
    UnitEditForm,
    apply_service_errors,
)
from .models import FRONTLINE_POST_KINDS, Education, PostKind, PostRecord, TeamMembership, Unit

PAGE_SIZE = 50
HISTORY_MODELS = {"education": Education, "post": PostRecord}
HISTORY_LABELS = {"education": "学历", "post": "任职经历"}
TIMELINE_LIMIT = 30


def _require_edit(user) -> None:
    if not user.can("edit_registry"):
        raise PermissionDenied("您的角色无权维护干部名册。")


def _full_years(start: datetime.date | None, today: datetime.date) -> int | None:
    if start is None:
        return None
    return today.year - start.year - ((today.month, today.day) < (start.month, start.day))


# ---------------------------------------------------------------- cadre list


@login_required
def cadre_list(request):
    user = request.user
    units = selectors.units_visible_to(user)
    form = CadreFilterForm(request.GET or None, user=user, units=units)
    filters = form.cleaned_data if form.is_valid() else {}
    cadres = selectors.cadre_list(
        user,
        unit=filters.get("unit"),
        kind=filters.get("kind"),
        status=filters.get("status"),
        name=filters.get("name"),
        age_min=filters.get("age_min"),
        age_max=filters.get("age_max"),
    )
    page = Paginator(cadres, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for cadre in page.object_list:
        cadre.current_age = cadre.age(today)
    show_id_number = user.can("view_id_number")
    if show_id_number:  # every view of full ID numbers is on the record
        audit_view(actor=user, cadres=page.object_list, where=f"干部名册第{page.number}页")
    return render(
        request,
        "cadres/list.html",
        {
            "form": form,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "show_id_number": show_id_number,
            "can_edit": user.can("edit_registry"),
            "filtered": any(v not in (None, "") for v in filters.values()),
        },
    )


# ---------------------------------------------------------------- one cadre


@login_required
def cadre_detail(request, pk):
    user = request.user
    cadre = selectors.cadre_get(user, pk)
    today = timezone.localdate()
    posts = list(cadre.posts.select_related("unit").annotate(unit_label=selectors.unit_label("unit__")))
    for post in posts:
        # the name recorded with the post, told apart from a namesake while it is still the unit's name
        same = post.unit_id and post.unit_name == post.unit.name
        post.unit_text = post.unit_label if same else post.unit_name
        post.frontline = post.kind in FRONTLINE_POST_KINDS
        post.first_secretary = post.kind == PostKind.FIRST_SECRETARY
        post.principal = post.kind == PostKind.TOWNSHIP_PRINCIPAL
    show_id_number = user.can("view_id_number")
    if show_id_number:
        audit_view(actor=user, cadres=[cadre], where="干部信息页", scope_path=cadre.unit.path)
    # the timeline's filter by kind (?timeline=<source key>); an unknown key shows every kind
    sources = registry.timeline_sources()
    kind = request.GET.get("timeline", "")
    if kind not in {s.key for s in sources}:
        kind = ""
    timeline = None
    if user.can("view_audit"):
        timeline = present_entries(cadre_timeline(user, cadre)[:200], user, hide=frozenset({"cadre"}))
    return render(
        request,
        "cadres/detail.html",
        {
            "cadre": cadre,
            # what the apps above this one show (grades, talks, clues, sanctions ...): core/registry.py
            "sections": registry.profile_sections(user, cadre),
            "events": registry.timeline_entries(user, cadre, limit=TIMELINE_LIMIT, source=kind or None),
            "timeline_kinds": [
                (s.key, s.label) for s in sources if s.key != "audit.entries" or user.can("view_audit")
            ],
            "timeline_kind": kind,
            "age": cadre.age(today),
            "work_years": _full_years(cadre.work_start_date, today),
            "party_years": _full_years(cadre.party_join_date, today),
            "township_years": _full_years(cadre.township_service_start, today),
            "educations": list(cadre.educations.all()),
            "posts": posts,
            "frontline_count": sum(1 for p in posts if p.frontline),
            "team_roles": list(selectors.cadre_team_roles(user, cadre)),
            "timeline": timeline,
            "show_id_number": show_id_number,
            "can_edit": user.can("edit_registry"),
        },
    )


@login_required
def cadre_create(request):
    user = request.user
    _require_edit(user)
    units = selectors.units_visible_to(user)
    initial = {}
    if request.GET.get("unit"):
        initial["unit"] = selectors.unit_get(user, request.GET["unit"])
    form = CadreForm(request.POST or None, user=user, units=units, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            cadre = services.cadre_create(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已登记干部“{cadre.name}”。")
            return redirect("cadres:detail", pk=cadre.pk)
    return render(request, "cadres/form.html", {"form": form, "title": "登记干部"})


@login_required
def cadre_edit(request, pk):
    user = request.user
    cadre = selectors.cadre_get(user, pk)
    _require_edit(user)
    units = selectors.units_visible_to(user)
    form = CadreEditForm(request.POST or None, instance=cadre, user=user, units=units)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("reason", "approval_reason")}
        try:
            services.cadre_update(
                actor=user,
                cadre=cadre,
                reason=form.cleaned_data["reason"],
                approval_reason=form.cleaned_data.get("approval_reason", ""),
                **data,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已保存“{cadre.name}”的修改。")
            return redirect("cadres:detail", pk=cadre.pk)
    if request.method == "GET":  # the form shows the full ID number: on the record too
        audit_view(actor=user, cadres=[cadre], where="修改干部信息页", scope_path=cadre.unit.path)
    return render(
        request,
        "cadres/form.html",
        {"form": form, "cadre": cadre, "title": f"修改干部信息：{form.initial.get('name', cadre.name)}"},
    )


@login_required
def cadre_delete(request, pk):
    user = request.user
    cadre = selectors.cadre_get(user, pk)
    _require_edit(user)
    form = CadreDeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        name = cadre.name
        try:
            services.cadre_delete(actor=user, cadre=cadre, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已删除干部“{name}”，删除记录已记入全程纪实。")
            return redirect("cadres:list")
    return render(request, "cadres/delete.html", {"form": form, "cadre": cadre})


# ------------------------------------------------- education and post history


def _history_form(kind, request, user, instance=None):
    form_class = HISTORY_FORMS[kind]
    kwargs = {"instance": instance}
    if form_class is PostRecordForm:
        kwargs.update(user=user, units=selectors.units_visible_to(user))
    return form_class(request.POST or None, **kwargs)


def _history_get(cadre, kind, hid):
    if kind not in HISTORY_MODELS:
        raise Http404
    return get_object_or_404(HISTORY_MODELS[kind], pk=hid, cadre=cadre)


@login_required
def history_edit(request, pk, kind, hid=None):
    """Add (``hid`` None) or edit one education or post-history entry."""
    user = request.user
    if kind not in HISTORY_MODELS:
        raise Http404
    cadre = selectors.cadre_get(user, pk)
    instance = _history_get(cadre, kind, hid) if hid is not None else None
    _require_edit(user)
    form = _history_form(kind, request, user, instance)
    if request.method == "POST" and form.is_valid():
        entry = form.to_instance()
        try:
            services.history_save(
                actor=user,
                cadre=cadre,
                instance=entry,
                approval_reason=form.cleaned_data.get("approval_reason", ""),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            verb = "修改" if hid is not None else "添加"
            messages.success(request, f"已{verb}{HISTORY_LABELS[kind]}：{entry}。")
            return redirect(reverse("cadres:detail", args=[cadre.pk]) + f"#{kind}")
    action = "修改" if hid is not None else "添加"
    return render(
        request,
        "cadres/history_form.html",
        {"form": form, "cadre": cadre, "kind": kind, "title": f"{action}{HISTORY_LABELS[kind]}"},
    )


@login_required
@require_POST
def history_delete(request, pk, kind, hid):
    user = request.user
    cadre = selectors.cadre_get(user, pk)
    instance = _history_get(cadre, kind, hid)
    _require_edit(user)
    label = str(instance)
    services.history_delete(actor=user, cadre=cadre, instance=instance)
    messages.success(request, f"已删除{HISTORY_LABELS[kind]}：{label}。")
    return redirect(reverse("cadres:detail", args=[cadre.pk]) + f"#{kind}")


# ---------------------------------------------------------------- units


@login_required
def unit_list(request):
    user = request.user
    units = list(
        selectors.units_visible_to(user)
        .annotate(direct=Count("cadres"), label=selectors.unit_label())
        .order_by("path")
    )
    # Subtree totals from the direct counts: each unit adds its count to every ancestor's path.
    totals: dict[str, int] = {}
    step = Unit.steplen
    for unit in units:
        for depth in range(1, unit.depth + 1):
            key = unit.path[: depth * step]
            totals[key] = totals.get(key, 0) + unit.direct
    leaders = {
        m.unit_id: m
        for m in TeamMembership.objects.filter(
            is_main_leader=True, unit__in=[u.pk for u in units]
        ).select_related("cadre")
    }
    base = min((u.depth for u in units), default=1)
    for unit in units:
        unit.level = unit.depth - base
        unit.indent = unit.level * 1.5
        unit.total = totals.get(unit.path, 0)
        unit.main_leader = leaders.get(unit.pk)
    return render(
        request,
        "cadres/units.html",
        {"units": units, "can_edit": user.can("edit_registry")},
    )


@login_required
def unit_detail(request, pk):
    unit = selectors.unit_get(request.user, pk)
    return _render_unit_detail(request, unit)


def _render_unit_detail(request, unit, team_form=None):
    user = request.user
    can_edit = user.can("edit_registry")
    subtree_cadres = selectors.cadre_list(user, unit=unit)
    if can_edit and team_form is None:
        team_form = TeamMemberForm(user=user, unit=unit)
    path = user.scope_path or ""
    ancestors = [a for a in Unit.objects.get_ancestors(unit) if a.path.startswith(path)]
    children = Unit.objects.get_children(unit).annotate(direct=Count("cadres"), label=selectors.unit_label())
    return render(
        request,
        "cadres/unit_detail.html",
        {
            "unit": unit,
            "ancestors": ancestors,
            "children": children,
            "team": unit.team.select_related("cadre", "cadre__unit").annotate(
                unit_label=selectors.unit_label("cadre__unit__")
            ),
            "cadre_total": subtree_cadres.count(),
            "direct_total": unit.cadres.count(),
            "team_form": team_form,
            "can_edit": can_edit,
            "can_add_child": can_edit and bool(services.CHILD_KINDS[unit.kind]),
        },
    )


@login_required
def unit_create(request):
    user = request.user
    _require_edit(user)
    units = selectors.units_visible_to(user)
    initial = {}
    if request.GET.get("parent"):
        initial["parent"] = selectors.unit_get(user, request.GET["parent"])
    form = UnitCreateForm(request.POST or None, user=user, units=units, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit = services.unit_create(
                actor=user, parent=data["parent"], code=data["code"], name=data["name"], kind=data["kind"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已新建单位“{unit.name}”。")
            return redirect("cadres:unit_detail", pk=unit.pk)
    return render(request, "cadres/unit_form.html", {"form": form, "title": "新建单位"})


@login_required
def unit_edit(request, pk):
    user = request.user
    unit = selectors.unit_get(user, pk)
    _require_edit(user)
    form = UnitEditForm(request.POST or None, instance=unit)
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_update(
                actor=user, unit=unit, name=form.cleaned_data["name"], code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已保存单位“{unit.name}”。")
            return redirect("cadres:unit_detail", pk=unit.pk)
    return render(
        request, "cadres/unit_form.html", {"form": form, "unit": unit, "title": f"修改单位：{unit.name}"}
    )


@login_required
@require_POST
def team_add(request, pk):
    user = request.user
    unit = selectors.unit_get(user, pk)
    _require_edit(user)
    form = TeamMemberForm(request.POST, user=user, unit=unit)
    if form.is_valid():
        data = form.cleaned_data
        try:
            member = services.team_member_add(
                actor=user,
                unit=unit,
                cadre=data["cadre"],
                role_title=data["role_title"],
                is_main_leader=data["is_main_leader"],
                order=data["order"] or 0,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已将“{member.cadre.name}”加入领导班子（{member.role_title}）。")
            return redirect(reverse("cadres:unit_detail", args=[unit.pk]) + "#team")
    return _render_unit_detail(request, unit, team_form=form)


def _member_get(request, pk, mid) -> TeamMembership:
    unit = selectors.unit_get(request.user, pk)
    return get_object_or_404(TeamMembership.objects.select_related("unit", "cadre"), pk=mid, unit=unit)


@login_required
@require_POST
def team_remove(request, pk, mid):
    member = _member_get(request, pk, mid)
    _require_edit(request.user)
    services.team_member_remove(actor=request.user, member=member)
    messages.success(request, f"已将“{member.cadre.name}”移出领导班子。")
    return redirect(reverse("cadres:unit_detail", args=[pk]) + "#team")


@login_required
@require_POST
def team_set_main(request, pk, mid):
    member = _member_get(request, pk, mid)
    _require_edit(request.user)
    services.team_set_main_leader(actor=request.user, member=member)
    messages.success(request, f"已设“{member.cadre.name}”为主要负责人。")
    return redirect(reverse("cadres:unit_detail", args=[pk]) + "#team")
