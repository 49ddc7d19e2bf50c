"""Pages of assessment periods: the list, a period's steps and units, its indicator schemes,
the score-entry grid of a unit, and one cadre's result with its adjustments.

Views stay thin: parse, call one service or selector, render. Objects outside the user's
subtree answer 404; a role without the capability gets 403.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from audit.selectors import audit_visible_to
from audit.views import present_entries
from cadres.models import CadreKind
from cadres.selectors import scope_q, unit_get, unit_label, units_visible_to
from core.selectors import jobs_visible_to

from ..forms import CategoryForm, CorrectionForm, IndicatorFormSet, OverrideForm, PeriodForm, TransitionForm
from ..models import (
    SCORING_STATUSES,
    VOTE_FIELDS,
    Assessment,
    IndicatorGroup,
    PeriodStatus,
    Scheme,
    TeamAssessment,
)
from ..selectors import (
    assessment_get,
    assessments_visible_to,
    period_get,
    periods_visible_to,
    team_assessments_visible_to,
)
from ..services import periods as period_services
from ..services import scores as score_services
from ..services.recompute import JOB_KIND, recompute_request
from ..tracks import TrackTable
from ..votes import vote_errors

PAGE_SIZE = 50
UNITS_PAGE_SIZE = 100
GRID_PAGE_SIZE = 200
STEPS = [
    PeriodStatus.DRAFT,
    PeriodStatus.COLLECTING,
    PeriodStatus.GRADING,
    PeriodStatus.PUBLISHED,
    PeriodStatus.ARCHIVED,
]
TRANSITION_LABELS = {
    (PeriodStatus.DRAFT, PeriodStatus.COLLECTING): ("开启采集评分", "bi-play-circle"),
    (PeriodStatus.COLLECTING, PeriodStatus.GRADING): ("进入评定等次", "bi-calculator"),
    (PeriodStatus.GRADING, PeriodStatus.COLLECTING): ("退回采集评分", "bi-arrow-counterclockwise"),
    (PeriodStatus.GRADING, PeriodStatus.PUBLISHED): ("公布结果", "bi-megaphone"),
    (PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED): ("归档", "bi-archive"),
}
TRANSITION_CONFIRM = {
    PeriodStatus.PUBLISHED: "公布前将重新计算全部等次，公布后只能通过“更正”修改。确定公布吗？",
    PeriodStatus.ARCHIVED: "归档后考核结果不能再更正。确定归档吗？",
}


def _require(user, capability: str, message: str) -> None:
    if not user.can(capability):
        raise PermissionDenied(message)


def _page(request, qs, size):
    page = Paginator(qs, size).get_page(request.GET.get("page"))
    return page, page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)


def _errors_text(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def _next_url(request, fallback: str) -> str:
    url = request.POST.get("next") or request.GET.get("next")
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return fallback


# ---------------------------------------------------------------- periods


@login_required
def period_list(request):
    user = request.user
    can_manage = user.can("manage_assessment")
    form = PeriodForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        _require(user, "manage_assessment", "您的角色无权创建考核期。")
        if form.is_valid():
            data = form.cleaned_data
            try:
                period = period_services.period_create(
                    actor=user, name=data["name"], year=data["year"], quarter=data["quarter"]
                )
            except ValidationError as exc:
                _apply(form, exc)
            else:
                messages.success(request, f"已创建考核期“{period.name}”，考核方案已从默认方案复制。")
                return redirect("assessment:period_detail", pk=period.pk)
    in_scope = scope_q(user, prefix="assessments__unit__")
    periods = (
        periods_visible_to(user)
        .annotate(
            assessed=Count("assessments", filter=in_scope, distinct=True),
            graded=Count("assessments", filter=in_scope & ~Q(assessments__final_grade=""), distinct=True),
        )
        .order_by("-year", F("quarter").desc(nulls_first=True), "-pk")
    )
    page, page_range = _page(request, periods, PAGE_SIZE)
    return render(
        request,
        "assessment/period_list.html",
        {"page": page, "page_range": page_range, "form": form, "can_manage": can_manage},
    )


def _apply(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _steps(period):
    current = STEPS.index(period.status)
    return [
        {"label": PeriodStatus(s).label, "done": i < current, "current": i == current}
        for i, s in enumerate(STEPS)
    ]


def _latest_job(user, period):
    return (
        jobs_visible_to(user).filter(kind=JOB_KIND, params__period=period.pk).order_by("-created_at").first()
    )


def _render_period(request, period, category_form=None):
    user = request.user
    scheme_list = list(Scheme.objects.filter(period=period).order_by("category", "pk"))
    base = next((s for s in scheme_list if s.category == ""), None)
    indicators = list(base.indicators.all()) if base else []
    tracks = TrackTable()  # read only if an indicator has a track
    for i in indicators:
        i.track_name = tracks.name(i.track)
    units = (
        assessments_visible_to(user)
        .filter(period=period)
        .values("unit_id", "unit__name", "unit__path", unit_label=unit_label("unit__"))
        .annotate(
            total=Count("id"),
            scored=Count("id", filter=~Q(scores={})),
            graded=Count("id", filter=~Q(final_grade="")),
        )
        .order_by("unit__path")
    )
    unit_page, unit_range = _page(request, units, UNITS_PAGE_SIZE)
    transitions = [
        {
            "to": to,
            "label": TRANSITION_LABELS[(period.status, to)][0],
            "icon": TRANSITION_LABELS[(period.status, to)][1],
            "confirm": TRANSITION_CONFIRM.get(to, ""),
        }
        for to in period_services.allowed_transitions(user, period)
    ]
    can_manage = user.can("manage_assessment")
    editable = can_manage and period.status in period_services.SCHEME_EDITABLE
    if editable and category_form is None:
        category_form = CategoryForm()
    if category_form is not None:
        used = {s.category for s in scheme_list}
        category_form.fields["category"].choices = [
            ("", "请选择干部类别"),
            *((k, label) for k, label in CadreKind.choices if k not in used),
        ]
    return render(
        request,
        "assessment/period_detail.html",
        {
            "period": period,
            "steps": _steps(period),
            "transitions": transitions,
            "base_scheme": base,
            "indicators": indicators,
            "category_schemes": [s for s in scheme_list if s.category],
            "unit_page": unit_page,
            "unit_range": unit_range,
            "job": _latest_job(user, period),
            "can_manage": can_manage,
            "scheme_editable": editable,
            "category_form": category_form if editable else None,
            "is_open": period.is_open,
        },
    )


@login_required
def period_detail(request, pk):
    return _render_period(request, period_get(request.user, pk))


@login_required
@require_POST
def period_transition(request, pk):
    user = request.user
    period = period_get(user, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "未知的考核期状态。")
        return redirect("assessment:period_detail", pk=period.pk)
    to = form.cleaned_data["to"]
    if not user.can(period_services.transition_capability(to)):
        raise PermissionDenied(
            "公布或归档考核结果须由部长/分管负责人审批。"
            if to in period_services.APPROVAL_STEPS
            else "您的角色无权变更考核期状态。"
        )
    try:
        period = period_services.period_transition(actor=user, period=period, to=to)
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
    else:
        messages.success(request, f"考核期已进入“{period.get_status_display()}”阶段。")
    return redirect("assessment:period_detail", pk=period.pk)


@login_required
@require_POST
def period_recompute(request, pk):
    user = request.user
    period = period_get(user, pk)
    _require(user, "manage_assessment", "您的角色无权重新计算等次。")
    # over the user's subtree only: a county's button does not recompute the other counties
    job = recompute_request(actor=user, period=period, reason="手动重新计算")
    if job is None:
        messages.warning(
            request,
            f"考核期为“{period.get_status_display()}”状态，不重新计算；只有采集评分和评定等次阶段会重新计算。",
        )
    else:
        messages.success(request, "已提交重新计算，进度见下方。")
    return redirect(reverse("assessment:period_detail", args=[period.pk]) + "#recompute")


@login_required
@require_POST
def scheme_add_category(request, pk):
    user = request.user
    period = period_get(user, pk)
    _require(user, "manage_assessment", "您的角色无权修改考核方案。")
    form = CategoryForm(request.POST)
    if form.is_valid():
        try:
            scheme = period_services.scheme_add_category(
                actor=user, period=period, category=form.cleaned_data["category"]
            )
        except ValidationError as exc:
            _apply(form, exc)
        else:
            messages.success(request, f"已新增分类方案“{scheme.name}”，请按需修改指标。")
            return redirect(reverse("assessment:scheme", args=[period.pk]) + f"?category={scheme.category}")
    return _render_period(request, period, category_form=form)


# ---------------------------------------------------------------- schemes


def _scheme_initial(indicators):
    return [
        {
            "code": i.code,
            "name": i.name,
            "group": i.group,
            "track": i.track,
            "dimension": i.dimension,
            "source": i.source,
            "weight": f"{i.weight.normalize():f}",
            "min_score": f"{i.min_score.normalize():f}",
            "max_score": f"{i.max_score.normalize():f}",
            "order": i.order,
        }
        for i in indicators
    ]


@login_required
def scheme_edit(request, pk):
    user = request.user
    period = period_get(user, pk)
    category = request.GET.get("category", "")
    scheme = Scheme.objects.filter(period=period, category=category).first()
    if scheme is None:
        raise Http404("该考核方案不存在。")
    scheme.period = period
    editable = period_services.scheme_is_editable(user, scheme)
    indicators = list(scheme.indicators.all())
    tracks = TrackTable()
    # the active tracks, and any the scheme already uses (deactivated since, it keeps them)
    track_kwargs = {"track_choices": tracks.choices(keep={i.track for i in indicators})}
    for i in indicators:
        i.track_name = tracks.name(i.track)
    if request.method == "POST":
        _require(user, "manage_assessment", "您的角色无权修改考核方案。")
        formset = IndicatorFormSet(request.POST, prefix="ind", form_kwargs=track_kwargs)
        if not editable:
            messages.error(request, f"考核期已进入“{period.get_status_display()}”阶段，考核方案不能再修改。")
        elif formset.is_valid():
            rows = formset.rows()
            try:
                period_services.scheme_save(actor=user, scheme=scheme, indicators=[r for _, r in rows])
            except ValidationError as exc:
                _apply_scheme_errors(formset, rows, exc)
            else:
                messages.success(request, "考核方案已保存，等次将按新方案重新计算。")
                url = reverse("assessment:scheme", args=[period.pk])
                return redirect(url + (f"?category={category}" if category else ""))
    else:
        formset = IndicatorFormSet(
            initial=_scheme_initial(indicators), prefix="ind", form_kwargs=track_kwargs
        )
    return render(
        request,
        "assessment/scheme.html",
        {
            "period": period,
            "scheme": scheme,
            "formset": formset,
            "editable": editable,
            "indicators": indicators,
            "schemes": list(Scheme.objects.filter(period=period).order_by("category", "pk")),
            "individual": IndicatorGroup.INDIVIDUAL,
        },
    )


def _apply_scheme_errors(formset, rows, exc: ValidationError) -> None:
    """Row errors ("0", "1" … in the service's order) onto the form they came from."""
    formset.scheme_errors = []
    if not hasattr(exc, "error_dict"):
        formset.scheme_errors = exc.messages
        return
    for key, errors in exc.error_dict.items():
        messages_ = [m for e in errors for m in e.messages]
        if key.isdigit() and int(key) < len(rows):
            formset.forms[rows[int(key)][0]].row_errors = messages_
        formset.scheme_errors.extend(messages_)


# ---------------------------------------------------------------- the grid


def _grid_columns(specs, kinds):
    """The union of indicators used by the cadres on the page, base scheme order first."""
    columns: dict[str, object] = {}
    for kind in ["", *sorted(kinds)]:
        scheme = score_services.specs_for(specs, kind) if kind else specs.get("", {})
        for code, spec in scheme.items():
            columns.setdefault(code, spec)
    return list(columns.values())


def _cell_errors(messages_, columns):
    """{code: message} for the cells a service message names, and the rest."""
    cells, rest = {}, []
    for message in messages_:
        for spec in columns:
            if f"指标“{spec.code}”" in message:
                cells.setdefault(spec.code, message)
                break
        else:
            rest.append(message)
    return cells, rest


@login_required
def grid(request, pk, unit_pk):
    user = request.user
    period = period_get(user, pk)
    unit = unit_get(user, unit_pk)
    editable = period.status in SCORING_STATUSES and user.can("enter_scores")
    qs = (
        Assessment.objects.filter(period=period, unit=unit)
        .select_related("cadre")
        .order_by("cadre__name", "cadre_id")
    )
    page, page_range = _page(request, qs, GRID_PAGE_SIZE)
    rows = list(page.object_list)
    specs = score_services.scheme_specs(period)
    columns = _grid_columns(specs, {r.cadre.kind for r in rows if r.cadre.kind in specs})
    has_tracks = any(c.individual for c in columns)
    # 民主测评 votes are entered with the annual assessment
    vote_columns = VOTE_FIELDS if period.is_annual else ()
    posted, errors, bad_votes = {}, {}, {}
    if request.method == "POST":
        _require(user, "enter_scores", "您的角色无权录入评分。")
        if not editable:
            messages.error(request, score_services.REFUSED.get(period.status, "当前阶段不能录入评分。"))
            return redirect(request.get_full_path())
        posted, entries = _parse_grid(request.POST, rows, columns, has_tracks, vote_columns)
        try:
            result = score_services.scores_save(actor=user, period=period, entries=entries)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            bad_votes = vote_errors(exc)
            messages.error(
                request,
                "评分未保存：有 {} 名干部的评分需要修改，请按标红的单元格提示更正。".format(
                    len([k for k in errors if k != "__all__"]) or 1
                ),
            )
        else:
            messages.success(
                request,
                f"评分已保存：新增 {result['created']} 人，修改 {result['updated']} 人，"
                f"未变化 {result['unchanged']} 人；等次将自动重新计算。",
            )
            return redirect(request.get_full_path())
    tracks = TrackTable()  # read only if the page shows a track
    table = []
    for row in rows:
        own = score_services.specs_for(specs, row.cadre.kind)
        track = posted.get(row.cadre_id, {}).get("track", row.track)
        on_votes = bad_votes.get(str(row.cadre_id), {})
        cell_errors, other_errors = _cell_errors(
            [m for m in errors.get(str(row.cadre_id), []) if m not in on_votes.values()], columns
        )
        cells = []
        for index, spec in enumerate(columns):
            mine = own.get(spec.code)
            value = posted.get(row.cadre_id, {}).get(spec.code, (row.scores or {}).get(spec.code, ""))
            cells.append(
                {
                    "name": f"s-{row.cadre_id}-{index}",
                    "spec": mine,
                    "value": "" if value is None else value,
                    "error": cell_errors.get(spec.code, ""),
                    "off": mine is not None and mine.individual and mine.track != track,
                }
            )
        typed = posted.get(row.cadre_id, {})
        votes = [
            {
                "name": f"v-{row.cadre_id}-{index}",
                "label": label,
                "value": typed.get(name, getattr(row, name)),
                "error": on_votes.get(name, ""),
            }
            for index, (name, label) in enumerate(vote_columns)
        ]
        table.append(
            {
                "a": row,
                "cells": cells,
                "votes": votes,
                "track": track,
                "track_name": tracks.name(track),
                "errors": other_errors,
                "bad": bool(errors.get(str(row.cadre_id))),
            }
        )
    children = (
        units_visible_to(user)
        .filter(path__startswith=unit.path, depth=unit.depth + 1)
        .annotate(label=unit_label())
        .order_by("path")
    )
    return render(
        request,
        "assessment/grid.html",
        {
            "period": period,
            "unit": unit,
            "columns": columns,
            "table": table,
            "page": page,
            "page_range": page_range,
            "editable": editable,
            "has_tracks": has_tracks,
            "vote_columns": vote_columns,
            "width": len(columns) + len(vote_columns) + 4 + has_tracks,
            # the active tracks, and those the page's cadres hold (deactivated since)
            "tracks": tracks.choices(keep={r["track"] for r in table}) if has_tracks and editable else [],
            "column_heads": [(c, tracks.name(c.track) if c.individual else "") for c in columns],
            "children": children,
            "general_errors": errors.get("__all__", []),
        },
    )


def _parse_grid(data, rows, columns, has_tracks, vote_columns=()):
    """(posted values per cadre, service entries) from the grid's inputs."""
    posted: dict[int, dict] = {}
    entries = []
    for row in rows:
        values, scores, votes = {}, {}, {}
        for index, spec in enumerate(columns):
            name = f"s-{row.cadre_id}-{index}"
            if name in data:
                values[spec.code] = scores[spec.code] = data.get(name, "").strip()
        for index, (field, _) in enumerate(vote_columns):
            name = f"v-{row.cadre_id}-{index}"
            if name in data:
                values[field] = votes[field] = data.get(name, "").strip()
        entry = {"cadre": row.cadre_id, "scores": scores, "key": str(row.cadre_id)}
        if votes:
            entry["votes"] = votes
        if has_tracks and f"t-{row.cadre_id}" in data:
            entry["track"] = values["track"] = data.get(f"t-{row.cadre_id}", "")
        posted[row.cadre_id] = values
        if scores or votes or "track" in entry:
            entries.append(entry)
    return posted, entries


# ---------------------------------------------------------------- one assessment


def _render_assessment(request, assessment, override_form=None, correction_form=None):
    user = request.user
    period = assessment.period
    specs = score_services.specs_for(score_services.scheme_specs(period), assessment.cadre.kind)
    applicable = [s for s in specs.values() if not s.individual or s.track == assessment.track]
    can_manage = user.can("manage_assessment")
    scale = score_services.period_scale(period)
    if can_manage and period.status in score_services.OVERRIDE_STATUSES and override_form is None:
        override_form = OverrideForm(scale=scale, initial={"grade": assessment.override_grade})
    if can_manage and period.status == PeriodStatus.PUBLISHED and correction_form is None:
        correction_form = CorrectionForm(scale=scale, indicators=applicable, scores=assessment.scores or {})
    timeline = None
    if user.can("view_audit"):
        entries = audit_visible_to(user).filter(model="assessment.assessment", object_id=str(assessment.pk))
        timeline = present_entries(entries.order_by("-id")[:100], user, hide=frozenset({"explanation"}))
    return render(
        request,
        "assessment/assessment_detail.html",
        {
            "a": assessment,
            "track_name": TrackTable().name(assessment.track),
            "period": period,
            "cadre": assessment.cadre,
            "scores": [{"spec": s, "value": (assessment.scores or {}).get(s.code)} for s in applicable],
            "computed_scores": [
                {"spec": i, "value": (assessment.scores or {}).get(i.code)}
                for i in score_services.computed_indicators(period, assessment.cadre.kind)
                if not i.track or i.track == assessment.track
            ],
            "votes": _votes_shown(assessment),
            "override_form": override_form if period.status in score_services.OVERRIDE_STATUSES else None,
            "correction_form": correction_form if period.status == PeriodStatus.PUBLISHED else None,
            "timeline": timeline,
        },
    )


def _votes_shown(assessment) -> dict | None:
    """The 民主测评 counts as the result page lists them, with the total and 不称职 share."""
    if assessment.votes is None:
        return None
    share = assessment.votes_incompetent_share
    return {
        "rows": [(label, getattr(assessment, name)) for name, label in VOTE_FIELDS],
        "total": assessment.votes_total,
        "share": "—" if share is None else f"{float(share) * 100:.1f}%",
    }


@login_required
def assessment_detail(request, pk):
    return _render_assessment(request, assessment_get(request.user, pk))


@login_required
@require_POST
def assessment_override(request, pk):
    user = request.user
    assessment = assessment_get(user, pk)
    _require(user, "manage_assessment", "您的角色无权调整等次。")
    form = OverrideForm(request.POST, scale=score_services.period_scale(assessment.period))
    if form.is_valid():
        try:
            assessment = score_services.assessment_override(
                actor=user,
                assessment=assessment,
                grade=form.cleaned_data["grade"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            _apply(form, exc)
        else:
            messages.success(request, f"最终等次为“{assessment.final_grade or '未评定'}”，已记入全程纪实。")
            return redirect("assessment:assessment_detail", pk=assessment.pk)
    return _render_assessment(request, assessment_get(user, pk), override_form=form)


@login_required
@require_POST
def assessment_correct(request, pk):
    user = request.user
    assessment = assessment_get(user, pk)
    _require(user, "manage_assessment", "您的角色无权更正考核结果。")
    period = assessment.period
    specs = score_services.specs_for(score_services.scheme_specs(period), assessment.cadre.kind)
    applicable = [s for s in specs.values() if not s.individual or s.track == assessment.track]
    form = CorrectionForm(
        request.POST,
        scale=score_services.period_scale(period),
        indicators=applicable,
        scores=assessment.scores or {},
    )
    if form.is_valid():
        try:
            assessment = score_services.assessment_correct(
                actor=user,
                assessment=assessment,
                reason=form.cleaned_data["reason"],
                scores=form.scores(),
                grade=form.grade_value(),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for key, errors in exc.error_dict.items():
                    form.add_error(key if key in ("reason", "grade") else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            messages.success(request, f"已更正，最终等次为“{assessment.final_grade or '未评定'}”。")
            return redirect("assessment:assessment_detail", pk=assessment.pk)
    return _render_assessment(request, assessment_get(user, pk), correction_form=form)


@login_required
@require_POST
def team_override(request, pk):
    user = request.user
    try:
        team = team_assessments_visible_to(user).select_related("unit", "period").get(pk=pk)
    except TeamAssessment.DoesNotExist:
        raise Http404("班子考核结果不存在或不在您的管辖范围内。") from None
    _require(user, "manage_assessment", "您的角色无权调整等次。")
    fallback = reverse("assessment:period_detail", args=[team.period_id])
    try:
        score_services.team_override(
            actor=user,
            team_assessment=team,
            grade=request.POST.get("grade", ""),
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
    else:
        messages.success(request, f"已调整“{team.unit.name}”领导班子等次，已记入全程纪实。")
    return redirect(_next_url(request, fallback))


urlpatterns = [
    path("", period_list, name="periods"),
    path("periods/<int:pk>/", period_detail, name="period_detail"),
    path("periods/<int:pk>/transition/", period_transition, name="period_transition"),
    path("periods/<int:pk>/recompute/", period_recompute, name="recompute"),
    path("periods/<int:pk>/scheme/", scheme_edit, name="scheme"),
    path("periods/<int:pk>/scheme/category/", scheme_add_category, name="scheme_add_category"),
    path("periods/<int:pk>/units/<int:unit_pk>/grid/", grid, name="grid"),
    path("assessments/<int:pk>/", assessment_detail, name="assessment_detail"),
    path("assessments/<int:pk>/override/", assessment_override, name="override"),
    path("assessments/<int:pk>/correct/", assessment_correct, name="correct"),
    path("teams/<int:pk>/override/", team_override, name="team_override"),
]
