"""The assessment panels of the home page's dashboard (see ``core.registry.dashboard_panel``):
grades by unit, year on year and quarter by quarter, the scoring progress of open periods and a
county admin's imports. Every figure is one set-based aggregate and links to the list behind it."""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from cadres.models import CadreStatus, Unit
from cadres.selectors import cadre_counts, scope_unit_paths, units_visible_to
from core import registry

from .models import INDIVIDUAL_SCALE, OPEN_STATUSES, QUARTER_SCALE, Assessment, ImportStatus, PeriodStatus
from .selectors import import_batches_visible_to, periods_visible_to

DONE = (PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED)
YEARS = 5  # annual periods in the year-on-year chart
UNGRADED_LABEL = "未评定"
RECENT_IMPORTS = 8


def _results_url(period_id: int, unit_id: int | None, grade: str | None = None) -> str:
    if unit_id is None:
        return ""
    url = reverse("assessment:results", args=[period_id, unit_id])
    if grade is not None:
        url += "?" + urlencode({"grade": grade or "-"})
    return url


def _periods(user) -> list:
    """The recent periods (newest first), one query per request (the panels share it): periods
    grow by five a year."""
    cached = getattr(user, "_dashboard_periods", None)
    if cached is None:
        cached = list(periods_visible_to(user).order_by("-year", "-pk")[: (YEARS + 3) * 5])
        user._dashboard_periods = cached
    return cached


def scope_groups(user) -> tuple[Unit | None, list[Unit], int]:
    """The user's top unit, the units one level below it (the dashboard's bars) and the length
    of their paths, one query. A unit without units below is its own only group."""
    path = user.scope_path
    if path is None:
        return None, [], 0
    steplen = Unit.steplen
    depth = len(path) // steplen + 1
    units = list(units_visible_to(user).filter(depth__lte=depth + 1).order_by("path"))
    if path == "":
        roots = [u for u in units if u.depth == 1]
        if len(roots) != 1:
            return None, roots, steplen
        path, depth = roots[0].path, 2
    top = next((u for u in units if u.path == path), None)
    children = [u for u in units if u.depth == depth and u.path.startswith(path)]
    if not children and top is not None:
        return top, [top], len(top.path)
    return top, children, len(path) + steplen


def _in_scope(user):
    """The user's assessments, filtered by the ids of the units in scope (one indexed
    ``unit_id IN (…)``) rather than by a join of every row to its unit: the aggregates below then
    count straight from the index on (period, unit)."""
    return Assessment.objects.filter(unit_id__in=list(scope_unit_paths(user)))


def _group_of(user, groups: list[Unit], length: int):
    by_path = {u.path: u for u in groups}
    paths = scope_unit_paths(user)
    return lambda unit_id: by_path.get(paths.get(unit_id, "")[:length])


# ---------------------------------------------------------------- grades


def _grades(user) -> dict | None:
    periods = _periods(user)
    annual = [p for p in periods if p.quarter is None and p.status in DONE]
    year = timezone.localdate().year
    quarters = sorted(
        (p for p in periods if p.quarter is not None and p.year == year and p.status != PeriodStatus.DRAFT),
        key=lambda p: p.quarter,
    )
    if not annual and not quarters:
        return None
    top, groups, length = scope_groups(user)
    top_id = top.pk if top else None
    charts = []
    latest = annual[0] if annual else None
    if latest is not None and groups:
        group = _group_of(user, groups, length)
        counts: dict[tuple[int, str], int] = {}
        rows = (
            _in_scope(user)
            .filter(period=latest)
            .order_by()
            .values("unit_id", "final_grade")
            .annotate(n=Count("id"))
        )
        for row in rows:
            unit = group(row["unit_id"])
            if unit is not None:
                key = (unit.pk, row["final_grade"])
                counts[key] = counts.get(key, 0) + row["n"]
        present = {g for _, g in counts}
        grades = [*INDIVIDUAL_SCALE, *sorted(present - set(INDIVIDUAL_SCALE) - {""})]
        if "" in present:
            grades.append("")
        charts.append(
            registry.dashboard_chart(
                "chart-grades-by-unit",
                title=f"{latest.name} 各单位等次分布",
                categories=[u.name for u in groups],
                stack=True,
                series=[
                    {
                        "name": grade or UNGRADED_LABEL,
                        "values": [counts.get((u.pk, grade), 0) for u in groups],
                        "urls": [_results_url(latest.pk, u.pk, grade) for u in groups],
                    }
                    for grade in grades
                ],
            )
        )
    trend = list(reversed(annual[:YEARS]))
    wanted = [p.pk for p in (*trend, *quarters)]
    by_period: dict[int, dict[str, int]] = {pk: {} for pk in wanted}
    if wanted:
        rows = (
            _in_scope(user)
            .filter(period_id__in=wanted)
            .order_by()
            .values("period_id", "final_grade")
            .annotate(n=Count("id"))
        )
        for row in rows:
            by_period[row["period_id"]][row["final_grade"]] = row["n"]
    if trend:
        charts.append(
            _share_chart("chart-grades-by-year", "历年等次占比", trend, INDIVIDUAL_SCALE, by_period, top_id)
        )
    if quarters:
        charts.append(
            _share_chart(
                f"chart-grades-{year}-quarters",
                f"{year}年各季度等次占比",
                quarters,
                QUARTER_SCALE,
                by_period,
                top_id,
            )
        )
    return {"charts": charts, "latest": latest}


