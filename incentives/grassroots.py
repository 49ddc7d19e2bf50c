"""Township service (基层服务年限, [001] 铜川): how long a cadre has served in the township, whether a
new recruit's minimum (3 years by default) is met and when, and whether a move out of the
township (调出 or 借调) is allowed yet (2 years by default). The figures come with their reasons
(rule, effect, facts), so the profile, the move check and the incentive lists' eligibility rules
say the same thing.

``township_service(cadre, on)`` reads one cadre; ``township_service_many(cadres, on)`` reads a set
in two queries (the townships above the cadres' units, and the GRASSROOTS rows), for list engines.
``township_move_check`` is the check ``cadres.moves`` runs on every transfer and secondment.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from assessment.models import RuleKind
from assessment.services.policy import KindPolicy
from cadres.models import Unit, UnitKind
from cadres.moves import MoveKind

from .policy_care import grassroots_text

RULE_NAME = RuleKind.GRASSROOTS.label


def span_text(years: int, months: int) -> str:
    """1 年 11 个月; 11 个月; 2 年."""
    if years and months:
        return f"{years} 年 {months} 个月"
    if years:
        return f"{years} 年"
    return f"{months} 个月"


@dataclass(frozen=True)
class TownshipService:
    """A cadre's township service on ``on``. ``township_*`` name the township (乡镇) the cadre's
    unit lies in (None: not in a township); ``rule`` is the GRASSROOTS rule in force there (None
    where there is no township or the rule is switched off)."""

    cadre_id: int
    on: datetime.date
    start: datetime.date | None
    township_id: int | None = None
    township_name: str = ""
    township_path: str = ""
    rule: dict | None = None
    years: int = 0
    months: int = 0
    is_recruit: bool = False
    reasons: list[dict] = field(default_factory=list)

    @property
    def in_township(self) -> bool:
        return self.township_id is not None

    @property
    def recorded(self) -> bool:
        return self.start is not None

    @property
    def span(self) -> str:
        return span_text(self.years, self.months)

    @property
    def served(self) -> relativedelta | None:
        if self.start is None or self.on < self.start:
            return None
        return relativedelta(self.on, self.start)

    def _min(self, name: str) -> int | None:
        return self.rule.get(name) if self.rule else None

    @property
    def recruit_min_years(self) -> int | None:
        return self._min("recruit_min_years")

    @property
    def move_min_years(self) -> int | None:
        return self._min("move_min_years")

    @property
    def recruit_met_on(self) -> datetime.date | None:
        """The day a new recruit's minimum service is complete."""
        years = self.recruit_min_years
        if self.start is None or years is None:
            return None
        return self.start + relativedelta(years=years)

    @property
    def recruit_met(self) -> bool | None:
        met_on = self.recruit_met_on
        return None if met_on is None else self.on >= met_on

    @property
    def move_allowed_on(self) -> datetime.date | None:
        """The first day a move out of the township is allowed without a head's approval."""
        years = self.move_min_years
        if self.start is None or not years:
            return None
        return self.start + relativedelta(years=years)

    @property
    def move_allowed(self) -> bool:
        allowed_on = self.move_allowed_on
        return not self.in_township or allowed_on is None or self.on >= allowed_on

    def move_problem(self, kind: str = MoveKind.TRANSFER) -> str | None:
        """Why a move out of the township is refused on ``on``, or None."""
        if self.move_allowed:
            return None
        return f"到乡镇工作 {self.span}，未满 {self.move_min_years} 年，不得调出或借调"


def _service(cadre, on: datetime.date, township: Unit | None, policy: KindPolicy) -> TownshipService:
    start = cadre.township_service_start
    rule = policy.params(township.path) if township is not None else None
    years = months = 0
    if start is not None and on >= start:
        served = relativedelta(on, start)
        years, months = served.years, served.months
    is_recruit = False
    if start is not None and rule and cadre.work_start_date:
        is_recruit = start <= cadre.work_start_date + relativedelta(
            months=rule.get("recruit_window_months") or 0
        )
    base = TownshipService(
        cadre_id=cadre.pk,
        on=on,
        start=start,
        township_id=township.pk if township else None,
        township_name=township.name if township else "",
        township_path=township.path if township else "",
        rule=rule,
        years=years,
        months=months,
        is_recruit=is_recruit,
    )
    base.reasons.extend(_reasons(base, cadre))
    return base


