"""The results page of one unit subtree in one period: grade distribution, the quota rule in
words, the filterable list of assessments with their explanations, and the leadership teams."""

from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_safe

from cadres.selectors import unit_get, unit_label

from .. import printing
from ..reports import grade_distribution, grade_scale, quota_rule_lines
from ..selectors import assessments_visible_to, period_get, team_assessments_visible_to
from ..services.quotas import quota_panel
from ..services.recompute import policy_resolver

PAGE_SIZE = 50


class ResultsFilterForm(forms.Form):
    grade = forms.ChoiceField(label="最终等次", required=False)
    review = forms.BooleanField(label="只看待复核", required=False)
    name = forms.CharField(label="姓名", required=False, max_length=50)

    def __init__(self, *args, grades, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [("", "全部等次"), *((g, g) for g in grades), ("-", "未评定")]
        self.fields["grade"].widget.attrs["class"] = "form-select"
        self.fields["name"].widget.attrs.update({"class": "form-control", "placeholder": "姓名包含"})
        self.fields["review"].widget.attrs["class"] = "form-check-input"


@login_required
@require_safe
def results(request, period_pk, unit_pk):
    user = request.user
    period = period_get(user, period_pk)
    unit = unit_get(user, unit_pk)
    subtree = assessments_visible_to(user).filter(period=period, unit__path__startswith=unit.path)
    scale = grade_scale(period)

    form = ResultsFilterForm(request.GET or None, grades=scale)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = subtree.select_related("cadre", "unit").annotate(unit_label=unit_label("unit__"))
    grade = filters.get("grade") or ""
    if grade:
        rows = rows.filter(final_grade="" if grade == "-" else grade)
    if filters.get("review"):
        rows = rows.filter(review_required=True)
    if (filters.get("name") or "").strip():
        rows = rows.filter(cadre__name__contains=filters["name"].strip())
    rows = rows.order_by("unit__path", F("rank_in_unit").asc(nulls_last=True), "cadre_id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))

    teams = (
        team_assessments_visible_to(user)
        .filter(period=period, unit__path__startswith=unit.path)
        .select_related("unit")
        .annotate(unit_label=unit_label("unit__"))
        .order_by("unit__path")
    )
    resolver = policy_resolver(unit.path)
    download = {"period": period.pk, "unit": unit.pk, "format": "xlsx"}
    if grade and grade != "-":
        download["grade"] = grade
    return render(
        request,
        "assessment/results.html",
        {
            "period": period,
            "unit": unit,
            "distribution": grade_distribution(subtree, period),
            "rules": quota_rule_lines(resolver.policy(unit.path), period),
            # the 优秀名额 panel: this unit's quota, who is not in its base, the units below
            "quota": quota_panel(user, period=period, unit=unit, resolver=resolver)
            if period.is_annual
            else None,
            "form": form,
            "filtered": any(v not in (None, "", False) for v in filters.values()),
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "teams": list(teams) if period.is_annual else [],
            "xlsx_url": reverse("grade-report-list") + "?" + urlencode(download),
            # print jobs too large for one request are offered unit by unit (assessment/printing.py)
            "pdf_too_large": page.paginator.count > printing.RESULTS_MAX_ROWS,
            "batch_max": printing.BATCH_MAX_FORMS,
            "results_max": printing.RESULTS_MAX_ROWS,
        },
    )


urlpatterns = [
    path("periods/<int:period_pk>/units/<int:unit_pk>/results/", results, name="results"),
]
