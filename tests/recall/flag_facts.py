"""The record the flag rules read, written directly (these tests are about the rules, not about
how grades, talks or recall cases come about)."""

import datetime

from accounts.models import User
from accounts.roles import Role
from assessment.models import Assessment, Period, PolicyRule
from cadres.models import TeamMembership
from recall.models import CadreLevel, CaseSource, Cause, RecallCase, Result, Stage, TrackStanding
from supervision.models import (
    Exemption,
    ExemptionVerdict,
    Intent,
    Interview,
    InterviewStatus,
    MatterType,
    Motive,
    Nature,
)
from tests.factories import make_period, make_user

TODAY = datetime.date(2026, 6, 15)


def day(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value)


def clerk() -> User:
    return User.objects.filter(username="flag_clerk").first() or make_user("flag_clerk", Role.STAFF, None)


def annual(year: int, status: str | None = None) -> Period:
    """The annual period of ``year``, made published if there is none; ``status`` sets it."""
    found = Period.objects.filter(year=year, quarter__isnull=True).first()
    if found is not None:
        if status is not None and found.status != status:
            Period.objects.filter(pk=found.pk).update(status=status)
            found.status = status
        return found
    return make_period(year=year, status=status or "published")


def grade(cadre, year: int, final: str, **extra) -> Assessment:
    return Assessment.objects.create(
        period=annual(year), cadre=cadre, unit=cadre.unit, final_grade=final, computed_grade=final, **extra
    )


def votes(
    cadre, year: int, incompetent: int, total: int, abstain: int = 0, final: str = "称职"
) -> Assessment:
    competent = total - incompetent - abstain
    return grade(
        cadre,
        year,
        final,
        votes_excellent=0,
        votes_competent=competent,
        votes_basic=0,
        votes_incompetent=incompetent,
        votes_abstain=abstain,
    )


def talk(cadre, kind: str, on: str, *, status: str | None = None, exempted: bool = False) -> Interview:
    """A talk about ``cadre``; ``exempted``: decided 可容 by 容错纠错 (``tolerate``)."""
    if status is None:
        status = InterviewStatus.CONDUCTED if kind == "yuetan" else InterviewStatus.RECORDED
    interview = Interview.objects.create(
        kind=kind,
        subject_type="cadre",
        cadre=cadre,
        unit=cadre.unit,
        status=status,
        proposed_by=clerk(),
        conducted_on=day(on) if status in (InterviewStatus.CONDUCTED, InterviewStatus.RECORDED) else None,
        record="谈话记录",
    )
    if exempted:
        tolerate(MatterType.INTERVIEW, interview, on)
    return interview


def tolerate(matter_type: str, matter, on: str, verdict: str = ExemptionVerdict.TOLERABLE) -> Exemption:
    """A 容错纠错 decision on ``matter`` (an Interview, RecallCase or Flag), written directly."""
    return Exemption.objects.create(
        matter_type=matter_type,
        matter_id=matter.pk,
        cadre=matter.cadre,
        unit=matter.unit,
        intent=Intent.NEGLIGENT,
        motive=Motive.PUBLIC,
        nature=Nature.TRIAL,
        verdict=verdict,
        basis="经认定属于可容错情形",
        decided_by=clerk(),
        decided_on=day(on),
    )


def case(cadre, *, stage: str = Stage.CLOSED, proposed_on: str = "2025-01-05", approved_on=None, **extra):
    return RecallCase.objects.create(
        cadre=cadre,
        unit=cadre.unit,
        level=CadreLevel.KE,
        source=CaseSource.SITUATION,
        cause=Cause.LAX,
        reason="工作散慢",
        stage=stage,
        proposed_by=clerk(),
        proposed_on=day(proposed_on),
        approved_on=day(approved_on) if approved_on else None,
        **extra,
    )


def failed_followup(cadre, on: str) -> RecallCase:
    return case(cadre, approved_on=on, followup_result=Result.FAILED, followup_on=day(on))


def standing(cadre, year: int, position: int, of_total: int, track: str = "rural") -> TrackStanding:
    return TrackStanding.objects.create(
        period=annual(year), track=track, cadre=cadre, position=position, of_total=of_total
    )


def main_leader(unit, cadre) -> TeamMembership:
    return TeamMembership.objects.create(unit=unit, cadre=cadre, role_title="党委书记", is_main_leader=True)


def unit_rule(unit, kind: str, key: str, params: dict | None = None, enabled: bool = True) -> PolicyRule:
    default = PolicyRule.objects.get(unit=None, kind=kind, key=key)
    return PolicyRule.objects.create(
        unit=unit, kind=kind, key=key, params=params or default.params, enabled=enabled
    )
