"""The grading policy page: the rules in force for a unit, where each comes from, and edits.

Everyone may read the policy of units in scope; ``manage_assessment`` may override a rule for a
unit (and its subtree) or go back to inheriting."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from cadres.forms import BootstrapMixin, apply_service_errors, unit_field
from cadres.selectors import unit_get, units_visible_to

from ..models import RuleKind
from ..services import policy as services
from ..services.recompute import policy_resolver
from ..services.whatif import whatif_kind_ok
from .whatif import WhatIfForm, whatif_for_edit

KIND_ORDER = list(RuleKind.values)
# The page's sections: the grading rules, then those the apps above register
# (``services.policy_section``: recall's 召回与预警规则, incentives' 激励规则), whose kinds are
# stored and inherited the same way.
_section_of = services.section_of


class UnitPickForm(BootstrapMixin, forms.Form):
    unit = forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(
            user, units_visible_to(user), required=False, label="单位", empty_label="默认规则（全部单位）"
        )
        self._style_widgets()


def rule_form_class(kind: str):
    """A form built from the kind's parameter spec, so page and service validate the same."""
    fields = {}
    if kind not in services.SINGLE_KINDS:
        fields["key"] = forms.CharField(
            label="规则标识", max_length=30, help_text="同类规则之间用以区分；修改已有规则时不可更改。"
        )
    for p in services.PARAM_SPECS[kind]:
        if p.type in ("number", "int", "percent"):
            field = forms.DecimalField(
                label=p.label, required=p.required, min_value=p.min, max_value=p.max, decimal_places=2
            )
        elif p.type == "choice":
            field = forms.ChoiceField(label=p.label, choices=p.choices, required=p.required)
        elif p.type == "multichoice":
            field = forms.MultipleChoiceField(
                label=p.label, choices=p.choices, required=p.required, widget=forms.CheckboxSelectMultiple
            )
        else:
            field = forms.CharField(label=p.label, required=p.required, max_length=200)
        field.help_text = p.help
        fields[p.name] = field
    fields["enabled"] = forms.BooleanField(
        label="启用", required=False, initial=True, help_text="停用后，本单位及下级不再适用此条规则。"
    )
    fields["note"] = forms.CharField(label="说明", required=False, max_length=200)

    def init(self, *args, **kwargs):
        forms.Form.__init__(self, *args, **kwargs)
        self._style_widgets()

    return type(f"{kind.title()}RuleForm", (BootstrapMixin, forms.Form), {**fields, "__init__": init})


def _initial(kind: str, params: dict) -> dict:
    initial = dict(params)
    for p in services.PARAM_SPECS[kind]:
        if p.type == "percent" and p.name in initial:
            initial[p.name] = round(float(initial[p.name]) * 100, 2)
        if p.type == "codes":
            initial[p.name] = "、".join(initial.get(p.name) or [])
    return initial


def _unit_from(request):
    pk = request.GET.get("unit") or request.POST.get("unit")
    return unit_get(request.user, pk) if pk else None


def _rule_owner(user, rule) -> str:
    """The unit a rule is inherited from, by name only if the user may see that unit: a
    township's users are not told the names of the county and the city above them."""
    scope = user.scope_path
    if scope is not None and rule.unit_path.startswith(scope):
        return rule.unit_name
    return "上级单位"


def _policy_url(unit) -> str:
    url = reverse("assessment:policy")
    return f"{url}?unit={unit.pk}" if unit else url


@login_required
def policy(request):
    user = request.user
    unit = _unit_from(request)
    if unit is None and user.scope_path:
        # A user below the top sees the rules in force for their own unit.
        unit = user.unit
    pick = UnitPickForm(initial={"unit": unit}, user=user)
    effective = policy_resolver().effective_rows(unit.path if unit else "")
    rows = []
    ordered = sorted(
        effective.items(),
        key=lambda kv: (KIND_ORDER.index(kv[0][0]), services.rule_order(*kv[0], kv[1].params)),
    )
    for (kind, key), rule in ordered:
        if rule.unit_path == (unit.path if unit else ""):
            source, own = ("本单位设置" if unit else "默认规则"), True
        elif rule.unit_path == "":
            source, own = "默认规则", False
        else:
            source, own = f"继承自{_rule_owner(user, rule)}", False
        rows.append(
            {
                "kind": kind,
                "kind_label": RuleKind(kind).label,
                "key": key,
                "tag": services.rule_tag(kind, rule.params),
                "text": services.rule_text(kind, rule.params),
                "enabled": rule.enabled,
                "note": rule.note,
                "source": source,
                "own": own and unit is not None,
            }
        )
    can_edit = user.can("manage_assessment") and (unit is not None or user.scope_path == "")
    multi_kinds = [(k, RuleKind(k).label) for k in KIND_ORDER if k not in services.SINGLE_KINDS]
    sections = [
        {
            "anchor": section.anchor,
            "title": section.title,
            "about": section.about,
            "note": section.note,
            "rows": [r for r in rows if _section_of(r["kind"]) == section.anchor],
            "multi_kinds": [(k, label) for k, label in multi_kinds if _section_of(k) == section.anchor],
        }
        for section in services.POLICY_SECTIONS.values()
    ]
    return render(
        request,
        "assessment/policy.html",
        {
            "unit": unit,
            "pick": pick,
            "rows": rows,
            "sections": sections,
            "can_edit": can_edit,
            "multi_kinds": multi_kinds,
        },
    )


