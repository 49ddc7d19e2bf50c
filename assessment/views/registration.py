"""The 公务员年度考核登记表 (issue 19): the page where staff enter its texts, the form of one
assessment as PDF and as Word, a unit's whole batch as one PDF, and the results list as PDF.

Readers in scope may download (the form carries 出生年月, never the ID number); entering the
texts needs ``manage_assessment``. Downloads are not audited: they show nothing the results
page and the profile do not already show to the same reader.
"""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods, require_safe

from cadres.selectors import unit_get, unit_label

from .. import printing
from ..forms_registration import RegistrationTextForm
from ..models import RegistrationText
from ..reports import grade_distribution, grade_scale
from ..selectors import assessment_get, assessments_visible_to, period_get
from ..services.registration import (
    TEXT_FIELDS,
    registration_for,
    registration_refusal,
    registration_save,
    registrations_of_unit,
)
from .results import ResultsFilterForm


def _annual(assessment):
    if not assessment.period.is_annual:
        raise Http404("考核登记表只用于年度考核，季度平时考核没有登记表。")


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    # RFC 6266: an ASCII fallback, the Chinese name for browsers that read filename*
    response["Content-Disposition"] = (
        f'attachment; filename="registration.{filename.rsplit(".", 1)[-1]}"; '
        f"filename*=UTF-8''{quote(filename)}"
    )
    return response


def _unavailable(request, exc: printing.PrintUnavailable):
    return render(request, "assessment/registration_unavailable.html", {"hint": str(exc)}, status=503)


def _too_large(request, *, period, unit, what: str, count: int, limit: int):
    """A print job too large for one request: say so, and where to print it unit by unit."""
    context = {"period": period, "unit": unit, "what": what, "count": count, "limit": limit}
    return render(request, "assessment/print_too_large.html", context, status=400)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def registration_edit(request, pk):
    user = request.user
    assessment = assessment_get(user, pk)
    _annual(assessment)
    if not user.can("manage_assessment"):
        raise PermissionDenied("您的角色无权填写考核登记表。")
    refusal = registration_refusal(assessment)
    if request.method == "POST" and not refusal:
        form = RegistrationTextForm(request.POST, duty_default=assessment.cadre.post_title)
        if form.is_valid():
            try:
                registration_save(actor=user, assessment=assessment, **form.cleaned_data)
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for key, errors in exc.error_dict.items():
                        form.add_error(key if key in TEXT_FIELDS else None, errors)
                else:
                    form.add_error(None, exc.messages)
            else:
                messages.success(request, "考核登记表已保存，已记入全程纪实。")
                return redirect("assessment:assessment_detail", pk=assessment.pk)
    else:
        text = RegistrationText.objects.filter(assessment=assessment).first()
        initial = {name: getattr(text, name) for name in TEXT_FIELDS} if text else {}
        form = RegistrationTextForm(initial=initial, duty_default=assessment.cadre.post_title)
    return render(
        request,
        "assessment/registration_form.html",
        {
            "a": assessment,
            "cadre": assessment.cadre,
            "period": assessment.period,
            "form": form,
            "refusal": refusal,
        },
    )


@login_required
@require_safe
def registration_pdf(request, pk):
    user = request.user
    assessment = assessment_get(user, pk)
    _annual(assessment)
    form = registration_for(user, assessment)
    try:
        content = printing.registration_pdf([form])
    except printing.PrintUnavailable as exc:
        return _unavailable(request, exc)
    return _download(content, printing.PDF, f"{form.filename_stem}.pdf")


@login_required
@require_safe
def registration_docx(request, pk):
    user = request.user
    assessment = assessment_get(user, pk)
    _annual(assessment)
    form = registration_for(user, assessment)
    return _download(printing.registration_docx(form), printing.DOCX, f"{form.filename_stem}.docx")


@login_required
@require_safe
def unit_registrations_pdf(request, period_pk, unit_pk):
    user = request.user
    period = period_get(user, period_pk)
    if not period.is_annual:
        raise Http404("考核登记表只用于年度考核，季度平时考核没有登记表。")
    unit = unit_get(user, unit_pk)
    count = assessments_visible_to(user).filter(period=period, unit__path__startswith=unit.path).count()
    if count > printing.BATCH_MAX_FORMS:
        return _too_large(
            request,
            period=period,
            unit=unit,
            what="考核登记表",
            count=count,
            limit=printing.BATCH_MAX_FORMS,
        )
    forms = registrations_of_unit(user, period=period, unit=unit)
    try:
        content = printing.registration_pdf(forms)
    except printing.PrintUnavailable as exc:
        return _unavailable(request, exc)
    return _download(content, printing.PDF, f"{period.year}年度考核登记表-{unit.label or unit.name}.pdf")


@login_required
@require_safe
def results_pdf(request, period_pk, unit_pk):
    """The rows of the results page (its filters apply), all of them rather than one page."""
    user = request.user
    period = period_get(user, period_pk)
    unit = unit_get(user, unit_pk)
    subtree = assessments_visible_to(user).filter(period=period, unit__path__startswith=unit.path)
    form = ResultsFilterForm(request.GET or None, grades=grade_scale(period))
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
    title = f"{unit.label or unit.name}{period.results_title}"
    count = rows.count()
    if count > printing.RESULTS_MAX_ROWS:
        return _too_large(
            request, period=period, unit=unit, what="考核结果", count=count, limit=printing.RESULTS_MAX_ROWS
        )
    try:
        content = printing.results_pdf(
            period=period,
            unit=unit,
            rows=list(rows),
            distribution=grade_distribution(subtree, period),
            title=title,
        )
    except printing.PrintUnavailable as exc:
        return _unavailable(request, exc)
    return _download(content, printing.PDF, f"{title}.pdf")


urlpatterns = [
    path("assessments/<int:pk>/registration/", registration_edit, name="registration_edit"),
    path("assessments/<int:pk>/registration.pdf", registration_pdf, name="registration_pdf"),
    path("assessments/<int:pk>/registration.docx", registration_docx, name="registration_docx"),
    path(
        "periods/<int:period_pk>/units/<int:unit_pk>/registrations.pdf",
        unit_registrations_pdf,
        name="unit_registrations_pdf",
    ),
    path("periods/<int:period_pk>/units/<int:unit_pk>/results.pdf", results_pdf, name="results_pdf"),
]
