"""Forms of the period, scheme and grade pages. They parse what the browser sends; the
services validate the records and say why in Chinese."""

from django import forms

from cadres.forms import BootstrapMixin
from cadres.models import CadreKind

from .models import Dimension, IndicatorGroup, IndicatorSource, PeriodStatus

QUARTER_CHOICES = [
    ("", "年度考核"),
    ("1", "第一季度"),
    ("2", "第二季度"),
    ("3", "第三季度"),
    ("4", "第四季度"),
]
# The correction form's grade select: leave the grade as it is unless chosen.
KEEP = "__keep__"


class StyledForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


class PeriodForm(StyledForm):
    name = forms.CharField(label="名称", max_length=100, error_messages={"required": "请填写考核期名称。"})
    year = forms.IntegerField(
        label="年度",
        min_value=2000,
        max_value=2100,
        error_messages={
            "required": "请填写年度。",
            "invalid": "年度必须是数字。",
            "min_value": "年度应在2000至2100之间。",
            "max_value": "年度应在2000至2100之间。",
        },
    )
    quarter = forms.ChoiceField(label="类型", choices=QUARTER_CHOICES, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["placeholder"] = "如：2025年度干部考核"

    def clean_quarter(self):
        value = self.cleaned_data.get("quarter")
        return int(value) if value else None


class TransitionForm(forms.Form):
    to = forms.ChoiceField(
        choices=PeriodStatus.choices, error_messages={"invalid_choice": "未知的考核期状态。"}
    )


class CategoryForm(StyledForm):
    category = forms.ChoiceField(
        label="干部类别",
        choices=[("", "请选择干部类别"), *CadreKind.choices],
        error_messages={"required": "请选择干部类别。", "invalid_choice": "请选择干部类别。"},
    )


class IndicatorForm(StyledForm):
    code = forms.CharField(label="列名", max_length=30, required=False)
    name = forms.CharField(label="指标名称", max_length=100, required=False)
    group = forms.ChoiceField(label="类别", choices=IndicatorGroup.choices)
    # the choices are the active tracks (and those the scheme uses), given by the view
    track = forms.ChoiceField(label="适用赛道", choices=[("", "—")], required=False)
    dimension = forms.ChoiceField(label="维度", choices=[("", "请选择"), *Dimension.choices], required=False)
    source = forms.ChoiceField(
        label="得分来源", choices=[("", "录入"), (IndicatorSource.WORKORDERS, "民情工单")], required=False
    )
    # Numbers stay text here: the service explains a bad value in the words of the scheme.
    weight = forms.CharField(label="权重(%)", max_length=20, required=False)
    min_score = forms.CharField(label="最低分", max_length=20, required=False, initial="0")
    max_score = forms.CharField(label="满分", max_length=20, required=False, initial="100")
    order = forms.IntegerField(label="排序", required=False, min_value=0, max_value=32767)

    def __init__(self, *args, track_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["track"].choices = [("", "—"), *track_choices]
        for name in ("weight", "min_score", "max_score"):
            self.fields[name].widget.attrs.update(
                {"inputmode": "decimal", "class": "form-control form-control-sm"}
            )
        self.fields["weight"].widget.attrs["data-weight"] = "1"
        for name in ("code", "name"):
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm"
        for name in ("group", "track", "dimension", "source"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["order"].widget = forms.HiddenInput()

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(f) for f in ("code", "name", "weight"))


class BaseIndicatorFormSet(forms.BaseFormSet):
    def rows(self) -> list[tuple[int, dict]]:
        """(form index, indicator dict) of the rows kept (not deleted, not left blank)."""
        out = []
        for index, form in enumerate(self.forms):
            if not hasattr(form, "cleaned_data") or self.can_delete and self._should_delete_form(form):
                continue
            if form.is_blank():
                continue
            data = dict(form.cleaned_data)
            data.pop("DELETE", None)
            if data.get("order") is None:
                data["order"] = index
            out.append((index, data))
        return out


IndicatorFormSet = forms.formset_factory(
    IndicatorForm, formset=BaseIndicatorFormSet, extra=1, can_delete=True, max_num=200, validate_max=True
)


class OverrideForm(StyledForm):
    grade = forms.ChoiceField(label="调整后等次", required=False)
    reason = forms.CharField(
        label="调整理由",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=400,
        error_messages={"required": "调整等次必须填写理由。"},
    )

    def __init__(self, *args, scale, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [("", "取消调整（按计算等次）"), *((g, g) for g in scale)]


class CorrectionForm(BootstrapMixin, forms.Form):
    """Scores of the cadre's indicators (``score_<n>`` fields), an optional grade and a reason."""

    grade = forms.ChoiceField(label="更正后等次", required=False)
    reason = forms.CharField(
        label="更正理由",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=400,
        error_messages={"required": "更正必须填写理由。"},
    )

    def __init__(self, *args, scale, indicators, scores, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicators = indicators
        self.fields["grade"].choices = [
            (KEEP, "不变"),
            ("", "取消调整（按计算等次）"),
            *((g, g) for g in scale),
        ]
        self.fields["grade"].initial = KEEP
        for index, spec in enumerate(indicators):
            value = scores.get(spec.code)
            self.fields[f"score_{index}"] = forms.CharField(
                label=f"{spec.code}（{spec.min_score.normalize():f}–{spec.max_score.normalize():f}）",
                required=False,
                max_length=20,
                initial="" if value is None else value,
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            )
        self._style_widgets()

    def score_fields(self):
        return [self[f"score_{i}"] for i in range(len(self.indicators))]

    def scores(self) -> dict:
        return {spec.code: self.cleaned_data.get(f"score_{i}") for i, spec in enumerate(self.indicators)}

    def grade_value(self):
        value = self.cleaned_data.get("grade")
        return None if value == KEEP else value
