import datetime

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from cadres.models import Unit
from cadres.selectors import scope_q, unit_label

from ..exemptions import decision_id, decision_verdict, not_tolerated_q, tolerated_citations, tolerated_q
from ..models import CONDUCTED_STATUSES, Interview, InterviewKind, InterviewStatus, MatterType, Reminder


def interviews_visible_to(user) -> QuerySet[Interview]:
    return Interview.objects.filter(scope_q(user))


def interview_get(user, pk) -> Interview:
    try:
        return (
            interviews_visible_to(user)
            .select_related("unit", "cadre", "proposed_by", "approved_by", "reviewed_by")
            .annotate(
                unit_label=unit_label("unit__"),
                exemption_id=decision_id(MatterType.INTERVIEW),
                exemption_verdict=decision_verdict(MatterType.INTERVIEW),
            )
            .prefetch_related("reasons", "attachments")
            .get(pk=pk)
        )
    except (Interview.DoesNotExist, ValueError, TypeError):
        raise Http404("记录不存在或不在您的管辖范围内。") from None


def interview_list(
    user,
    *,
    kind: str = "",
    status: str = "",
    unit: Unit | None = None,
    cadre_id: int | None = None,
    name: str = "",
    overdue: bool = False,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[Interview]:
    qs = (
        interviews_visible_to(user)
        .select_related("unit", "cadre", "proposed_by")
        .annotate(unit_label=unit_label("unit__"))
    )
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if cadre_id:
        qs = qs.filter(cadre_id=cadre_id)
    if name:
        qs = qs.filter(Q(cadre__name__contains=name) | Q(unit__name__contains=name))
    if overdue:
        qs = qs.filter(status=InterviewStatus.CONDUCTED, report_due__lt=timezone.localdate())
    if date_from:
        qs = qs.filter(conducted_on__gte=date_from)
    if date_to:
        qs = qs.filter(conducted_on__lte=date_to)
    return qs.order_by("-proposed_at", "-id")


def todo_for(user) -> dict:
    """The 待办 panel: open reminders of the responsible staff member, and for a head the
    proposals waiting for approval."""
    reminders = (
        Reminder.objects.filter(responsible=user, resolved_at__isnull=True)
        .filter(scope_q(user, prefix="interview__unit__"))
        .select_related("interview__cadre", "interview__unit")
        .annotate(unit_label=unit_label("interview__unit__"))
        .order_by("due_date", "id")
    )
    approvals = Interview.objects.none()
    if user.can("approve"):
        approvals = (
            interviews_visible_to(user)
            .filter(kind=InterviewKind.YUETAN, status=InterviewStatus.PROPOSED)
            .select_related("cadre", "unit")
            .annotate(unit_label=unit_label("unit__"))
            .order_by("proposed_at")
        )
    return {"reminders": reminders, "approvals": approvals}


def reminders_visible_to(user) -> QuerySet[Reminder]:
    return Reminder.objects.filter(scope_q(user, prefix="interview__unit__")).select_related(
        "interview__cadre", "interview__unit", "responsible"
    )


def interviews_held_q() -> Q:
    """Talks that took place: a 约谈 once conducted, the other kinds once recorded (they are
    recorded with the date they were held). The monthly report and the flag rules count these."""
    return Q(conducted_on__isnull=False) & (~Q(kind=InterviewKind.YUETAN) | Q(status__in=CONDUCTED_STATUSES))


def monthly_summary(user, *, year: int, month: int, unit: Unit | None = None) -> dict:
    """Talks held in a month, by unit and kind (for the report to the superior org department).

    One aggregate query. A 约谈 counts once conducted; other kinds by their date."""
    start = datetime.date(year, month, 1)
    end = (start + datetime.timedelta(days=32)).replace(day=1)
    qs = interviews_visible_to(user).filter(conducted_on__gte=start, conducted_on__lt=end)
    qs = qs.filter(interviews_held_q())
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    rows = qs.values(
        "unit_id", "unit__name", "unit__code", "unit__path", "kind", label=unit_label("unit__")
    ).annotate(n=Count("id"))
    by_unit: dict[int, dict] = {}
    for row in rows:
        entry = by_unit.setdefault(
            row["unit_id"],
            {
                "unit": row["label"],
                "code": row["unit__code"],
                "path": row["unit__path"],
                "counts": {},
                "total": 0,
            },
        )
        entry["counts"][row["kind"]] = row["n"]
        entry["total"] += row["n"]
    units = sorted(by_unit.values(), key=lambda e: e["path"])
    totals = {k: sum(u["counts"].get(k, 0) for u in units) for k in InterviewKind.values}
    return {
        "year": year,
        "month": month,
        "kinds": list(InterviewKind.choices),
        "units": units,
        "totals": totals,
        "total": sum(totals.values()),
    }


def yuetan_counts(*, year: int, cadre_ids=None, unit_ids=None) -> dict:
    """Conducted 约谈 in a year with their dates, for the grade caps: {"cadres": {id: [dates]},
    "teams": {unit_id: [dates]}}. One query. A 约谈 decided 可容 (容错纠错, ``Exemption``) does
    not count: the decision lifts the caps it caused (``yuetan_tolerated`` names them)."""
    qs = (
        Interview.objects.filter(
            kind=InterviewKind.YUETAN, status__in=CONDUCTED_STATUSES, conducted_on__year=year
        )
        .filter(not_tolerated_q(MatterType.INTERVIEW))
        .values_list("subject_type", "cadre_id", "unit_id", "conducted_on")
    )
    if cadre_ids is not None or unit_ids is not None:
        qs = qs.filter(Q(cadre_id__in=cadre_ids or []) | Q(subject_type="team", unit_id__in=unit_ids or []))
    cadres: dict[int, list] = {}
    teams: dict[int, list] = {}
    for subject_type, cadre_id, unit_id, day in qs.order_by("conducted_on"):
        if subject_type == "cadre":
            cadres.setdefault(cadre_id, []).append(day)
        else:
            teams.setdefault(unit_id, []).append(day)
    return {"cadres": cadres, "teams": teams}


def yuetan_tolerated(*, year: int) -> dict:
    """The conducted 约谈 of a year decided 可容, for the explanations that would have cited them:
    {"cadres": {id: [(date, citation)]}, "teams": {unit_id: [(date, citation)]}}. One query, and
    one more for the decisions when there are any."""
    rows = list(
        Interview.objects.filter(
            kind=InterviewKind.YUETAN, status__in=CONDUCTED_STATUSES, conducted_on__year=year
        )
        .filter(tolerated_q(MatterType.INTERVIEW))
        .order_by("conducted_on", "id")
        .values_list("pk", "subject_type", "cadre_id", "unit_id", "conducted_on")
    )
    cited = tolerated_citations(MatterType.INTERVIEW, [r[0] for r in rows]) if rows else {}
    cadres: dict[int, list] = {}
    teams: dict[int, list] = {}
    for pk, subject_type, cadre_id, unit_id, day in rows:
        entry = (day, cited.get(pk, ""))
        if subject_type == "cadre":
            cadres.setdefault(cadre_id, []).append(entry)
        else:
            teams.setdefault(unit_id, []).append(entry)
    return {"cadres": cadres, "teams": teams}


def cadre_interviews(user, cadre) -> QuerySet[Interview]:
    """Interviews about the cadre, and about teams the cadre sits on, newest first."""
    team_units = cadre.team_roles.values("unit_id")
    return (
        interviews_visible_to(user)
        .filter(Q(cadre=cadre) | Q(subject_type="team", unit_id__in=team_units))
        .select_related("unit", "cadre")
        .annotate(unit_label=unit_label("unit__"))
        .order_by("-conducted_on", "-proposed_at")
    )
