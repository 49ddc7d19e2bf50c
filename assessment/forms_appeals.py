"""Forms of the 复核申诉 pages. They parse what the browser sends; ``services.appeals`` checks
the dates, the deadline and the documents and says why in Chinese."""

from django import forms

from cadres.forms import BootstrapMixin, DateInput, unit_field

from .models import AppealStatus, Period, PeriodStatus
from .services.appeals import APPEAL_FILE_TYPES, DECISION_GRADES, MAX_FILES


class StyledForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


class AppealFilterForm(StyledForm):
    period = forms.ModelChoiceField(
        queryset=Period.objects.none(), required=False, label="考核期", empty_label="全部年度考核"
    )
    status = forms.ChoiceField(
        choices=[("", "全部状态"), *AppealStatus.choices], required=False, label="状态"
    )
    unit = forms.ModelChoiceField(queryset=None, required=False)
    name = forms.CharField(required=False, label="干部姓名", max_length=50)

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = Period.objects.filter(
            quarter__isnull=True, status__in=[PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED]
        ).order_by("-year")
        self.fields["period"].error_messages["invalid_choice"] = "请选择已公布的年度考核期。"
        self.fields["unit"] = unit_field(
            user, units, required=False, label="单位（含下级）", empty_label="全部单位"
        )
        self.fields["unit"].widget.attrs["class"] = "form-select"
        self.fields["name"].widget.attrs["placeholder"] = "姓名包含"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the service checks each one's type and size."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        one = super().clean
        return [one(item, initial) for item in (data if isinstance(data, (list, tuple)) else [data])]


class AppealForm(StyledForm):
    appellant = forms.CharField(
        label="申请人",
        max_length=50,
        error_messages={"required": "请填写申请人。", "max_length": "申请人不能超过50个字。"},
        help_text="通常为干部本人。",
    )
    filed_on = forms.DateField(
        label="申请日期",
        widget=DateInput(),
        error_messages={"required": "请填写申请日期。", "invalid": "请填写有效的日期。"},
    )
    grounds = forms.CharField(
        label="申请理由",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "请填写申请复核的理由。"},
    )
    files = MultipleFileField(
        label="证明材料",
        required=False,
        help_text=f"PDF、JPG或PNG，可多选，最多{MAX_FILES}个；系统按文件内容判断类型。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].widget.attrs["accept"] = ",".join(APPEAL_FILE_TYPES)


GRADE_CHOICES = [("", "请选择"), *((g, g) for g in DECISION_GRADES)]


class DecideForm(StyledForm):
    outcome = forms.ChoiceField(
        label="决定",
        choices=[("", "请选择"), (AppealStatus.UPHELD, "维持原等次"), (AppealStatus.CHANGED, "改变等次")],
        error_messages={
            "required": "请选择决定：维持原等次或改变等次。",
            "invalid_choice": "请选择决定：维持原等次或改变等次。",
        },
    )
    new_grade = forms.ChoiceField(
        label="复核后等次",
        choices=GRADE_CHOICES,
        required=False,
        help_text="改变等次时选择；提交前页面会列出本单位等次随之变化的干部，确认后再提交一次。",
    )
    decision_reason = forms.CharField(
        label="决定理由",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "请填写决定理由。"},
    )
    # the grade whose consequences the page showed; a different one is shown before deciding
    confirm = forms.CharField(required=False, widget=forms.HiddenInput)


class PreviewForm(forms.Form):
    grade = forms.ChoiceField(choices=GRADE_CHOICES[1:], required=False)
