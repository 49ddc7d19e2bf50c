"""Demo data for ``seed_demo`` of who is not graded, and why: two recruits still on probation at
the end of 2026, a cadre on sick leave for most of 2026 (and one with a short personal leave,
which changes nothing), an investigation still open and one closed without sanction. Written
through the services, so the audit trail and the rules hold as for real data; each change regrades
the open 2026 annual period over the cadre's unit once it commits (the services' signals), and the
grades show 不定等次 / 不参加考核 with their explanations.

Runs after the assessment step (it needs the open 2026 annual period and its rows)."""

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cadres.models import Cadre, CadreStatus, LeaveKind
from cadres.services import cadre_update
from cadres.services_leaves import leave_create

from .models import Investigation, InvestigationOutcome, Sanction
from .services.investigations import investigation_close, investigation_open

# the statuses the demo's assessment rows are made for (assessment.demo.ACTIVE)
ACTIVE = [CadreStatus.ON_POST, CadreStatus.RECALLED, CadreStatus.FRONTLINE, CadreStatus.AWAITING]
PROBATION_ENDS = [datetime.date(2027, 3, 31), datetime.date(2027, 6, 30)]
LONG_SICK = (datetime.date(2026, 1, 12), datetime.date(2026, 8, 20))  # 221 days > half of 2026
SHORT_PERSONAL = (datetime.date(2026, 3, 2), datetime.date(2026, 3, 13))  # 12 days: still graded


def _on_or_before_today(day: datetime.date) -> datetime.date:
    return min(day, timezone.localdate())


@transaction.atomic
def seed_ungraded(*, seed: int = 20261122) -> dict[str, int]:
    """Idempotent: does nothing if any investigation exists."""
    if Investigation.objects.exists():
        return {}
    staff = User.objects.filter(username="zzb_staff").first()
    if staff is None:
        return {}
    # Cadres with no sanction, so the rule shown is the one this step demonstrates; one per
    # township where possible, picked in a fixed order (the same seed gives the same demo).
    sanctioned = Sanction.objects.values("cadre_id")
    pool = Cadre.objects.filter(status__in=ACTIVE).exclude(pk__in=sanctioned).select_related("unit")
    recruits = list(pool.order_by("-work_start_date", "-id")[:2])
    taken = {c.pk for c in recruits}
    others, units = [], set()
    for cadre in pool.exclude(pk__in=taken).order_by("id")[seed % 50 :][:200]:
        if cadre.unit_id not in units:
            others.append(cadre)
            units.add(cadre.unit_id)
        if len(others) == 4:
            break
    if len(recruits) < 2 or len(others) < 4:
        return {}

    for cadre, ends in zip(recruits, PROBATION_ENDS, strict=True):
        cadre_update(
            actor=staff,
            cadre=cadre,
            reason="新录用人员试用期（演示数据）",
            probation_end=max(ends, cadre.work_start_date),
        )
    sick, open_case, cleared, personal = others
    leave_create(
        actor=staff,
        cadre=sick,
        kind=LeaveKind.SICK,
        start_date=LONG_SICK[0],
        end_date=LONG_SICK[1],
        note="住院治疗及康复（演示数据）",
    )
    leave_create(
        actor=staff,
        cadre=personal,
        kind=LeaveKind.PERSONAL,
        start_date=SHORT_PERSONAL[0],
        end_date=SHORT_PERSONAL[1],
        note="家中事务（演示数据）",
    )
    investigation_open(
        actor=staff,
        cadre=open_case,
        opened_on=_on_or_before_today(datetime.date(2026, 9, 15)),
        authority="县纪委监委",
        reason="涉嫌违反廉洁纪律，收受管理服务对象礼金（演示数据）。",
    )
    closed = investigation_open(
        actor=staff,
        cadre=cleared,
        opened_on=_on_or_before_today(datetime.date(2026, 3, 10)),
        authority="县纪委监委",
        reason="群众反映在项目验收中把关不严（演示数据）。",
    )
    investigation_close(
        actor=staff,
        investigation=closed,
        closed_on=_on_or_before_today(datetime.date(2026, 7, 28)),
        outcome=InvestigationOutcome.CLEARED,
    )
    return {"probation": len(recruits), "leave_records": 2, "investigations": 2}
