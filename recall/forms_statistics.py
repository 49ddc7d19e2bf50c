"""The period of the recall statistics: a calendar year, a date range or an assessment period's
year (the current year when none is given). The page and the API validate with the same form,
so both refuse the same parameters with the same Chinese messages."""

from django import forms
from django.utils import timezone

from assessment.models import Period
from cadres.forms import BootstrapMixin, DateInput, unit_field
from cadres.selectors import units_visible_to

from .statistics import year_range

ONE_WAY = "按年份、按起止日期或按考核期统计，只能选择一种。"


class StatisticsPeriodForm(BootstrapMixin, forms.Form):
    year = forms.IntegerField(
        label="年份",
        required=False,
        min_value=2000,
        max_value=2100,
        error_messages={
            "invalid": "年份应为四位数字，如 2014。",
            "min_value": "年份应在 2000 至 2100 之间。",
            "max_value": "年份应在 2000 至 2100 之间。",
        },
    )
    date_from = forms.DateField(
        label="开始日期",
        required=False,
        widget=DateInput(),
        error_messages={"invalid": "开始日期格式不正确，应为 YYYY-MM-DD。"},
    )
    date_to = forms.DateField(
        label="结束日期",
        required=False,
        widget=DateInput(),
        error_messages={"invalid": "结束日期格式不正确，应为 YYYY-MM-DD。"},
    )
    period = forms.ModelChoiceField(
        label="考核期",
        queryset=Period.objects.all(),
        required=False,
        error_messages={"invalid_choice": "考核期不存在。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        year, start, end, period = (data.get(k) for k in ("year", "date_from", "date_to", "period"))
        if sum(bool(x) for x in (year, start or end, period)) > 1:
            raise forms.ValidationError(ONE_WAY)
        if bool(start) != bool(end):
            missing = "date_to" if start else "date_from"
            self.add_error(missing, "按起止日期统计时，请同时填写开始日期和结束日期。")
            return data
        if start and end and start > end:
            self.add_error("date_to", "结束日期不能早于开始日期。")
            return data
        if not (year or start or period):
            year = data["year"] = timezone.localdate().year
        if year:
            start, end = year_range(year)
        data["range"] = (start, end) if not period else (None, None)
        return data

    def statistics_kwargs(self) -> dict:
        """``date_from``/``date_to`` or ``period`` for ``recall_statistics``."""
        period = self.cleaned_data.get("period")
        if period is not None:
            return {"period": period}
        start, end = self.cleaned_data["range"]
        return {"date_from": start, "date_to": end}


class StatisticsFilterForm(StatisticsPeriodForm):
    """The page's filter: the period and a unit of the user's subtree."""

    field_order = ["unit", "year", "date_from", "date_to"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(
            user, units_visible_to(user), required=False, label="单位（含下级）", empty_label="本单位全部"
        )
        self.fields["unit"].widget.attrs["class"] = "form-select"
        self.order_fields(self.field_order)
