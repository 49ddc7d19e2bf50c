"""The policy what-if (试算): what a proposed rule change would do to a period's grades, before
it is saved. Nothing is written: no rule, no grade, no quota, no audit entry, no job.

The proposed rules replace the stored rows of the same (unit, kind, key), or join them; the
period is graded over the subtree in memory by the same engine and loaders the recomputation
uses (``services/recompute.py``), and the outcome is compared with what is stored: the cadres
and teams whose grade would change (old → new, with the new explanation), the distribution of
final grades before and after, who would enter or leave the 优秀 places, and the units whose
优秀 quota would change.

At 100,000 rows the engine itself is the cost: the comparison reads the stored tuples only,
decodes no stored explanation, and names (one query per table) only the rows it lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import orjson
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import TextField, Value
from django.db.models.functions import Cast

from cadres.models import Cadre, Unit
from cadres.selectors import unit_in_scope, unit_label, units_visible_to

from ..grading import PolicyResolver, QuotaResult, Row, RuleRow, grade_period
from ..models import (
    INDIVIDUAL_SCALE,
    OPEN_STATUSES,
    QUARTER_SCALE,
    Assessment,
    Grade,
    Period,
    RuleKind,
    TeamAssessment,
    UnitQuota,
)
from .policy import KIND_HOOKS, PARAM_SPECS, _key_for, _require, clean_params, rule_name, rule_text
from .recompute import STORED_FIELDS, indicators_by_category, load_facts, policy_resolver

# The rule kinds the grading engine reads. The others (复核申诉期限, and the kinds recall/ and
# incentives/ register) do not bear on a grade: a what-if of them is refused.
GRADING_KINDS = (
    RuleKind.THRESHOLDS,
    RuleKind.QUOTA,
    RuleKind.QUARTER_THRESHOLDS,
    RuleKind.TEAM_THRESHOLDS,
    RuleKind.QUARTER_FEED,
    RuleKind.YUETAN_CADRE,
    RuleKind.YUETAN_TEAM,
    RuleKind.INFLUENCE,
    RuleKind.PROBATION,
    RuleKind.LONG_LEAVE,
    RuleKind.INVESTIGATION,
    RuleKind.MISSING_SCORES,
)
# Kinds an annual period does not read (the quarterly grades are read as stored).
QUARTER_KINDS = (RuleKind.QUARTER_THRESHOLDS,)
# How many changed cadres (and teams, quota units, 优秀 entering or leaving) a result lists;
# all are counted.
DEFAULT_LIMIT = 500
MAX_LIMIT = 5000
UNGRADED = "未评定"


@dataclass(frozen=True)
class ProposedRule:
    unit: Unit | None
    kind: str
    key: str
    params: dict
    enabled: bool

    @property
    def unit_path(self) -> str:
        return self.unit.path if self.unit is not None else ""

    def row(self) -> RuleRow:
        return RuleRow(self.unit_path, self.kind, self.key, self.params, self.enabled, None, "", "")


def whatif_refusal(kind: str) -> str | None:
    """Why a rule of ``kind`` cannot be tried out (it does not bear on grades), or None."""
    if kind in GRADING_KINDS and kind not in KIND_HOOKS:
        return None
    label = RuleKind(kind).label if kind in RuleKind.values else kind
    return f"“{label}”规则不影响考核等次，无需试算；请直接保存。"


def whatif_kind_ok(kind: str) -> bool:
    return whatif_refusal(kind) is None


def _unit_of(actor, value, errors: dict, prefix: str) -> Unit | None:
    """A rule's unit: a Unit, an id of a unit in the actor's scope, or None (the defaults)."""
    if value is None or value == "" or isinstance(value, Unit):
        return value or None
    if isinstance(value, bool):
        errors[f"{prefix}unit"] = "单位应为整数 id，默认规则为 null。"
        return None
    try:
        pk = int(value)
    except (TypeError, ValueError):
        errors[f"{prefix}unit"] = "单位应为整数 id，默认规则为 null。"
        return None
    unit = units_visible_to(actor).filter(pk=pk).first()
    if unit is None:
        errors[f"{prefix}unit"] = "单位不存在或不在您的管辖范围内。"
    return unit


def proposed_rules(*, actor, rules) -> list[ProposedRule]:
    """Validate the proposed rules as ``policy_rule_save`` would, each with the same checks
    (role, unit in scope, defaults only from the top). Errors are keyed ``rules[i].<field>``
    (``<field>`` a parameter's name, ``kind``, ``key``, ``unit`` or ``enabled``)."""
    if not actor.can("manage_assessment"):
        raise PermissionDenied("您的角色无权试算评定规则。")
    if not isinstance(rules, (list, tuple)) or not rules:
        raise ValidationError({"rules": "请提交至少一条拟修改的规则。"})
    if len(rules) > 50:
        raise ValidationError({"rules": "一次最多试算 50 条规则。"})
    errors: dict[str, str] = {}
    out: list[ProposedRule] = []
    seen: set[tuple[str, str, str]] = set()
    for i, raw in enumerate(rules):
        prefix = f"rules[{i}]."
        if not isinstance(raw, dict):
            errors[f"rules[{i}]"] = "每条规则应为对象：{unit, kind, key, params, enabled}。"
            continue
        unit = _unit_of(actor, raw.get("unit"), errors, prefix)
        if f"{prefix}unit" in errors:
            continue
        _require(actor, unit)
        kind = raw.get("kind")
        if not isinstance(kind, str) or kind not in RuleKind.values:
            errors[f"{prefix}kind"] = "未知的规则类型。"
            continue
        refusal = whatif_refusal(kind)
        if refusal:
            errors[f"{prefix}kind"] = refusal
            continue
        enabled = raw.get("enabled", True)
        if not isinstance(enabled, bool):
            errors[f"{prefix}enabled"] = "“启用”应为 true 或 false。"
            continue
        params = raw.get("params")
        if params is None:
            params = {}
        if not isinstance(params, dict):
            errors[f"{prefix}params"] = "参数应为对象。"
            continue
        shape = _shape_errors(kind, params)
        if shape:
            errors.update({f"{prefix}{name}": message for name, message in shape.items()})
            continue
        try:
            key = raw.get("key") or ""
            if not isinstance(key, str):
                raise ValidationError({"key": "规则标识应为文字。"})
            key = _key_for(kind, key)
            cleaned = clean_params(kind, params)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[f"{prefix}{field}"] = messages[0]
            continue
        where = (unit.path if unit else "", kind, key)
        if where in seen:
            errors[f"{prefix}key"] = "同一单位的同一条规则提交了两次。"
            continue
        seen.add(where)
        out.append(ProposedRule(unit, kind, key, cleaned, enabled))
    if errors:
        raise ValidationError(errors)
    return out


SCALARS = (str, int, float, Decimal)  # Decimal: the page's form


def _shape_errors(kind: str, params: dict) -> dict[str, str]:
    """What ``clean_params`` does not expect from a JSON body (it is written for the page's
    form): a list or an object where one value belongs, a value that is not a number (NaN)."""
    errors = {}
    for p in PARAM_SPECS.get(kind, ()):
        value = params.get(p.name)
        if value is None or isinstance(value, bool):
            if isinstance(value, bool):
                errors[p.name] = f"“{p.label}”的取值无效。"
            continue
        if p.type in ("multichoice", "codes"):
            values = value if isinstance(value, list) else [value]
            ok = all(isinstance(v, SCALARS) and not isinstance(v, bool) for v in values)
        else:
            ok = isinstance(value, SCALARS)
            if ok and p.type in ("number", "int", "percent"):
                try:
                    ok = Decimal(str(value).strip()).is_finite()
                except (InvalidOperation, ValueError):
                    ok = True  # clean_params says it is not a number
        if not ok:
            errors[p.name] = f"“{p.label}”的取值无效。"
    return errors


def _subtree(actor, unit: Unit | None, rules: list[ProposedRule]) -> str:
    """The path graded: ``unit``'s, else the proposed rules' common unit, never beyond the
    actor's scope."""
    scope = actor.scope_path
    if scope is None:
        raise PermissionDenied("您的账号未设置所属单位，无法试算。")
    if unit is not None:
        if not unit_in_scope(actor, unit):
            raise PermissionDenied("该单位不在您的管辖范围内。")
        return unit.path
    paths = [r.unit_path for r in rules]
    common = paths[0]
    for path in paths[1:]:
        while not path.startswith(common):
            common = common[: -Unit.steplen] if len(common) > Unit.steplen else ""
    return common if common.startswith(scope) else scope


def _load_rows(period: Period, unit_path: str) -> tuple[list[tuple], list[Row]]:
    """``recompute.load_rows`` without the stored explanations, which a what-if never reads:
    the tuples keep their layout (``STORED_FIELDS``, the explanation None), the engine's rows
    are the same (tests/assessment/test_whatif.py holds the two loaders together). At 100,000
    rows the explanations are a third of the read."""
    qs = Assessment.objects.filter(period=period)
    if unit_path:
        qs = qs.filter(unit__path__startswith=unit_path)
    fields = [
        Cast(name, TextField())
        if name == "scores"
        else Value(None, output_field=TextField())
        if name == "explanation"
        else name
        for name in STORED_FIELDS
    ]
    stored = [(*s[:8], *s[9:], s[8]) for s in qs.values_list(*fields)]
    loads = orjson.loads
    rows = [Row(s[0], s[1], s[2], s[3], s[4], s[5], loads(s[6]) if s[6] else {}, s[7], s[15]) for s in stored]
    return stored, rows


def _resolver(proposed: list[ProposedRule]) -> PolicyResolver:
    stored = policy_resolver()
    replaced = {(r.unit_path, r.kind, r.key) for r in proposed}
    rows = [
        row
        for rows in stored.by_path.values()
        for row in rows
        if (row.unit_path, row.kind, row.key) not in replaced
    ]
    return PolicyResolver([*rows, *(r.row() for r in proposed)])


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def _scale(annual: bool) -> list[str]:
    if annual:
        return [*INDIVIDUAL_SCALE, Grade.UNDETERMINED, Grade.NOT_ASSESSED]
    return list(QUARTER_SCALE)


def default_period(kind: str | None = None) -> Period | None:
    """The period a what-if of ``kind`` grades unless told: the latest open quarterly period
    for the quarterly thresholds, else the latest open annual one; failing that, the latest."""
    quarterly = kind in QUARTER_KINDS
    periods = Period.objects.filter(quarter__isnull=not quarterly).order_by("-year", "-quarter", "-pk")
    return periods.filter(status__in=OPEN_STATUSES).first() or periods.first()


def whatif_run(
    *,
    actor,
    period: Period,
    rules,
    unit: Unit | None = None,
    limit: int = DEFAULT_LIMIT,
) -> dict:
    """Grade ``period`` over ``unit``'s subtree (default: the proposed rules' unit, within the
    actor's scope) as if ``rules`` were saved, and compare with the stored outcome. ``rules``:
    [{unit (Unit, id or None for the defaults), kind, key, params, enabled}]. Read only."""
    proposed = proposed_rules(actor=actor, rules=rules)
    path = _subtree(actor, unit, proposed)
    limit = max(1, min(int(limit), MAX_LIMIT))
    annual = period.quarter is None

    stored, rows = _load_rows(period, path)
    facts = load_facts(period, path, {r.cadre_id for r in rows})
    quotas: dict[int, QuotaResult] = {}
    results, teams = grade_period(
        annual=annual,
        rows=rows,
        indicators_for=indicators_by_category(period),
        resolver=_resolver(proposed),
        facts=facts,
        quotas=quotas,
    )

    # stored tuple: 0 id, 1 cadre, 2 unit, 3 path, 8 total, 10 computed, 11 final (recompute.py)
    before: dict[str, int] = {}
    after: dict[str, int] = {}
    changed: list[tuple] = []
    entering: list[tuple] = []
    leaving: list[tuple] = []
    totals_changed = 0
    for s in stored:
        res = results[s[0]]
        old_final, new_final = s[11], res.final
        before[old_final] = before.get(old_final, 0) + 1
        after[new_final] = after.get(new_final, 0) + 1
        if s[8] != res.total:  # Decimal equality is numeric: 85.0 == 85.00
            totals_changed += 1
        if s[10] == res.computed and old_final == new_final:
            continue
        entry = (s[3], s[0], s[1], s[2], _dec(s[8]), res, s[10], old_final)
        changed.append(entry)
        if new_final == Grade.EXCELLENT and old_final != Grade.EXCELLENT:
            entering.append(entry)
        elif old_final == Grade.EXCELLENT and new_final != Grade.EXCELLENT:
            leaving.append(entry)

    def order(entry):
        total = entry[5].total
        return (entry[0], total is None, -(total or 0), entry[2])

    changed.sort(key=order)
    entering.sort(key=order)
    leaving.sort(key=order)

    team_rows = _teams_changed(period, teams) if annual else []
    quota_rows = _quotas_changed(period, path, quotas) if annual else []

    listed = [*changed[:limit], *entering[:limit], *leaving[:limit]]
    names = dict(Cadre.objects.filter(pk__in={e[2] for e in listed}).values_list("pk", "name"))
    unit_ids = {e[3] for e in listed} | {t["unit"] for t in team_rows[:limit]}
    unit_ids |= {q["unit"] for q in quota_rows[:limit]}
    labels = dict(
        Unit.objects.filter(pk__in=unit_ids).annotate(label=unit_label()).values_list("pk", "label")
    )

    def cadre_row(entry, explain: bool = True) -> dict:
        _, assessment_id, cadre_id, unit_id, old_total, res, old_computed, old_final = entry
        row = {
            "assessment": assessment_id,
            "cadre": cadre_id,
            "cadre_name": names.get(cadre_id, ""),
            "unit": unit_id,
            "unit_name": labels.get(unit_id, ""),
            "total_before": old_total,
            "total_after": res.total,
            "computed_before": old_computed,
            "computed_after": res.computed,
            "final_before": old_final,
            "final_after": res.final,
        }
        if explain:
            row["explanation"] = res.explanation
        return row

    for item in [*team_rows[:limit], *quota_rows[:limit]]:
        item["unit_name"] = labels.get(item["unit"], "")

    scale = _scale(annual)
    grades = [*scale, *sorted(g for g in {*before, *after} if g and g not in scale), ""]
    distribution = [
        {
            "grade": grade or UNGRADED,
            "before": before.get(grade, 0),
            "after": after.get(grade, 0),
            "change": after.get(grade, 0) - before.get(grade, 0),
        }
        for grade in grades
        if grade in scale or before.get(grade) or after.get(grade)
    ]
    subtree_unit = Unit.objects.filter(path=path).annotate(label=unit_label()).first() if path else None
    notes = []
    if period.status not in OPEN_STATUSES:
        notes.append(
            f"考核期“{period.name}”为{period.get_status_display()}状态：保存规则后不会自动重新计算该考核期。"
        )
    if period.computed_at is None and stored:
        notes.append("该考核期尚未计算过等次，“原等次”为空。")
    if annual and any(r.kind in QUARTER_KINDS for r in proposed):
        notes.append("年度等次按已保存的季度考核结果计算；季度分数线的影响请选择季度考核期试算。")
    if not annual and any(r.kind not in (*QUARTER_KINDS, RuleKind.MISSING_SCORES) for r in proposed):
        notes.append("季度考核只适用季度等次分数线和缺项得分处理，其余规则请选择年度考核期试算。")
    return {
        "period": {
            "id": period.pk,
            "name": period.name,
            "annual": annual,
            "status": period.status,
            "status_label": period.get_status_display(),
        },
        "unit": ({"id": subtree_unit.pk, "name": subtree_unit.label} if subtree_unit is not None else None),
        "unit_name": subtree_unit.label if subtree_unit is not None else "全部单位",
        "rules": [
            {
                "unit": r.unit.pk if r.unit else None,
                "unit_name": (getattr(r.unit, "label", None) or r.unit.name)
                if r.unit
                else "全部单位（默认规则）",
                "kind": r.kind,
                "kind_label": rule_name(r.kind, r.params),
                "key": r.key,
                "params": r.params,
                "enabled": r.enabled,
                "text": rule_text(r.kind, r.params),
            }
            for r in proposed
        ],
        "assessed": len(stored),
        "totals_changed": totals_changed,
        "changed_count": len(changed),
        "changed": [cadre_row(e) for e in changed[:limit]],
        "distribution": distribution,
        "excellent_in_count": len(entering),
        "excellent_in": [cadre_row(e, explain=False) for e in entering[:limit]],
        "excellent_out_count": len(leaving),
        "excellent_out": [cadre_row(e, explain=False) for e in leaving[:limit]],
        "teams_changed_count": len(team_rows),
        "teams": team_rows[:limit],
        "quotas_changed_count": len(quota_rows),
        "quotas": quota_rows[:limit],
        "limit": limit,
        "notes": notes,
    }


def _teams_changed(period: Period, teams) -> list[dict]:
    """Teams whose computed or final grade would change (the final keeps a manual override)."""
    if not teams:
        return []
    existing = {
        t[0]: t
        for t in TeamAssessment.objects.filter(
            period=period, unit_id__in=[t.unit_id for t in teams]
        ).values_list("unit_id", "total_score", "computed_grade", "final_grade", "override_grade")
    }
    out = []
    for team in teams:
        row = existing.get(team.unit_id)
        old_total, old_computed, old_final, override = (
            (_dec(row[1]), row[2], row[3], row[4]) if row else (None, "", "", "")
        )
        new_final = override or team.computed
        if (old_computed, old_final) == (team.computed, new_final):
            continue
        out.append(
            {
                "unit": team.unit_id,
                "unit_name": "",
                "total_before": old_total,
                "total_after": team.total,
                "computed_before": old_computed,
                "computed_after": team.computed,
                "final_before": old_final,
                "final_after": new_final,
                "explanation": team.explanation,
            }
        )
    out.sort(key=lambda t: t["unit"])
    return out


def _quotas_changed(period: Period, path: str, quotas: dict[int, QuotaResult]) -> list[dict]:
    """Units whose 优秀 quota (base, ratio, places, or how many are awarded) would change."""
    qs = UnitQuota.objects.filter(period=period)
    if path:
        qs = qs.filter(unit__path__startswith=path)
    existing = {
        row[0]: row
        for row in qs.values_list("unit_id", "assessed", "ratio", "exact", "places", "awarded", "unit__path")
    }
    paths = dict(
        Unit.objects.filter(pk__in=[u for u in quotas if u not in existing]).values_list("pk", "path")
    )
    out = []
    for unit_id, q in quotas.items():
        row = existing.get(unit_id)
        old = (row[1], Decimal(row[2]).normalize(), _dec(row[3]), row[4], row[5]) if row else None
        new = (q.assessed, q.ratio.normalize(), q.exact, q.places, q.awarded)
        if old == new:
            continue
        out.append(
            {
                "unit": unit_id,
                "unit_name": "",
                "path": row[6] if row else paths.get(unit_id, ""),
                "assessed_before": old[0] if old else None,
                "assessed_after": q.assessed,
                "ratio_before": old[1] if old else None,
                "ratio_after": q.ratio.normalize(),
                "exact_before": old[2] if old else None,
                "exact_after": q.exact,
                "places_before": old[3] if old else None,
                "places_after": q.places,
                "awarded_before": old[4] if old else None,
                "awarded_after": q.awarded,
            }
        )
    out.sort(key=lambda q: q["path"])
    for item in out:
        item.pop("path")
    return out
