"""Forms of the problem-clue, spot-check and 述职评议 pages.

They only parse what the browser sends; the services validate the records (and say why in
Chinese). A cadre is picked by name or ID number, never from a select of the whole registry.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from cadres.forms import BootstrapMixin, CadrePickerForm, DateInput, apply_service_errors, unit_field

from .models import CheckHandling, CheckOutcome, ClueSource, ClueStatus, QuarterCheckStatus, SanctionKind

QUARTERS = [(1, "一季度"), (2, "二季度"), (3, "三季度"), (4, "四季度")]


def apply_errors(form: forms.BaseForm, exc: ValidationError, rename: dict[str, str] | None = None) -> None:
    """A service's errors onto the form; ``rename`` maps service fields to form fields."""
    if rename and hasattr(exc, "error_dict"):
        exc = ValidationError({rename.get(k, k): v for k, v in exc.error_dict.items()})
    apply_service_errors(form, exc)


class StyledForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


# ---------------------------------------------------------------- problem clues


class ClueFilterForm(StyledForm):
    source = forms.ChoiceField(choices=[("", "全部来源"), *ClueSource.choices], required=False, label="来源")
    status = forms.ChoiceField(
        choices=[("", "全部状态"), *ClueStatus.choices], required=False, label="核实状态"
    )
    unit = forms.ModelChoiceField(queryset=None, required=False)
    name = forms.CharField(required=False, label="干部姓名", max_length=50)

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(
            user, units, required=False, label="单位（含下级）", empty_label="全部单位"
        )
        self.fields["unit"].widget.attrs["class"] = "form-select"
        self.fields["name"].widget.attrs["placeholder"] = "姓名包含"