@login_required
def policy_edit(request):
    user = request.user
    unit = _unit_from(request)
    kind = request.GET.get("kind") or request.POST.get("kind")
    if kind not in RuleKind.values:
        raise Http404("未知的规则类型。")
    key = request.GET.get("key", request.POST.get("original_key", ""))
    if not user.can("manage_assessment") or (unit is None and user.scope_path != ""):
        raise PermissionDenied("您的角色无权修改该单位的评定规则。")
    effective = policy_resolver().effective_rows(unit.path if unit else "")
    current = effective.get((kind, key)) if key or kind in services.SINGLE_KINDS else None
    is_new = current is None
    form_class = rule_form_class(kind)
    # 试算: the same form with a period and a subtree, graded without saving (views/whatif.py)
    can_try = whatif_kind_ok(kind)
    trying = can_try and request.method == "POST" and "whatif" in request.POST
    # bound on 保存 too, so a refused save keeps the chosen period
    bound = request.method == "POST" and ("whatif" in request.POST or "whatif-period" in request.POST)
    trial = WhatIfForm(request.POST if bound else None, user=user, unit=unit, kind=kind) if can_try else None
    whatif = None
    if request.method == "POST":
        form = form_class(request.POST)
        if not is_new:
            form.fields.pop("key", None)  # fixed once the rule exists; the page names it in Chinese
        if form.is_valid() and trying:
            data = form.cleaned_data
            whatif = whatif_for_edit(
                request,
                form=form,
                trial=trial,
                unit=unit,
                kind=kind,
                key=key if not is_new else data.get("key", ""),
                params={p.name: data.get(p.name) for p in services.PARAM_SPECS[kind]},
                enabled=data["enabled"],
            )
        elif form.is_valid():
            data = form.cleaned_data
            params = {p.name: data.get(p.name) for p in services.PARAM_SPECS[kind]}
            try:
                rule = services.policy_rule_save(
                    actor=user,
                    unit=unit,
                    kind=kind,
                    key=key if not is_new else data.get("key", ""),
                    params=params,
                    enabled=data["enabled"],
                    note=data["note"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                where = getattr(unit, "label", unit.name) if unit else "全部单位（默认规则）"
                messages.success(
                    request,
                    f"已保存“{rule}”规则，适用于{where}；进行中的考核期将重新计算等次。",
                )
                return redirect(_policy_url(unit))
    else:
        initial = {"enabled": True}
        if current is not None:
            initial.update(_initial(kind, current.params))
            initial.update({"enabled": current.enabled, "note": current.note, "key": key})
        form = form_class(initial=initial)
        if not is_new:
            form.fields.pop("key", None)
    inherited_from = None
    if current is not None and current.unit_path != (unit.path if unit else ""):
        inherited_from = _rule_owner(user, current) if current.unit_path else "默认规则"
    return render(
        request,
        "assessment/policy_edit.html",
        {
            "unit": unit,
            "kind": kind,
            "kind_label": RuleKind(kind).label,
            "key": key,
            "tag": services.rule_tag(kind, current.params) if current is not None else "",
            "form": form,
            "is_new": is_new,
            "inherited_from": inherited_from,
            "trial": trial,
            "whatif": whatif,
        },
    )


@require_POST
@login_required
def policy_reset(request):
    user = request.user
    unit = _unit_from(request)
    if unit is None:
        raise Http404("请选择单位。")
    kind = request.POST.get("kind", "")
    key = request.POST.get("key", "")
    try:
        removed = services.policy_rule_reset(actor=user, unit=unit, kind=kind, key=key)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if removed:
            messages.success(
                request, f"{getattr(unit, 'label', unit.name)}已恢复继承上级的“{RuleKind(kind).label}”规则。"
            )
        else:
            messages.info(request, "本单位没有单独设置这条规则，无需恢复。")
    return redirect(_policy_url(unit))


urlpatterns = [
    path("policy/", policy, name="policy"),
    path("policy/edit/", policy_edit, name="policy_edit"),
    path("policy/reset/", policy_reset, name="policy_reset"),
]
