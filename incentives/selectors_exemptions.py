"""What a 容错纠错 decision changed, read where it shows: the grade explanations that cite it (the
caps it lifted), the flags it closed, and the published results it could not change by itself.

Decisions and matters are read through ``supervision.selectors.exemptions`` (scoped); this module
looks at the apps above supervision (assessment, recall), which supervision may not import."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import reverse

from assessment.models import Assessment, Period, PeriodStatus, TeamAssessment
from cadres.models import TeamMembership
from recall.models import Flag, FlagStatus
from supervision.models import Exemption, ExemptionVerdict, MatterType
from supervision.selectors.exemptions import Matter

CITED = re.compile(r"认定编号 ([\d、]+)）")
PUBLISHED = (PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED)
# Matters whose decision bears on annual grades (a 约谈's year, a sanction's influence period).
GRADED = (MatterType.INTERVIEW, MatterType.SANCTION)


@dataclass
class Effect:
    where: str  # 2026年度考核 · 张三 / 预警：…
    text: str  # the explanation line or the closing reason that cites the decision
    url: str = ""


def cites(text: str, exemption_id: int) -> bool:
    """Whether an explanation or a closing reason cites this decision (by its number)."""
    return any(str(exemption_id) in m.group(1).split("、") for m in CITED.finditer(text or ""))


def _lines(explanation, exemption_id: int) -> list[str]:
    return [
        f"{e.get('rule', '')}：{e.get('facts', '')}"
        for e in explanation or []
        if isinstance(e, dict) and cites(str(e.get("facts", "")), exemption_id)
    ]


def _annual_periods(matter: Matter):
    periods = Period.objects.filter(quarter__isnull=True)
    if matter.matter_type == MatterType.INTERVIEW:
        return periods.filter(year=matter.year)
    return periods.filter(year__gte=matter.year)


def grade_effects(exemption: Exemption, matter: Matter) -> list[Effect]:
    """The annual grades whose explanation cites the decision (a cap lifted, named as such)."""
    if matter.matter_type not in GRADED:
        return []
    periods = _annual_periods(matter)
    found: list[Effect] = []
    cadre_ids = [matter.cadre.pk] if matter.cadre is not None else []
    if matter.cadre is None:  # a team's 约谈: the team's grade and its main leader's
        cadre_ids = list(
            TeamMembership.objects.filter(unit=matter.unit, is_main_leader=True).values_list(
                "cadre_id", flat=True
            )
        )
        for team in TeamAssessment.objects.filter(unit=matter.unit, period__in=periods).select_related(
            "period"
        ):
            for line in _lines(team.explanation, exemption.pk):
                found.append(Effect(f"{team.period.name} · {matter.unit.name}领导班子", line))
    rows = Assessment.objects.filter(cadre_id__in=cadre_ids, period__in=periods).select_related(
        "period", "cadre"
    )
    for row in rows.order_by("period__year", "id"):
        for line in _lines(row.explanation, exemption.pk):
            found.append(
                Effect(
                    f"{row.period.name} · {row.cadre.name}",
                    line,
                    reverse("assessment:assessment_detail", args=[row.pk]),
                )
            )
    return found


def flag_effects(exemption: Exemption, matter: Matter) -> list[Effect]:
    """The flags closed by the decision (a flag decided 可容, or one a 可容 matter no longer
    fires), each with its closing reason."""
    if matter.cadre is None:
        return []
    flags = Flag.objects.filter(cadre=matter.cadre, status=FlagStatus.CLOSED).order_by("-closed_at", "-id")
    return [
        Effect(f"预警：{flag.rule_name}", flag.close_reason, reverse("recall:flag_detail", args=[flag.pk]))
        for flag in flags
        if cites(flag.close_reason, exemption.pk)
    ]


def published_periods(matter: Matter) -> list[Period]:
    """The published annual periods the matter bears on: their results follow a decision only
    through the correction procedure (已公布的考核结果需经更正程序)."""
    if matter.matter_type not in GRADED:
        return []
    return list(_annual_periods(matter).filter(status__in=PUBLISHED).order_by("year"))


def effects(exemption: Exemption, matter: Matter) -> dict:
    """For the decision's page: what it lifted, and what it could not change by itself."""
    tolerable = exemption.verdict == ExemptionVerdict.TOLERABLE
    return {
        "grades": grade_effects(exemption, matter) if tolerable else [],
        "flags": flag_effects(exemption, matter) if tolerable else [],
        "published": published_periods(matter) if tolerable else [],
    }


def change_message(matter: Matter, verdict: str) -> str:
    """What the user is told after a decision changes: what follows by itself, and what not."""
    parts = []
    if matter.matter_type in GRADED:
        parts.append("进行中的年度考核将重新计算等次")
        published = published_periods(matter)
        if published:
            names = "、".join(p.name for p in published)
            parts.append(f"{names}已公布，已公布的考核结果需经更正程序")
    if matter.cadre is not None:
        if matter.matter_type == MatterType.FLAG and verdict == ExemptionVerdict.TOLERABLE:
            parts.append("该预警将随之关闭")
        else:
            parts.append("该干部的不适宜担任现职预警将重新研判")
    return "；".join(parts) + "。" if parts else ""
