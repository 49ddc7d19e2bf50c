"""Forms of the lists pages: the filter bar, a decision and its withdrawal. What a decision needs
(a reason, an existing entry in scope) is checked by ``incentives.services_decisions``, whose
messages say why (an ineligible entry's grant names what it misses)."""

from django import forms

from cadres.forms import BootstrapMixin, unit_field

from .models import ListKind, Verdict
from .selectors_decisions import list_periods

ELIGIBLE_FILTER = [("yes", "符合条件的"), ("no", "未列入的"), ("all", "全部")]
DECIDED_FILTER = [
    ("", "全部"),
    ("no", "未决定"),
    ("yes", "已决定"),
    ("granted", "同意"),
    ("declined", "不同意"),
]


class StyledForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


class ListFilterForm(StyledForm):
    period = forms.TypedChoiceField(coerce=int, required=False, label="考核期")
    kind = forms.ChoiceField(choices=ListKind.choices, required=False, label="名单", widget=forms.HiddenInput)
    unit = forms.ModelChoiceField(queryset=None, required=False)
    eligible = forms.ChoiceField(choices=ELIGIBLE_FILTER, required=False, label="范围")
    decided = forms.ChoiceField(choices=DECIDED_FILTER, required=False, label="决定")
    name = forms.CharField(required=False, label="干部姓名", max_length=50)

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        # read once: the default, the options and the check of the chosen one
        self.periods = {p.pk: p for p in list_periods()}
        self.fields["period"].choices = [(pk, p.name) for pk, p in self.periods.items()]
        self.fields["unit"] = unit_field(
            user, units, required=False, label="单位（含下级）", empty_label="全部单位"
        )
        self._style_widgets()
        self.fields["name"].widget.attrs["placeholder"] = "姓名包含"

    def filters(self) -> dict:
        """The cleaned filters with their defaults: the newest period, the first list, the
        eligible entries."""
        self.is_valid()  # a bad filter falls back to its default; the others still apply
        data = self.cleaned_data
        period = self.periods.get(data.get("period")) or next(iter(self.periods.values()), None)
        return {
            "period": period,
            "kind": data.get("kind") or ListKind.BONUS,
            "unit": data.get("unit"),
            "eligible": data.get("eligible") or "yes",
            "decided": data.get("decided") or "",
            "name": data.get("name") or "",
        }


class DecisionForm(StyledForm):
    verdict = forms.ChoiceField(
        label="决定",
        choices=Verdict.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择同意或不同意。", "invalid_choice": "请选择同意或不同意。"},
    )
    # required by the service, whose message says why (an ineligible entry, an eligible one declined)
    reason = forms.CharField(
        label="理由",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="写明研究意见；不符合条件而同意、或符合条件而不同意的，须写明理由。",
    )


class WithdrawForm(StyledForm):
    reason = forms.CharField(
        label="撤回理由",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写撤回决定的理由。"},
    )
