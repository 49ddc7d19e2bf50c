"""Demo 容错纠错 decisions for ``seed_demo`` (after supervision, assessment and recall): a 约谈
decided 可容 (its cap on the 2026 grade lifts, the explanation cites the decision), one decided
不容, a "不适宜担任现职" flag decided 可容 (it closes) and a recall cause decided 不容. The
assessment demo already decided a demotion 可容. Every decision goes through the service, so
grades and flags follow as they would for a head at work."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from recall.models import Flag, FlagStatus, RecallCase
from supervision.models import (
    CONDUCTED_STATUSES,
    Exemption,
    ExemptionVerdict,
    Intent,
    Interview,
    InterviewKind,
    MatterType,
    Motive,
    Nature,
    SubjectType,
)
from supervision.services.exemptions import exemption_decide


def _after(day: datetime.date, days: int) -> datetime.date:
    return min(day + datetime.timedelta(days=days), timezone.localdate())


@transaction.atomic
def seed_exemptions(*, seed: int = 20261122) -> dict[str, int]:
    """Idempotent: does nothing once a talk or a flag has a decision."""
    if Exemption.objects.filter(matter_type__in=[MatterType.INTERVIEW, MatterType.FLAG]).exists():
        return {}
    head = User.objects.get(username="zzb_head")
    today = timezone.localdate()
    talks = list(
        Interview.objects.filter(
            kind=InterviewKind.YUETAN,
            subject_type=SubjectType.CADRE,
            status__in=CONDUCTED_STATUSES,
            conducted_on__year=today.year,
        ).order_by("conducted_on", "id")[:2]
    )
    decided = 0
    if talks:
        exemption_decide(
            actor=head,
            matter_type=MatterType.INTERVIEW,
            matter_id=talks[0].pk,
            intent=Intent.NEGLIGENT,
            motive=Motive.PUBLIC,
            nature=Nature.TRIAL,
            verdict=ExemptionVerdict.TOLERABLE,
            basis="约谈所涉问题系推进土地整治项目中先行先试、程序衔接不到位所致，未谋取私利，已主动整改；"
            "按“三个区分开来”认定为可容，不因此限制年度考核等次。",
            decided_on=_after(talks[0].conducted_on, 20),
        )
        decided += 1
    if len(talks) > 1:
        exemption_decide(
            actor=head,
            matter_type=MatterType.INTERVIEW,
            matter_id=talks[1].pk,
            intent=Intent.NEGLIGENT,
            motive=Motive.PUBLIC,
            nature=Nature.VIOLATION,
            verdict=ExemptionVerdict.INTOLERABLE,
            basis="约谈所涉问题属明知有关规定而未执行的违规行为，不属于探索性失误，认定为不容。",
            decided_on=_after(talks[1].conducted_on, 25),
        )
        decided += 1
    flag = Flag.objects.filter(status=FlagStatus.OPEN).order_by("raised_at", "id").first()
    if flag is not None:
        exemption_decide(
            actor=head,
            matter_type=MatterType.FLAG,
            matter_id=flag.pk,
            intent=Intent.NEGLIGENT,
            motive=Motive.PUBLIC,
            nature=Nature.TRIAL,
            verdict=ExemptionVerdict.TOLERABLE,
            basis="经核实，触发预警的考核结果源于承担改革试点任务期间的探索性失误，已查明原因并整改，认定为可容，预警予以关闭。",
            decided_on=today,
        )
        decided += 1
    case = RecallCase.objects.filter(approved_on__isnull=False).order_by("proposed_on", "id").first()
    if case is not None:
        exemption_decide(
            actor=head,
            matter_type=MatterType.RECALL_CASE,
            matter_id=case.pk,
            intent=Intent.DELIBERATE,
            motive=Motive.PRIVATE,
            nature=Nature.VIOLATION,
            verdict=ExemptionVerdict.INTOLERABLE,
            basis="召回事由属工作作风问题，经谈话核实系主观懈怠所致，不属于容错情形，认定为不容。",
            decided_on=_after(case.proposed_on, 10),
        )
        decided += 1
    return {"exemptions": decided}
