"""What the lists read, loaded once per computation: one query per table, grouped by cadre here.

Everything is read as plain tuples (``values_list``; on PostgreSQL through ``core.bulk.plain_rows``,
whose dates and decimals are already Python values), never a query per cadre.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

from assessment.models import Assessment, Grade, Period, PeriodStatus
from assessment.services.recompute import SANCTION_LOOKBACK_YEARS
from cadres.models import PostKind, PostRecord, Unit, UnitKind
from core.bulk import pick, plain_rows
from recall.models import Flag, FlagStatus, RecallStep
from supervision.exemptions import citation, decisions_for
from supervision.models import ClueStatus, Interview, MatterType, ProblemClue, Sanction, SubjectType
from supervision.selectors.interviews import interviews_held_q

from ..models import BonusBase

# Annual results the lists read: published, or archived after that.
READ_STATUSES = (PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED)
FRONTLINE_KINDS = (PostKind.TOWNSHIP_FRONTLINE, PostKind.PROJECT_FRONTLINE)
# 基层一线经历 of the 80后 比选: front-line posts, 第一书记 and township 党政正职
GRASSROOTS_KINDS = (*FRONTLINE_KINDS, PostKind.FIRST_SECRETARY, PostKind.TOWNSHIP_PRINCIPAL)
# Two township 党政正职 posts this close are one unbroken run (a transfer takes some days).
PRINCIPAL_GAP_DAYS = 31


def rows(qs) -> list[tuple]:
    """A ``values_list`` queryset's rows; on PostgreSQL without Django's per-row converters (the
    driver's dates and decimals are already what we want), elsewhere through them."""
    if connection.vendor == "postgresql":
        return plain_rows(qs)
    return list(qs)


@dataclass(slots=True)
class Assessed:
    """A cadre graded in the period, as every list sees it."""

    cadre_id: int
    unit_id: int
    unit_path: str
    grade: str
    total: Decimal | None
    birth: datetime.date
    rank: str
    rank_start: datetime.date | None
    identity: str
    status: str
    township_start: datetime.date | None = None  # 到乡镇工作时间


@dataclass
class Facts:
    period: Period
    start: datetime.date
    end: datetime.date
    unit_path: str  # "" for the whole period
    cadre_ids: set[int] | None = None  # only these cadres' entries (None: everyone in the subtree)
    assessed: list[Assessed] = field(default_factory=list)
    unit_paths: dict[int, str] = field(default_factory=dict)
    unit_names: dict[int, str] = field(default_factory=dict)
    path_units: dict[str, int] = field(default_factory=dict)
    township_paths: set[str] = field(default_factory=set)  # the paths of 乡镇 units
    # earlier published annual results: cadre -> {year: grade} (only the grades rules look at)
    grades: dict[int, dict[int, str]] = field(default_factory=dict)
    published_years: set[int] = field(default_factory=set)
    # cadre -> [(interview id, kind, date)] held in the year
    talks: dict[int, list[tuple[int, str, datetime.date]]] = field(default_factory=dict)
    # cadre -> [(clue id, source, received_on)] not yet verified
    clues: dict[int, list[tuple[int, str, datetime.date]]] = field(default_factory=dict)
    # cadre -> [(sanction id, kind, decided_on)]
    sanctions: dict[int, list[tuple[int, str, datetime.date]]] = field(default_factory=dict)
    # cadre -> [(flag id, rule name, raised day)] open
    flags: dict[int, list[tuple[int, str, datetime.date]]] = field(default_factory=dict)
    # cadre -> [(case id, amount, in full, day)] bonus withheld in the year
    withheld: dict[int, list[tuple[int, Decimal, bool, datetime.date]]] = field(default_factory=dict)
    # unit -> the bonus base it set for the period
    bases: dict[int, Decimal] = field(default_factory=dict)
    # cadre -> [(kind, start, end or None)] of the posts of a kind other than regular
    posts: dict[int, list[tuple[str, datetime.date, datetime.date | None]]] = field(default_factory=dict)
    principals: set[int] = field(default_factory=set)  # cadres with a township 党政正职 post
    # (matter type, id) -> the citation of its 可容 decision
    tolerated: dict[tuple[str, int], str] = field(default_factory=dict)

    def grade_in(self, cadre_id: int, year: int, this: str) -> str:
        """The cadre's final grade of ``year`` ("" when not graded, or that year not published);
        ``this`` is the grade of the period's own year."""
        if year == self.period.year:
            return this
        return self.grades.get(cadre_id, {}).get(year, "")

    def excellent_run(self, cadre_id: int, this: str) -> list[int]:
        """The years, latest first, of the run of 优秀 ending with the period's year."""
        years = []
        year = self.period.year
        while self.grade_in(cadre_id, year, this) == Grade.EXCELLENT:
            years.append(year)
            year -= 1
        return years

    def citation(self, matter_type: str, pk: int) -> str | None:
        return self.tolerated.get((matter_type, pk))


def load(period: Period, unit: Unit | None, *, needed_grades: set[str], cadre_ids=None) -> Facts:
    """The facts of the cadres graded in ``period`` in ``unit``'s subtree (None: everywhere),
    and of only ``cadre_ids`` among them when given."""
    start, end = datetime.date(period.year, 1, 1), datetime.date(period.year, 12, 31)
    unit_path = unit.path if unit is not None else ""
    only = None if cadre_ids is None else set(cadre_ids)
    facts = Facts(period=period, start=start, end=end, unit_path=unit_path, cadre_ids=only)

    for pk, path, name, kind in Unit.objects.values_list("id", "path", "name", "kind"):
        facts.unit_paths[pk] = path
        facts.unit_names[pk] = name
        facts.path_units[path] = pk
        if kind == UnitKind.TOWNSHIP:
            facts.township_paths.add(path)

    # in the registry's order: the entries are then written in the order of their indexes
    qs = Assessment.objects.filter(period=period).exclude(final_grade="").order_by("cadre_id")
    if unit_path:
        qs = qs.filter(unit__path__startswith=unit_path)
    if only is not None:
        qs = pick(qs, "cadre_id", only)
    paths = facts.unit_paths
    for cadre_id, unit_id, grade, total, birth, rank, rank_start, identity, status, township in rows(
        qs.values_list(
            "cadre_id",
            "unit_id",
            "final_grade",
            "total_score",
            "cadre__birth_date",
            "cadre__rank",
            "cadre__rank_start_date",
            "cadre__identity",
            "cadre__status",
            "cadre__township_service_start",
        )
    ):
        if only is None or cadre_id in only:
            facts.assessed.append(
                Assessed(
                    cadre_id,
                    unit_id,
                    paths[unit_id],
                    grade,
                    total,
                    birth,
                    rank,
                    rank_start,
                    identity,
                    status,
                    township,
                )
            )
    ids = {a.cadre_id for a in facts.assessed}

    def narrowed(qs, field="cadre_id"):
        # the whole period reads whole tables; a subtree or some cadres only their cadres' rows
        return pick(qs, field, ids) if unit_path or only is not None else qs

    facts.published_years = set(
        Period.objects.filter(
            quarter__isnull=True, status__in=READ_STATUSES, year__lt=period.year
        ).values_list("year", flat=True)
    )
    if needed_grades and facts.published_years:
        earlier = Assessment.objects.filter(
            period__quarter__isnull=True,
            period__status__in=READ_STATUSES,
            period__year__lt=period.year,
            final_grade__in=sorted(needed_grades),
        )
        grades = facts.grades
        for cadre_id, year, grade in rows(
            narrowed(earlier).values_list("cadre_id", "period__year", "final_grade")
        ):
            if cadre_id in ids:
                grades.setdefault(cadre_id, {})[year] = grade

    talks = Interview.objects.filter(
        interviews_held_q(), subject_type=SubjectType.CADRE, conducted_on__gte=start, conducted_on__lte=end
    ).order_by("conducted_on", "id")
    for pk, cadre_id, kind, day in rows(
        narrowed(talks).values_list("id", "cadre_id", "kind", "conducted_on")
    ):
        if cadre_id in ids:
            facts.talks.setdefault(cadre_id, []).append((pk, kind, day))

    clues = ProblemClue.objects.filter(status=ClueStatus.PENDING).order_by("received_on", "id")
    for pk, cadre_id, source, day in rows(
        narrowed(clues).values_list("id", "cadre_id", "source", "received_on")
    ):
        if cadre_id in ids:
            facts.clues.setdefault(cadre_id, []).append((pk, source, day))

    sanctions = Sanction.objects.filter(
        decided_on__gte=datetime.date(period.year - SANCTION_LOOKBACK_YEARS, 1, 1), decided_on__lte=end
    ).order_by("decided_on", "id")
    for pk, cadre_id, kind, day in rows(
        narrowed(sanctions).values_list("id", "cadre_id", "kind", "decided_on")
    ):
        if cadre_id in ids:
            facts.sanctions.setdefault(cadre_id, []).append((pk, kind, day))

    flags = Flag.objects.filter(status=FlagStatus.OPEN).order_by("raised_at", "id")
    for pk, cadre_id, name, raised in rows(
        narrowed(flags).values_list("id", "cadre_id", "rule_name", "raised_at")
    ):
        if cadre_id in ids:
            day = raised.date() if isinstance(raised, datetime.datetime) else raised
            facts.flags.setdefault(cadre_id, []).append((pk, name, day))

    # 召回 cases whose bonus was withheld (the 扣发绩效奖励 step) in the period's year
    seen_cases: set[int] = set()
    penalties = RecallStep.objects.filter(step="penalize", on__gte=start, on__lte=end).order_by("on", "id")
    for case_id, cadre_id, amount, full, day in rows(
        narrowed(penalties, "case__cadre_id").values_list(
            "case_id", "case__cadre_id", "case__bonus_withheld", "case__bonus_withheld_full", "on"
        )
    ):
        if cadre_id in ids and case_id not in seen_cases:
            seen_cases.add(case_id)
            facts.withheld.setdefault(cadre_id, []).append((case_id, Decimal(amount or 0), bool(full), day))

    for unit_id, amount in BonusBase.objects.filter(period=period).values_list("unit_id", "amount"):
        facts.bases[unit_id] = amount

    posts = PostRecord.objects.filter(kind__in=GRASSROOTS_KINDS, start_date__lte=end).order_by(
        "start_date", "id"
    )
    for cadre_id, kind, first, last in rows(
        narrowed(posts).values_list("cadre_id", "kind", "start_date", "end_date")
    ):
        if cadre_id in ids:
            facts.posts.setdefault(cadre_id, []).append((kind, first, last))
            if kind == PostKind.TOWNSHIP_PRINCIPAL:
                facts.principals.add(cadre_id)

    # 容错纠错: the 可容 decisions on the matters read above (one query per kind of matter)
    matters = {
        MatterType.INTERVIEW: [pk for talks in facts.talks.values() for pk, _, _ in talks],
        MatterType.SANCTION: [pk for found in facts.sanctions.values() for pk, _, _ in found],
        MatterType.FLAG: [pk for found in facts.flags.values() for pk, _, _ in found],
        MatterType.RECALL_CASE: [pk for found in facts.withheld.values() for pk, _, _, _ in found],
    }
    for matter_type, pks in matters.items():
        if pks:
            for pk, decision in decisions_for(matter_type, pks).items():
                if decision.tolerable:
                    facts.tolerated[(str(matter_type), pk)] = citation(decision)
    return facts


def months_between(first: datetime.date, last: datetime.date) -> int:
    """Whole months from ``first`` to ``last`` (the day after the last day held)."""
    if last <= first:
        return 0
    months = (last.year - first.year) * 12 + last.month - first.month
    if last.day < first.day:
        months -= 1
    return max(months, 0)


def township_months(a: Assessed, township_paths: set[str], as_of: datetime.date) -> int:
    """Whole months of township service (到乡镇工作时间 up to ``as_of``) of a cadre whose unit is a
    township or below one; 0 for anyone else (the date then tells of a township left behind,
    whose service the post history gives)."""
    if a.township_start is None or a.township_start > as_of:
        return 0
    step = Unit.steplen
    if not any(a.unit_path[:end] in township_paths for end in range(step, len(a.unit_path) + 1, step)):
        return 0
    return months_between(a.township_start, as_of + datetime.timedelta(days=1))


def experience_months(posts, kinds, as_of: datetime.date) -> int:
    """Whole months held in posts of ``kinds`` up to ``as_of`` (inclusive), post by post."""
    total = 0
    after = as_of + datetime.timedelta(days=1)
    for kind, first, last in posts:
        if kind in kinds and first <= as_of:
            total += months_between(first, min(after, (last + datetime.timedelta(days=1)) if last else after))
    return total


def principal_run(posts, as_of: datetime.date) -> tuple[datetime.date, datetime.date] | None:
    """The unbroken run of township 党政正职 posts held on ``as_of``: (first day, last day held up to
    ``as_of``), or None when the cadre is not a township 党政正职 on that day."""
    held = sorted((first, last) for kind, first, last in posts if kind == PostKind.TOWNSHIP_PRINCIPAL)
    run: tuple[datetime.date, datetime.date | None] | None = None
    for first, last in held:
        if first > as_of:
            break
        if run is not None and (
            run[1] is None or first <= run[1] + datetime.timedelta(days=PRINCIPAL_GAP_DAYS)
        ):
            end = None if run[1] is None or last is None else max(run[1], last)
            run = (run[0], end)
        else:
            run = (first, last)
    if run is None or (run[1] is not None and run[1] < as_of):
        return None
    return run[0], as_of


def full_years(first: datetime.date, last: datetime.date) -> int:
    """Whole years from ``first`` up to and including ``last``: 2017-01-01 … 2024-12-31 is 8."""
    return months_between(first, last + datetime.timedelta(days=1)) // 12
