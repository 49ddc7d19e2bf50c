"""The roster export (花名册): the list's filters, the columns the user picks, an .xlsx.

``GET /cadres/export/`` with the list's filters shows the column picker; submitting it (same
filters, ``col`` once per column, ``download=1``) answers the workbook. Full ID numbers and
phones only for roles that may see them, and then on the record as the list's views are."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from audit.services import audit_view
from core.xlsx import XLSX_CONTENT_TYPE

from . import exports, selectors
from .forms import CadreFilterForm

FILTERS = ("unit", "kind", "status", "name", "age_min", "age_max")


class RosterColumnsForm(forms.Form):
    col = forms.MultipleChoiceField(
        label="导出列",
        choices=[(column.key, column.label) for column in exports.COLUMNS],
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "请至少选择一列。",
            "invalid_choice": "没有“%(value)s”这一列，请从列表中选择。",
        },
    )


@login_required
@require_safe
def roster_export(request):
    user = request.user
    units = selectors.units_visible_to(user)
    filter_data = {k: v for k, v in request.GET.items() if k in FILTERS and v != ""}
    filter_form = CadreFilterForm(filter_data or None, user=user, units=units)
    downloading = "download" in request.GET
    column_form = RosterColumnsForm(
        request.GET if downloading else None, initial={"col": exports.DEFAULT_COLUMNS}
    )
    full = user.can("view_id_number")
    filters_ok = not filter_data or filter_form.is_valid()
    if downloading and filters_ok and column_form.is_valid():
        filters = filter_form.cleaned_data if filter_data else {}
        cadres = selectors.cadre_list(user, **{k: filters.get(k) for k in FILTERS})
        columns = exports.columns_for(column_form.cleaned_data["col"])
        sensitive = full and any(column.sensitive for column in columns)
        seen: list = [] if sensitive else None
        today = timezone.localdate()
        scope = filters.get("unit").name if filters.get("unit") else "全部"
        out = exports.roster_xlsx(
            exports.roster_rows(cadres, columns),
            columns,
            title=f"干部花名册（{scope}）{today:%Y-%m-%d}",
            full=full,
            seen=seen,
        )
        if seen:  # every export of full ID numbers or phones is on the record
            audit_view(actor=user, cadres=seen, where="干部花名册导出")
        return FileResponse(
            out,
            as_attachment=True,
            filename=f"干部花名册-{today:%Y%m%d}.xlsx",
            content_type=XLSX_CONTENT_TYPE,
        )
    return render(
        request,
        "cadres/export.html",
        {
            "filter_form": filter_form,
            "filter_data": filter_data,
            "back_query": urlencode(filter_data),
            "filters_ok": filters_ok,
            "column_form": column_form,
            "full": full,
            "sensitive_labels": "、".join(c.label for c in exports.COLUMNS if c.sensitive),
        },
    )


urlpatterns = [path("export/", roster_export, name="export")]
