"""The recall statistics page and its xlsx download (``?format=xlsx``): thin, the figures come
from ``recall.statistics.recall_statistics``."""

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from cadres.selectors import unit_get
from core.xlsx import XLSX_CONTENT_TYPE

from .forms_statistics import StatisticsFilterForm
from .statistics import recall_statistics, statistics_title, statistics_xlsx, summary_lines


def xlsx_download(stats: dict) -> HttpResponse:
    """The workbook of ``stats`` as a download (the page's and the API's)."""
    response = HttpResponse(statistics_xlsx(stats), content_type=XLSX_CONTENT_TYPE)
    filename = f"{statistics_title(stats)}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_safe
def statistics_view(request):
    user = request.user
    # a unit outside the user's subtree is answered as one that does not exist
    unit = unit_get(user, request.GET["unit"]) if request.GET.get("unit") else None
    form = StatisticsFilterForm(request.GET, user=user)
    stats = None
    if form.is_valid():
        stats = recall_statistics(user, unit=unit, **form.statistics_kwargs())
        if request.GET.get("format") == "xlsx":
            return xlsx_download(stats)
    return render(
        request,
        "recall/statistics.html",
        {
            "form": form,
            "stats": stats,
            "title": statistics_title(stats) if stats else "干部召回情况统计",
            "summary": summary_lines(stats) if stats else [],
        },
    )