def _reasons(s: TownshipService, cadre) -> list[dict]:
    facts = {
        "到乡镇工作时间": s.start.isoformat() if s.start else None,
        "所在乡镇": s.township_name or None,
        "截至": s.on.isoformat(),
        "乡镇工作年限": s.span if s.start else None,
    }
    if s.start is None:
        return [{"rule": RULE_NAME, "effect": "未登记到乡镇工作时间", "facts": facts}]
    if s.rule is None:
        effect = "不在乡镇，不适用乡镇服务年限规定" if not s.in_township else "本单位未启用基层服务年限规则"
        return [{"rule": RULE_NAME, "effect": effect, "facts": facts}]
    rule = f"{RULE_NAME}：{grassroots_text(s.rule)}"
    out = []
    if s.is_recruit:
        met_on = s.recruit_met_on
        effect = (
            f"新录用人员最低服务年限 {s.recruit_min_years} 年已满（{met_on:%Y-%m-%d}）"
            if s.recruit_met
            else f"新录用人员最低服务年限 {s.recruit_min_years} 年未满，{met_on:%Y-%m-%d} 期满"
        )
        out.append(
            {
                "rule": rule,
                "effect": effect,
                "facts": {**facts, "参加工作时间": cadre.work_start_date.isoformat()},
            }
        )
    if s.move_allowed_on is not None:
        effect = (
            f"可以调出乡镇或借调（已满 {s.move_min_years} 年）"
            if s.move_allowed
            else f"{s.move_problem()}，{s.move_allowed_on:%Y-%m-%d} 起可以"
        )
        out.append({"rule": rule, "effect": effect, "facts": facts})
    return out


def _townships_above(paths: Iterable[str]) -> dict[str, Unit]:
    """The township (the nearest ancestor or self of kind 乡镇) of each unit path given, in one
    query."""
    paths = set(paths)
    step = Unit.steplen
    candidates = {p[:end] for p in paths for end in range(step, len(p) + 1, step)}
    townships = {
        u.path: u
        for u in Unit.objects.filter(path__in=candidates, kind=UnitKind.TOWNSHIP).only("id", "name", "path")
    }
    found = {}
    for path in paths:
        for end in range(len(path), 0, -step):
            if path[:end] in townships:
                found[path] = townships[path[:end]]
                break
    return found


def township_service(cadre, on: datetime.date | None = None) -> TownshipService:
    """One cadre's township service on ``on`` (default today): two queries."""
    return township_service_many([cadre], on)[cadre.pk]


def township_service_many(cadres: Iterable, on: datetime.date | None = None) -> dict[int, TownshipService]:
    """The township service of each cadre (``pk``, ``unit`` with its path, ``township_service_start``,
    ``work_start_date``: select the unit with them) on ``on``: two queries whatever the count."""
    on = on or timezone.localdate()
    cadres = list(cadres)
    townships = _townships_above(c.unit.path for c in cadres)
    policy = KindPolicy(RuleKind.GRASSROOTS)
    return {c.pk: _service(c, on, townships.get(c.unit.path), policy) for c in cadres}


def township_move_check(cadre, new_unit, kind: str, on: datetime.date) -> str | None:
    """``cadres.moves`` check: a cadre serving in a township, with less than the GRASSROOTS
    minimum there, may not be moved (transferred or seconded) out of the township's subtree.
    A move within the township (to one of its villages, say) is not a move out."""
    if cadre.township_service_start is None or on < cadre.township_service_start:
        return None  # not (yet) serving in a township on that day
    service = township_service(cadre, on)
    if not service.in_township:
        return None
    if new_unit is not None and new_unit.path.startswith(service.township_path):
        return None
    problem = service.move_problem(kind)
    return f"{cadre.name}{problem}" if problem else None
