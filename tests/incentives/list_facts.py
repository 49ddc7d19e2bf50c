"""The record the 三挂钩 lists read, written directly (these tests are about the list rules, not
about how grades, talks, clues or recall cases come about), and how a test reads an entry."""

import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from assessment.models import Assessment, Period, PolicyRule
from cadres.models import PostRecord
from incentives.lists import lists_compute
from incentives.models import BonusBase, Entry
from recall.models import CadreLevel, CaseSource, Cause, Flag, RecallCase, RecallStep, Stage
from supervision.models import (
    ClueSource,
    Exemption,
    ExemptionVerdict,
    Intent,
    Interview,
    InterviewStatus,
    Motive,
    Nature,
    ProblemClue,
    Sanction,
)
from tests.factories import make_period, make_user

TODAY = datetime.date(2026, 6, 15)
YEAR = 2025  # the published annual period the lists are computed for


def day(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value)


def clerk() -> User:
    return User.objects.filter(username="list_clerk").first() or make_user("list_clerk", Role.STAFF, None)


def annual(year: int = YEAR, status: str = "published") -> Period:
    """The annual period of ``year`` (published unless told), made if there is none."""
    found = Period.objects.filter(year=year, quarter__isnull=True).first()
    if found is not None:
        if found.status != status:
            Period.objects.filter(pk=found.pk).update(status=status)
            found.status = status
        return found
    return make_period(year=year, status=status)


def grade(cadre, year: int, final: str, total: str | None = None) -> Assessment:
    """The cadre's final grade of ``year`` (its annual period made published if missing)."""
    period = Period.objects.filter(year=year, quarter__isnull=True).first() or annual(year)
    return Assessment.objects.create(
        period=period,
        cadre=cadre,
        unit=cadre.unit,
        final_grade=final,
        computed_grade=final,
        total_score=Decimal(total) if total is not None else None,
    )


def grades(cadre, by_year: dict[int, str]) -> None:
    for year, final in by_year.items():
        grade(cadre, year, final)


def talk(cadre, kind: str, on: str) -> Interview:
    status = InterviewStatus.CONDUCTED if kind == "yuetan" else InterviewStatus.RECORDED
    return Interview.objects.create(
        kind=kind,
        subject_type="cadre",
        cadre=cadre,
        unit=cadre.unit,
        status=status,
        proposed_by=clerk(),
        conducted_on=day(on),
        record="谈话记录",
    )


def tolerate(
    matter_type: str, matter, on: str = "2026-03-01", verdict=ExemptionVerdict.TOLERABLE
) -> Exemption:
    """A 容错纠错 decision on ``matter``, written directly."""
    return Exemption.objects.create(
        matter_type=matter_type,
        matter_id=matter.pk,
        cadre=matter.cadre,
        unit=matter.cadre.unit,
        intent=Intent.NEGLIGENT,
        motive=Motive.PUBLIC,
        nature=Nature.TRIAL,
        verdict=verdict,
        basis="探索试错、因公、过失",
        decided_by=clerk(),
        decided_on=day(on),
    )


def clue(cadre, status: str = "pending", received: str = "2025-09-01") -> ProblemClue:
    return ProblemClue.objects.create(
        cadre=cadre,
        source=ClueSource.PETITION,
        received_on=day(received),
        summary="群众反映",
        status=status,
        verified_on=None if status == "pending" else day("2025-11-01"),
        created_by=clerk(),
    )


def sanction(cadre, kind: str, on: str) -> Sanction:
    return Sanction.objects.create(
        cadre=cadre, kind=kind, decided_on=day(on), reason="违反工作纪律", created_by=clerk()
    )


def open_flag(cadre, name: str = "预警：年度等次（不称职1年）") -> Flag:
    return Flag.objects.create(
        cadre=cadre,
        unit=cadre.unit,
        rule_key="flag_grade:incompetent",
        rule_name=name,
        anchor="2025",
        facts=[],
        raised_at=timezone.now(),
    )


def post(cadre, kind: str, start: str, end: str | None = None, title: str = "党委书记") -> PostRecord:
    return PostRecord.objects.create(
        cadre=cadre,
        unit=cadre.unit,
        unit_name=cadre.unit.name,
        title=title,
        kind=kind,
        start_date=day(start),
        end_date=day(end) if end else None,
    )


def withheld(cadre, amount: str, *, full: bool = False, on: str = "2025-06-01") -> RecallCase:
    """A recall case whose bonus was withheld on ``on`` (its 扣发绩效奖励 step)."""
    case = RecallCase.objects.create(
        cadre=cadre,
        unit=cadre.unit,
        level=CadreLevel.KE,
        source=CaseSource.SITUATION,
        cause=Cause.LAX,
        reason="工作散慢",
        stage=Stage.PENALIZED,
        proposed_by=clerk(),
        proposed_on=day(on) - datetime.timedelta(days=20),
        bonus_withheld=Decimal(amount),
        bonus_withheld_full=full,
    )
    RecallStep.objects.create(
        case=case, step="penalize", label="扣发绩效奖励", actor=clerk(), at=timezone.now(), on=day(on)
    )
    return case


def base(unit, amount: str, year: int = YEAR) -> BonusBase:
    return BonusBase.objects.create(period=annual(year), unit=unit, amount=Decimal(amount), set_by=clerk())


def unit_rule(unit, kind: str, key: str = "", **params) -> PolicyRule:
    """The default (kind, key) overridden for ``unit``'s subtree with ``params`` changed."""
    default = PolicyRule.objects.get(unit=None, kind=kind, key=key)
    return PolicyRule.objects.create(unit=unit, kind=kind, key=key, params={**default.params, **params})


def default_rule(kind: str, key: str = "", **params) -> PolicyRule:
    rule = PolicyRule.objects.get(unit=None, kind=kind, key=key)
    rule.params = {**rule.params, **params}
    rule.save()
    return rule


def compute(year: int = YEAR, **kwargs) -> dict:
    return lists_compute(period=annual(year), **kwargs)


def entry(cadre, kind: str, year: int = YEAR) -> Entry | None:
    return Entry.objects.filter(
        period__year=year, period__quarter__isnull=True, cadre=cadre, kind=kind
    ).first()


def effects(found: Entry) -> list[str]:
    return [r["effect"] for r in found.reasons]


def rules_of(found: Entry) -> list[str]:
    return [r["rule"] for r in found.reasons]
