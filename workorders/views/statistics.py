"""The work-order statistics page and its xlsx download: thin, the figures come from
``workorders.statistics.order_statistics``. ``StatisticsRangeForm`` is also what the API
validates its parameters with, so both refuse the same input with the same Chinese messages."""

from __future__ import annotations

import datetime
from urllib.parse import quote

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_safe

from assessment.models import Period
from cadres.forms import BootstrapMixin, DateInput, unit_field
from cadres.selectors import unit_get, units_visible_to
from core.xlsx import XLSX_CONTENT_TYPE

from ..statistics import COLUMNS, order_statistics, statistics_title, statistics_xlsx

ONE_WAY = "按考核期或按起止日期统计，只能选择一种。"


class StatisticsRangeForm(BootstrapMixin, forms.Form):
    """``period`` (an assessment period's bounds) or ``from`` + ``to``; neither: this year."""

    period = forms.ModelChoiceField(
        label="考核期",
        queryset=Period.objects.all(),
        required=False,
        empty_label="（按起止日期）",
        error_messages={"invalid_choice": "考核期不存在。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword: the fields are added by name
        self.fields["from"] = forms.DateField(
            label="开始日期",
            required=False,
            widget=DateInput(),
            error_messages={"invalid": "开始日期格式不正确，应为 YYYY-MM-DD。"},
        )
        self.fields["to"] = forms.DateField(
            label="结束日期",
            required=False,
            widget=DateInput(),
            error_messages={"invalid": "结束日期格式不正确，应为 YYYY-MM-DD。"},
        )
        self._style_widgets()

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        period, start, end = data.get("period"), data.get("from"), data.get("to")
        if period and (start or end):
            raise forms.ValidationError(ONE_WAY)
        if bool(start) != bool(end):
            self.add_error("to" if start else "from", "按起止日期统计时，请同时填写开始日期和结束日期。")
            return data
        if start and end and start > end:
            self.add_error("to", "结束日期不能早于开始日期。")
            return data
        if not (period or start):
            year = timezone.localdate().year
            data["from"], data["to"] = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        return data

    def statistics_kwargs(self) -> dict:
        if self.cleaned_data.get("period") is not None:
            return {"period": self.cleaned_data["period"]}
        return {"date_from": self.cleaned_data["from"], "date_to": self.cleaned_data["to"]}


class StatisticsFilterForm(StatisticsRangeForm):
    """The page's filter: a unit of the user's subtree and the range."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(
            user, units_visible_to(user), required=False, label="单位（含下级）", empty_label="本单位全部"
        )
        self.fields["unit"].widget.attrs["class"] = "form-select"
        self.order_fields(["unit", "period", "from", "to"])


def _stats(request):
    user = request.user
    # a unit outside the user's subtree is answered as one that does not exist (404)
    unit = unit_get(user, request.GET["unit"]) if request.GET.get("unit") else None
    form = StatisticsFilterForm(request.GET, user=user)
    stats = order_statistics(user, unit=unit, **form.statistics_kwargs()) if form.is_valid() else None
    return form, stats


def xlsx_download(stats: dict) -> HttpResponse:
    response = HttpResponse(statistics_xlsx(stats), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{quote(statistics_title(stats) + '.xlsx')}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _context(form, stats) -> dict:
    keys = [key for key, _ in COLUMNS]
    return {
        "form": form,
        "stats": stats,
        "columns": COLUMNS,
        # each row's figures in the columns' order (a template cannot index a dict by variable)
        "rows": [(row, [row[k] for k in keys]) for row in stats["units"]] if stats else [],
        "totals": [stats["total"][k] for k in keys] if stats else [],
        "title": statistics_title(stats) if stats else "民情工单统计",
    }


@login_required
@require_safe
def statistics_view(request):
    form, stats = _stats(request)
    return render(request, "workorders/statistics.html", _context(form, stats))


@login_required
@require_safe
def statistics_export(request):
    form, stats = _stats(request)
    if stats is None:
        # the page shows the form's errors; a download cannot
        return render(request, "workorders/statistics.html", _context(form, None), status=400)
    return xlsx_download(stats)


urlpatterns = [
    path("statistics/", statistics_view, name="statistics"),
    path("statistics/export/", statistics_export, name="statistics_export"),
]
