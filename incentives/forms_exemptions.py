"""Forms of the 容错纠错 pages: the list's filters, a decision (and its revision), a revocation.

They parse what the browser sends; ``supervision.services.exemptions`` validates (field names
are its error keys, so a refused value lands on its field)."""

from django import forms
from django.utils import timezone

from cadres.forms import BootstrapMixin, DateInput, unit_field
from supervision.models import ExemptionVerdict, Intent, MatterType, Motive, Nature


class StyledForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


def _choice(label: str, enum, help_text: str = "") -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=enum.choices,
        widget=forms.RadioSelect,
        error_messages={"required": f"请选择{label}。", "invalid_choice": f"请选择{label}。"},
        help_text=help_text,
    )


class ExemptionFilterForm(StyledForm):
    matter_type = forms.ChoiceField(
        choices=[("", "全部事项"), *MatterType.choices], required=False, label="事项类型"
    )
    verdict = forms.ChoiceField(
        choices=[("", "全部结论"), *ExemptionVerdict.choices], required=False, label="认定结论"
    )
    unit = forms.ModelChoiceField(queryset=None, required=False)
    year = forms.IntegerField(
        required=False,
        label="认定年度",
        min_value=2000,
        max_value=2100,
        error_messages={
            "invalid": "年度应为四位数字。",
            "min_value": "年度不能早于2000年。",
            "max_value": "年度不能晚于2100年。",
        },
    )

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(
            user, units, required=False, label="单位（含下级）", empty_label="全部单位"
        )
        self.fields["unit"].widget.attrs["class"] = "form-select"
        self.fields["year"].widget.attrs["placeholder"] = "如 2026"


class ExemptionForm(StyledForm):
    """The three distinctions, the verdict, the written basis and the date of the decision."""

    intent = _choice("故意或过失", Intent)
    motive = _choice("因私或因公", Motive)
    nature = _choice("违规或探索试错", Nature)
    verdict = _choice(
        "认定结论",
        ExemptionVerdict,
        help_text="可容：该事项不再限制考核等次、不计入不适宜担任现职预警、不影响评先评优等资格；不容：照常计入。",
    )
    basis = forms.CharField(
        label="认定依据",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "请写明认定依据。"},
        help_text="写明“三个区分开来”的具体情形、核实经过和认定理由。",
    )
    decided_on = forms.DateField(
        label="认定日期",
        widget=DateInput(),
        error_messages={"required": "请填写认定日期。", "invalid": "请填写正确的日期。"},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"decided_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class ExemptionReviseForm(ExemptionForm):
    reason = forms.CharField(
        label="修改原因", max_length=500, required=False, help_text="选填，记入全程纪实。"
    )


class ExemptionRevokeForm(StyledForm):
    reason = forms.CharField(
        label="撤销理由",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请写明撤销认定的理由。"},
    )
