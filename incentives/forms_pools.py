"""Forms of the bonus base and team pool pages. Amounts, tiers and weights are checked by
``incentives.services_pools`` (one set of Chinese messages for the pages and the API)."""

from django import forms

from assessment.models import Period, PeriodStatus
from cadres.forms import unit_field

from .forms_lists import StyledForm
from .models import PoolKind
from .services_pools import TIERS


def annual_periods():
    return Period.objects.filter(quarter__isnull=True).order_by("-year")


def published_annual_periods():
    return annual_periods().filter(status__in=(PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED))


def _unit(form, user, units, *, label="单位", required=False, empty_label="全部单位"):
    form.fields["unit"] = unit_field(user, units, required=required, label=label, empty_label=empty_label)
    form.fields["unit"].widget.attrs["class"] = "form-select"
    if required:
        form.fields["unit"].error_messages["required"] = "请选择单位。"


class PeriodUnitFilterForm(StyledForm):
    period = forms.TypedChoiceField(coerce=int, required=False, label="考核期")
    unit = forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, data, *args, user, units, periods, prefer=None, **kwargs):
        # read once: the default, the options and the check of the chosen one
        self.periods = {p.pk: p for p in periods}
        if not data.get("period") and self.periods:
            # without a choice: the first period ``prefer`` accepts (else the newest), shown selected
            default = next((p for p in self.periods.values() if prefer and prefer(p)), None)
            data = data.copy()
            data["period"] = (default or next(iter(self.periods.values()))).pk
        super().__init__(data, *args, **kwargs)
        self.fields["period"].choices = [(pk, p.name) for pk, p in self.periods.items()]
        _unit(self, user, units, label="单位（含下级）")

    def filters(self) -> dict:
        self.is_valid()  # a bad filter falls back to its default; the others still apply
        data = self.cleaned_data
        return {
            "period": self.periods.get(data.get("period")) or next(iter(self.periods.values()), None),
            "unit": data.get("unit"),
        }


class BonusBaseForm(StyledForm):
    amount = forms.CharField(
        label="人均奖金基数（元）", max_length=20, error_messages={"required": "请填写人均奖金基数。"}
    )
    note = forms.CharField(label="说明", required=False, max_length=200)

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        _unit(self, user, units, required=True, empty_label="请选择单位")
        self.order_fields(["unit", "amount", "note"])
        self.fields["amount"].widget.attrs.update(inputmode="decimal", placeholder="如 30000")
        self.fields["amount"].help_text = "本单位及下级单位（未单独设置的）按此基数 × 等次系数计算绩效奖金。"


TIER_CHOICES = [("", "—"), *((t, t) for t in TIERS)]


class PoolForm(StyledForm):
    period = forms.ModelChoiceField(
        queryset=None, label="考核期", empty_label=None, error_messages={"required": "请选择考核期。"}
    )
    kind = forms.ChoiceField(label="团队类型", choices=PoolKind.choices, widget=forms.RadioSelect)
    name = forms.CharField(label="团队名称", max_length=100, error_messages={"required": "请填写团队名称。"})
    base = forms.CharField(
        label="奖金池基数（元）", max_length=20, error_messages={"required": "请填写奖金池基数。"}
    )
    tier = forms.ChoiceField(
        label="团队年度等次",
        choices=TIER_CHOICES,
        required=False,
        help_text="项目团队填写其年度绩效考评等次；单位团队取领导班子年度考核等次，不必填写。",
    )

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = published_annual_periods()
        _unit(self, user, units, label="所属单位", required=True, empty_label="请选择单位")
        self.order_fields(["period", "unit", "kind", "name", "base", "tier"])
        self.fields["base"].widget.attrs.update(inputmode="decimal", placeholder="如 100000")
        self.fields["kind"].initial = PoolKind.UNIT


class PoolEditForm(StyledForm):
    name = forms.CharField(label="团队名称", max_length=100, error_messages={"required": "请填写团队名称。"})
    base = forms.CharField(
        label="奖金池基数（元）", max_length=20, error_messages={"required": "请填写奖金池基数。"}
    )
    tier = forms.ChoiceField(label="团队年度等次", choices=TIER_CHOICES, required=False)

    def __init__(self, *args, pool, **kwargs):
        super().__init__(*args, **kwargs)
        if pool.kind == PoolKind.UNIT:
            del self.fields["tier"]  # read from the leadership team's grade
        self.fields["base"].widget.attrs["inputmode"] = "decimal"