class ClueForm(CadrePickerForm):
    source = forms.ChoiceField(choices=[("", "请选择"), *ClueSource.choices], label="线索来源")
    received_on = forms.DateField(label="收到日期", widget=DateInput())
    summary = forms.CharField(
        label="问题摘要",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="简要写明反映的问题，不写举报人信息。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate()


class ClueVerifyForm(StyledForm):
    status = forms.ChoiceField(
        label="核实结果",
        choices=[("", "请选择"), (ClueStatus.CONFIRMED, "属实"), (ClueStatus.UNFOUNDED, "不实")],
        error_messages={"required": "请选择核实结果：属实或不实。"},
    )
    verified_on = forms.DateField(
        label="核实日期", widget=DateInput(), error_messages={"required": "请填写核实日期。"}
    )
    conclusion = forms.CharField(
        label="核实结论",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "请填写核实结论。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["verified_on"].initial = timezone.localdate()


class ClueCloseForm(StyledForm):
    closed_on = forms.DateField(
        label="了结日期", widget=DateInput(), error_messages={"required": "请填写了结日期。"}
    )
    conclusion = forms.CharField(
        label="了结意见",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="写明处理结果，如“已给予诫勉处理，整改到位”。",
        error_messages={"required": "请填写了结意见（处理结果）。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["closed_on"].initial = timezone.localdate()


# ---------------------------------------------------------------- personal-matters spot checks


class CheckFilterForm(StyledForm):
    year = forms.IntegerField(required=False, min_value=2000, max_value=2100, label="报告年度")
    outcome = forms.ChoiceField(
        choices=[("", "全部结果"), *CheckOutcome.choices], required=False, label="核查结果"
    )
    unit = forms.ModelChoiceField(queryset=None, required=False)
    name = forms.CharField(required=False, label="干部姓名", max_length=50)

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(
            user, units, required=False, label="单位（含下级）", empty_label="全部单位"
        )
        self.fields["unit"].widget.attrs["class"] = "form-select"
        self.fields["year"].widget.attrs["placeholder"] = "全部年度"
        self.fields["name"].widget.attrs["placeholder"] = "姓名包含"


class CheckForm(CadrePickerForm):
    year = forms.IntegerField(label="报告年度", min_value=2000, max_value=2100)
    checked_on = forms.DateField(label="抽查日期", widget=DateInput())
    outcome = forms.ChoiceField(label="核查结果", choices=[("", "请选择"), *CheckOutcome.choices])
    handling = forms.ChoiceField(
        label="处理方式",
        required=False,
        choices=[
            ("", "无需处理"),
            (CheckHandling.REMINDER, "提醒"),
            (CheckHandling.ADMONISH, "诫勉"),
        ],
        help_text="未如实报告的须选择提醒或诫勉，系统同时登记相应的谈话记录；如实报告的留空。",
    )
    note = forms.CharField(
        label="说明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["year"].initial = today.year - 1
        self.fields["checked_on"].initial = today


# ---------------------------------------------------------------- 述职评议 follow-through


class ReviewFilterForm(StyledForm):
    year = forms.IntegerField(required=False, min_value=2000, max_value=2100, label="述职年度")
    unit = forms.ModelChoiceField(queryset=None, required=False)
    name = forms.CharField(required=False, label="书记姓名", max_length=50)
    include_closed = forms.BooleanField(required=False, label="含已全部销号")

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(
            user, units, required=False, label="单位（含下级）", empty_label="全部单位"
        )
        self.fields["unit"].widget.attrs["class"] = "form-select"
        self.fields["year"].widget.attrs["placeholder"] = "全部年度"
        self.fields["name"].widget.attrs["placeholder"] = "姓名包含"


class ReviewOpenForm(CadrePickerForm):
    """Picks the secretary and year whose problem list is to be opened."""

    picker_label = "党组织书记"

    year = forms.IntegerField(label="述职年度", min_value=2000, max_value=2100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year


class ReviewItemForm(StyledForm):
    problem = forms.CharField(
        label="问题",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写问题。"},
    )
    measure = forms.CharField(
        label="整改措施", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    deadline = forms.DateField(label="整改时限", required=False, widget=DateInput())


class ReviewCheckForm(StyledForm):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(label="季度", choices=QUARTERS, coerce=int)
    status = forms.ChoiceField(
        label="检查结果",
        choices=[("", "请选择"), *QuarterCheckStatus.choices],
        error_messages={"required": "请选择检查结果。"},
    )
    note = forms.CharField(label="说明", required=False, max_length=1000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["year"].initial = today.year
        self.fields["quarter"].initial = (today.month - 1) // 3 + 1
        self.fields["note"].widget.attrs["placeholder"] = "进展简述（选填）"


class ReviewCloseForm(StyledForm):
    closed_on = forms.DateField(
        label="销号日期", widget=DateInput(), error_messages={"required": "请填写销号日期。"}
    )
    evidence = forms.CharField(
        label="销号佐证",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="整改完成情况及佐证材料（文件、会议记录等），必填。",
        error_messages={"required": "销号须填写佐证材料（整改完成情况、佐证文件等）。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["closed_on"].initial = timezone.localdate()


class SanctionFilterForm(StyledForm):
    kind = forms.ChoiceField(
        choices=[("", "全部类型"), *SanctionKind.choices], required=False, label="处分类型"
    )
    unit = forms.ModelChoiceField(queryset=None, required=False)
    name = forms.CharField(required=False, label="干部姓名", max_length=50)

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(
            user, units, required=False, label="单位（含下级）", empty_label="全部单位"
        )
        self.fields["unit"].widget.attrs["class"] = "form-select"
        self.fields["name"].widget.attrs["placeholder"] = "姓名包含"


class SanctionForm(CadrePickerForm):
    kind = forms.ChoiceField(
        choices=[("", "请选择"), *SanctionKind.choices],
        label="处分类型",
        error_messages={"required": "请选择处分类型。"},
    )
    decided_on = forms.DateField(
        label="处分决定日期",
        widget=DateInput(),
        error_messages={"required": "请填写处分决定日期。", "invalid": "请填写正确的日期。"},
    )
    reason = forms.CharField(
        label="处分事由",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写处分事由。"},
    )
