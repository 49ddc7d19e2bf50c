"""Forms of the investigation (立案审查) pages. They only parse what the browser sends; the
service validates (and says why in Chinese). A cadre is picked by name or ID number."""

from django import forms
from django.utils import timezone

from cadres.forms import CadrePickerForm, DateInput, unit_field

from .forms_records import StyledForm
from .models import InvestigationOutcome

STATES = [("", "全部"), ("open", "审查中（未结案）"), ("closed", "已结案")]


class InvestigationFilterForm(StyledForm):
    state = forms.ChoiceField(choices=STATES, required=False, label="状态")
    unit = forms.ModelChoiceField(queryset=None, required=False)
    name = forms.CharField(required=False, label="干部姓名", max_length=50)

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(
            user, units, required=False, label="单位（含下级）", empty_label="全部单位"
        )
        self.fields["unit"].widget.attrs["class"] = "form-select"
        self.fields["name"].widget.attrs["placeholder"] = "姓名包含"


class _OpeningFields(forms.Form):
    opened_on = forms.DateField(
        label="立案日期",
        widget=DateInput(),
        error_messages={"required": "请填写立案日期。", "invalid": "请填写正确的日期。"},
    )
    authority = forms.CharField(
        label="立案机关",
        max_length=100,
        help_text="如：县纪委监委。",
        error_messages={"required": "请填写立案机关。", "max_length": "立案机关不能超过100个字。"},
    )
    reason = forms.CharField(
        label="立案事由",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写立案事由。", "max_length": "立案事由不能超过2000个字。"},
    )


class InvestigationForm(CadrePickerForm, _OpeningFields):
    picker_label = "被立案审查干部"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)  # the picker styles every field, these too
        self.fields["opened_on"].initial = timezone.localdate()


class InvestigationEditForm(StyledForm, _OpeningFields):
    pass


class InvestigationCloseForm(StyledForm):
    closed_on = forms.DateField(
        label="结案日期",
        widget=DateInput(),
        error_messages={"required": "请填写结案日期。", "invalid": "请填写正确的日期。"},
    )
    outcome = forms.ChoiceField(
        label="结案结果",
        choices=[("", "请选择"), *InvestigationOutcome.choices],
        error_messages={
            "required": "请选择结案结果：给予处分或未予处分。",
            "invalid_choice": "请选择结案结果：给予处分或未予处分。",
        },
        help_text="给予处分的，结案后请另行登记处分（处分影响期按评定规则限制等次）。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["closed_on"].initial = timezone.localdate()
