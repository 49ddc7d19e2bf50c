"""What every flag rule reads (the rules per unit, the cadres, the published annual periods),
what a rule found (firings with their facts and anchors), and the anchors' helpers."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from assessment.grading import PolicyResolver, RuleRow
from assessment.models import INDIVIDUAL_SCALE, Period, PeriodStatus
from assessment.services.policy import rule_name
from cadres.models import Cadre, CadreStatus, Unit
from core.bulk import pick, plain_rows

from ..models import Flag, Result
from ..policy import FLAG_KINDS

# Cadres no longer holding a post: no flag is raised for them, and their open flags close.
GONE_STATUSES = {CadreStatus.RETIRED, CadreStatus.DISMISSED, CadreStatus.REMOVED, CadreStatus.RESIGNED}
NOT_ANY_MORE = "，预警条件不再成立"
EXEMPTED_REASON = "所涉事项经容错纠错认定为可容，预警条件不再成立"
ANCHOR_MAX = Flag._meta.get_field("anchor").max_length
# Plain strings for the loops over thousands of cadres (an enum member's lookup costs more).
GRADE_RANK = {str(g): i for i, g in enumerate(INDIVIDUAL_SCALE)}
FAILED = str(Result.FAILED)
K_GRADE, K_INTERVIEWS, K_RECALL, K_VOTES, K_TRACK, K_INACTION = (str(k) for k in FLAG_KINDS)


@dataclass
class Firing:
    cadre_id: int
    rule_key: str
    rule_name: str
    anchor: str
    facts: list[dict]
    unit_id: int | None = None  # the cadre's unit unless the kind says otherwise


@dataclass
class OpenFlag:
    id: int
    cadre_id: int
    unit_id: int
    rule_key: str
    rule_name: str
    anchor: str
    facts: list


@dataclass
class KindResult:
    """What one kind found: its firings, the flags that would still fire were it not for a
    容错 exemption, and how to word the closing of its other open flags."""

    firings: dict[tuple[int, str], Firing] = field(default_factory=dict)
    # (cadre id, rule key) -> the matters decided 可容 (容错纠错) without which it would fire:
    # [(matter type, id)], for the closing reason to cite the decisions
    exempted: dict[tuple[int, str], list[tuple[str, int]]] = field(default_factory=dict)
    # (context, open flags not firing any more) -> {flag id: reason}
    close_reasons: Callable[[Context, list[OpenFlag]], dict[int, str]] | None = None
    _named: dict[int, tuple[str, str]] = field(default_factory=dict)

    def fire(self, cadre_id: int, row: RuleRow, anchor: str, facts: list[dict], unit_id=None) -> None:
        named = self._named.get(id(row))
        if named is None:  # once per rule row, not once per cadre
            named = self._named[id(row)] = (rule_key(row.kind, row.key), rule_name(row.kind, row.params))
        self.firings[(cadre_id, named[0])] = Firing(cadre_id, named[0], named[1], anchor, facts, unit_id)


def rule_key(kind: str, key: str) -> str:
    return f"{kind}:{key}"


def ref(model: str, pk: int) -> dict:
    return {"model": model, "id": pk}


class Context:
    """What every kind reads: today, the rules per unit, the units, the cadres, the annual
    periods whose results are published. Loaded once, a query per table."""

    def __init__(self, today: datetime.date, resolver: PolicyResolver, cadre_ids=None):
        self.today = today
        self.resolver = resolver
        # Only these cadres' flags (a change of one cadre's record), or None: the whole registry.
        self.scope: set[int] | None = None if cadre_ids is None else set(cadre_ids)
        self.unit_path: dict[int, str] = dict(Unit.objects.values_list("id", "path"))
        self.cadre_unit: dict[int, int] = {}
        self.cadre_status: dict[int, str] = {}
        cadres = self.scoped(Cadre.objects.all(), "id").values_list("id", "unit_id", "status")
        for pk, unit_id, status in plain_rows(cadres):
            self.cadre_unit[pk] = unit_id
            self.cadre_status[pk] = status
        # Published (or archived) annual periods, latest first: (id, year).
        self.published: list[tuple[int, int]] = list(
            Period.objects.filter(
                quarter__isnull=True, status__in=(PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED)
            )
            .order_by("-year")
            .values_list("id", "year")
        )
        self.period_of_year = {year: pk for pk, year in self.published}
        self.year_of_period = dict(self.published)
        self._rules: dict[int, dict[str, list[RuleRow]]] = {}
        self._compiled: dict[tuple[str, int], object] = {}

    def compiled(self, row: RuleRow, compile: Callable[[Context, dict], object]):
        """``compile(ctx, params)`` of a rule row, worked out once per row and kind of use."""
        key = (compile.__name__, id(row))
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = compile(self, row.params)
        return found

    def scoped(self, qs, field: str = "cadre_id"):
        """``qs`` narrowed to the cadres in scope (it may still hold others: ``in_scope``)."""
        return qs if self.scope is None else pick(qs, field, self.scope)

    def in_scope(self, cadre_id: int) -> bool:
        return self.scope is None or cadre_id in self.scope

    def active(self, cadre_id: int) -> bool:
        """In scope and holding a post."""
        status = self.cadre_status.get(cadre_id)
        return self.in_scope(cadre_id) and status is not None and status not in GONE_STATUSES

    def rules_at(self, unit_id: int) -> dict[str, list[RuleRow]]:
        """The enabled flag rules in force for a unit, by kind (cached per unit)."""
        found = self._rules.get(unit_id)
        if found is None:
            policy = self.resolver.policy(self.unit_path.get(unit_id, ""))
            found = {str(kind): policy.many(kind) for kind in FLAG_KINDS}
            self._rules[unit_id] = found
        return found

    def rules_for(self, cadre_id: int, kind: str) -> list[RuleRow]:
        unit_id = self.cadre_unit.get(cadre_id)
        return [] if unit_id is None else self.rules_at(unit_id)[kind]

    def all_rows(self, kind: str) -> list[RuleRow]:
        """Every enabled row of a kind anywhere in the tree (for how far back to read)."""
        return [r for rows in self.resolver.by_path.values() for r in rows if r.kind == kind and r.enabled]

    def latest_years(self, count: int) -> list[int]:
        """The latest ``count`` years back from the latest published annual period, latest first."""
        if not self.published:
            return []
        latest = self.published[0][1]
        return [latest - i for i in range(count)]


def anchor_years(years: list[int]) -> str:
    first, last = min(years), max(years)
    return str(last) if first == last else f"{first}-{last}"


def years_in(anchor: str) -> set[int]:
    try:
        first, _, last = anchor.partition("-")
        return set(range(int(first), int(last or first) + 1))
    except ValueError:
        return set()


def cases_anchor(ids: Iterable[int]) -> str:
    """``cases:3,7``; a list too long for the column is named by its ends, count and digest."""
    ordered = sorted(ids)
    text = "cases:" + ",".join(str(i) for i in ordered)
    if len(text) <= ANCHOR_MAX:
        return text
    digest = hashlib.sha1(text.encode()).hexdigest()[:16]
    return f"cases:{ordered[0]}..{ordered[-1]}({len(ordered)}):{digest}"


def refs(facts: list, model: str) -> list[int]:
    """The ids of ``model`` the facts refer to."""
    return [
        f["ref"]["id"]
        for f in facts or []
        if isinstance(f, dict) and isinstance(f.get("ref"), dict) and f["ref"].get("model") == model
    ]


def params_of(ctx: Context, flag: OpenFlag, kind: str) -> dict | None:
    for row in ctx.rules_for(flag.cadre_id, kind):
        if rule_key(row.kind, row.key) == flag.rule_key:
            return row.params
    return None


def year_label(year: int) -> str:
    return f"{year}年度考核"
