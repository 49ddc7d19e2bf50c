"""The 试算 (what-if) part of the policy edit page: the period and the subtree to try a rule
on, and the result shown below the form. The rule's own form is the edit page's; 试算 submits
it with these fields, nothing is saved and the typed values stay in the form."""

from django import forms
from django.core.exceptions import ValidationError

from audit.formatting import number_text
from cadres.forms import BootstrapMixin, apply_service_errors, unit_field
from cadres.selectors import units_visible_to

from ..models import Period
from ..services import whatif as services

# the page lists at most this many changed cadres (the API can ask for more); all are counted
PAGE_LIMIT = services.DEFAULT_LIMIT


class PeriodChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Period) -> str:
        return f"{obj.name}（{obj.get_status_display()}）"


class WhatIfForm(BootstrapMixin, forms.Form):
    """试算考核期 and 试算范围, submitted with the rule's form (prefix ``whatif``)."""

    period = PeriodChoiceField(
        queryset=Period.objects.order_by("-year", "quarter", "-pk"),
        label="试算考核期",
        empty_label=None,
        help_text="按该考核期已录入的得分和事实试算",
    )
    unit = forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, *args, user, unit, kind, **kwargs):
        kwargs.setdefault("prefix", "whatif")
        super().__init__(*args, **kwargs)
        units = units_visible_to(user)
        if unit is not None:
            units = units.filter(path__startswith=unit.path)
        self.fields["unit"] = unit_field(
            user,
            units,
            required=False,
            label="试算范围（含下级）",
            empty_label="规则适用的全部单位" if unit is not None else "本人管辖的全部单位",
        )
        if not self.is_bound:
            default = services.default_period(kind)
            if default is not None:
                self.initial["period"] = default.pk
        self._style_widgets()


def _rule_errors(form, exc: ValidationError) -> None:
    """The service keys a rule's errors ``rules[0].<field>``: back onto the rule's form."""
    if hasattr(exc, "error_dict"):
        exc = ValidationError({key.split(".", 1)[-1]: errors for key, errors in exc.error_dict.items()})
    apply_service_errors(form, exc)


def whatif_for_edit(request, *, form, trial, unit, kind: str, key: str, params: dict, enabled: bool):
    """Run the what-if of the edit page's valid rule form; None (with the errors on the forms)
    when the rule or the period and subtree are not valid."""
    if not trial.is_valid():
        return None
    try:
        result = services.whatif_run(
            actor=request.user,
            period=trial.cleaned_data["period"],
            unit=trial.cleaned_data.get("unit"),
            rules=[{"unit": unit, "kind": kind, "key": key, "params": params, "enabled": enabled}],
            limit=PAGE_LIMIT,
        )
    except ValidationError as exc:
        _rule_errors(form, exc)
        return None
    for quota in result["quotas"]:
        quota["ratio_before_text"] = _percent(quota["ratio_before"])
        quota["ratio_after_text"] = _percent(quota["ratio_after"])
    return result


def _percent(ratio) -> str:
    return "—" if ratio is None else f"{number_text(ratio * 100)}%"


urlpatterns: list = []