def _share_chart(chart_id, title, periods, scale, by_period, top_id) -> dict:
    series = []
    for grade in [*scale, ""]:
        counts = [by_period[p.pk].get(grade, 0) for p in periods]
        totals = [sum(by_period[p.pk].values()) for p in periods]
        if grade == "" and not any(counts):
            continue
        series.append(
            {
                "name": grade or UNGRADED_LABEL,
                "values": [round(c * 100 / t, 1) if t else 0 for c, t in zip(counts, totals, strict=True)],
                "counts": counts,
                "urls": [_results_url(p.pk, top_id, grade) for p in periods],
            }
        )
    return registry.dashboard_chart(
        chart_id,
        title=title,
        categories=[p.name if p.quarter is None else f"第{p.quarter}季度" for p in periods],
        series=series,
        stack=True,
        percent=True,
    )


# ---------------------------------------------------------------- scoring progress


def _progress(user) -> dict | None:
    periods = [p for p in _periods(user) if p.status in OPEN_STATUSES]
    if not periods:
        return None
    top, groups, length = scope_groups(user)
    if not groups:
        return None
    group = _group_of(user, groups, length)
    ids = [p.pk for p in periods]
    cells = {
        (p.pk, u.pk): dict.fromkeys(("assessed", "complete", "committed", "invalid", "failed"), 0)
        for p in periods
        for u in groups
    }
    # cadres on post per unit below: who should have a score
    on_post: dict[int, int] = {}
    for unit_id, _kind, status, n in cadre_counts(user):  # the page's one grouped read of cadres
        unit = group(unit_id) if status == CadreStatus.ON_POST else None
        if unit is not None:
            on_post[unit.pk] = on_post.get(unit.pk, 0) + n
    for row in (
        _in_scope(user)
        .filter(period_id__in=ids)
        .order_by()
        .values("period_id", "unit_id")
        .annotate(
            n=Count("id"),
            complete=Count("id", filter=Q(total_score__isnull=False)),
        )
    ):
        unit = group(row["unit_id"])
        if unit is not None:
            cell = cells[(row["period_id"], unit.pk)]
            cell["assessed"] += row["n"]
            cell["complete"] += row["complete"]
    for row in (
        import_batches_visible_to(user)
        .filter(period_id__in=ids)
        .annotate(prefix=Substr("scope_path", 1, length))
        .order_by()
        .values("period_id", "prefix")
        .annotate(
            committed=Count("id", filter=Q(status=ImportStatus.COMMITTED)),
            invalid=Count("id", filter=Q(status=ImportStatus.INVALID)),
            failed=Count("id", filter=Q(status=ImportStatus.FAILED)),
        )
    ):
        by_path = {u.path: u for u in groups}
        unit = by_path.get(row["prefix"])
        if unit is not None:
            cell = cells[(row["period_id"], unit.pk)]
            for key in ("committed", "invalid", "failed"):
                cell[key] += row[key]
    history = reverse("assessment:import_history") if user.can("import_sheets") else ""
    tables = []
    for p in periods:
        rows = []
        for u in groups:
            cell = cells[(p.pk, u.pk)]
            # sheets with every score in, against the cadres on post: no join of the two (100k rows)
            missing = max(on_post.get(u.pk, 0) - cell["complete"], 0)
            rows.append(
                {
                    "unit": u,
                    **cell,
                    "missing": missing,
                    "results_url": _results_url(p.pk, u.pk),
                    "missing_url": _results_url(p.pk, u.pk, ""),
                    **{
                        f"{status}_url": f"{history}?{urlencode({'period': p.pk, 'status': status})}"
                        if history
                        else ""
                        for status in ("committed", "invalid", "failed")
                    },
                }
            )
        chart = registry.dashboard_chart(
            f"chart-progress-{p.pk}",
            title=f"{p.name} 评分进度",
            categories=[u.name for u in groups],
            stack=True,
            horizontal=True,
            series=[
                {
                    "name": "已完成评分",
                    "values": [r["complete"] for r in rows],
                    "urls": [r["results_url"] for r in rows],
                },
                {
                    "name": "尚未完成评分",
                    "values": [r["missing"] for r in rows],
                    "urls": [r["missing_url"] for r in rows],
                },
            ],
        )
        tables.append({"period": p, "rows": rows, "chart": chart})
    return {"tables": tables}


# ---------------------------------------------------------------- a county admin's imports


def _imports(user) -> dict | None:
    batches = list(
        import_batches_visible_to(user)
        .select_related("period")
        .only(
            "pk", "original_name", "status", "created_at", "rows_total", "rows_ok", "errors", "period__name"
        )
        .order_by("-created_at", "-pk")[:RECENT_IMPORTS]
    )
    return {"batches": batches, "history_url": reverse("assessment:import_history")}


def register() -> None:
    registry.dashboard_panel(
        "assessment.grades",
        order=100,
        title="考核等次分布",
        template="assessment/dashboard_grades.html",
        context=_grades,
        roles={Role.STAFF, Role.HEAD, Role.AUDITOR},
        depends=("assessment", "cadres"),
    )
    registry.dashboard_panel(
        "assessment.progress",
        order=110,
        title="评分进度",
        template="assessment/dashboard_progress.html",
        context=_progress,
        roles={Role.STAFF, Role.HEAD, Role.COUNTY_ADMIN},
        depends=("assessment", "cadres"),
    )
    registry.dashboard_panel(
        "assessment.imports",
        order=120,
        title="我的导入记录",
        template="assessment/dashboard_imports.html",
        context=_imports,
        perm="import_sheets",
        roles={Role.COUNTY_ADMIN},
        keep=False,  # eight rows by index; a county admin looks for the sheet just uploaded
    )
