"""Forms of the 关爱 pages. They only parse what the browser sends; the services validate (and say
why in Chinese). Field names are the services' error keys, so a refused value lands on its
field. A cadre is picked by name or ID number (``CadrePickerForm``)."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from cadres.forms import BootstrapMixin, CadrePickerForm, DateInput, unit_field

from .models import CareKind, VisitOccasion
from .selectors_care import DueKind

# what staff record by hand (the subsidy is paid on the departed cadre's page)
RECORD_KINDS = [(k, label) for k, label in CareKind.choices if k != CareKind.DEPARTED_SUBSIDY]


class StyledForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


def _errors(label: str, verb: str = "填写") -> dict:
    return {"required": f"请{verb}{label}。", "invalid": f"{label}格式不正确。"}


def _date(label: str, *, required: bool = True, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label, required=required, widget=DateInput(), error_messages=_errors(label), help_text=help_text
    )


class MonthInput(forms.TextInput):
    input_type = "month"


def _unit_filter(form, user, units, label="单位（含下级）") -> None:
    form.fields["unit"] = unit_field(user, units, required=False, label=label, empty_label="全部单位")
    form.fields["unit"].widget.attrs["class"] = "form-select"


def year_choices() -> list[tuple[str, str]]:
    this = timezone.localdate().year
    return [("", "全部年度"), *((str(y), f"{y}年") for y in range(this, this - 8, -1))]


class CareFilterForm(StyledForm):
    unit = forms.ModelChoiceField(queryset=None, required=False)
    kind = forms.ChoiceField(choices=[("", "全部类别"), *CareKind.choices], required=False, label="类别")
    year = forms.TypedChoiceField(choices=(), coerce=int, empty_value=None, required=False, label="年度")
    name = forms.CharField(required=False, label="干部姓名", max_length=50)

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        _unit_filter(self, user, units)
        self.fields["year"].choices = year_choices()
        self.fields["name"].widget.attrs["placeholder"] = "姓名包含"


class CareRecordForm(CadrePickerForm):
    picker_label = "关爱对象"

    kind = forms.ChoiceField(
        label="类别", choices=[("", "请选择"), *RECORD_KINDS], error_messages=_errors("类别", "选择")
    )
    occasion = forms.ChoiceField(
        label="时机",
        required=False,
        choices=[("", "—"), *VisitOccasion.choices],
        help_text="走访慰问必选（七一、春节或其他）。",
    )
    date = _date("日期", help_text="不能晚于今天。")
    days = forms.IntegerField(
        label="休假天数",
        required=False,
        min_value=1,
        max_value=366,
        help_text="带薪休假必填。",
        error_messages={"invalid": "休假天数须为整数。"},
    )
    amount = forms.DecimalField(
        label="金额（元）",
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text="慰问金、帮扶金等，选填。",
        error_messages={"invalid": "金额须为数字。"},
    )
    content = forms.CharField(
        label="内容",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=_errors("内容"),
        help_text="谈话要点、慰问内容、帮扶事项或体检安排等。",
    )
    by_whom = forms.CharField(label="经办人或慰问人", required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()
        if not self.is_bound and "date" not in self.initial:
            self.fields["date"].initial = timezone.localdate()


class CareDueFilterForm(StyledForm):
    unit = forms.ModelChoiceField(queryset=None, required=False)
    kind = forms.ChoiceField(choices=[("", "全部提醒"), *DueKind.choices], required=False, label="提醒类别")

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        _unit_filter(self, user, units)


class DepartedFilterForm(StyledForm):
    unit = forms.ModelChoiceField(queryset=None, required=False)
    name = forms.CharField(required=False, label="姓名", max_length=50)

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        _unit_filter(self, user, units)
        self.fields["name"].widget.attrs["placeholder"] = "姓名包含"


class HardshipForm(StyledForm):
    unit = forms.ModelChoiceField(queryset=None)
    since = _date("认定日期", required=False, help_text="不填为今天。")
    note = forms.CharField(label="说明", required=False, max_length=200)

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(
            user, units, label="单位", empty_label="请选择单位", error_messages=_errors("单位", "选择")
        )
        self.fields["unit"].widget.attrs["class"] = "form-select"
        self.fields["unit"].help_text = "认定后，该单位及下级单位的干部每年应走访慰问。"


class DepartureForm(CadrePickerForm):
    picker_label = "离任村（社区）干部"

    left_on = _date("离任日期")
    years_served = forms.IntegerField(
        label="任职年限（年）", min_value=0, max_value=70, error_messages=_errors("任职年限")
    )
    monthly_subsidy = forms.DecimalField(
        label="生活补贴（元/月）",
        min_value=0,
        max_digits=10,
        decimal_places=2,
        error_messages=_errors("生活补贴"),
        help_text="自离任次月起按发放周期发放。",
    )
    role_after = forms.CharField(
        label="离任后发挥作用",
        required=False,
        max_length=100,
        help_text="如：村民小组长、监委会主任、调解员。",
    )
    note = forms.CharField(
        label="备注", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


class DepartureEditForm(StyledForm):
    years_served = forms.IntegerField(
        label="任职年限（年）", min_value=0, max_value=70, error_messages=_errors("任职年限")
    )
    monthly_subsidy = forms.DecimalField(
        label="生活补贴（元/月）",
        min_value=0,
        max_digits=10,
        decimal_places=2,
        error_messages=_errors("生活补贴"),
    )
    role_after = forms.CharField(label="离任后发挥作用", required=False, max_length=100)
    paid_through = forms.CharField(
        label="补贴已发放至",
        required=False,
        max_length=7,
        widget=MonthInput(),
        help_text="更正发放记录用，格式 YYYY-MM；留空为尚未发放。",
    )
    note = forms.CharField(
        label="备注", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class SubsidyPayForm(StyledForm):
    through = forms.CharField(
        label="发放至（月）", max_length=7, widget=MonthInput(), error_messages=_errors("发放至哪个月")
    )
    paid_on = _date("发放日期", required=False, help_text="不填为今天。")
    by_whom = forms.CharField(label="经办人", required=False, max_length=100)

    def __init__(self, *args, owed=None, **kwargs):
        super().__init__(*args, **kwargs)
        if owed is not None and not self.is_bound:
            self.fields["through"].initial = f"{owed.last:%Y-%m}"


def month_text(day: datetime.date | None) -> str:
    return f"{day:%Y-%m}" if day else ""
