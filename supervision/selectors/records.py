"""Scoped reads of problem clues, personal-matters spot checks and 述职评议 items.

Every function takes the caller, so scope cannot be forgotten. A record belongs to the subtree of
its cadre's current unit (for 述职评议 items: the secretary's unit); objects outside it answer 404.
"""

import datetime

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from cadres.models import Cadre, Unit
from cadres.selectors import scope_q, unit_label

from ..exemptions import decision_id, decision_verdict
from ..models import (
    CheckHandling,
    CheckOutcome,
    ClueStatus,
    MatterType,
    PersonalMattersCheck,
    ProblemClue,
    ReviewItem,
    ReviewItemCheck,
    ReviewItemStatus,
    Sanction,
)

# ---------------------------------------------------------------- problem clues


def sanctions_visible_to(user) -> QuerySet[Sanction]:
    return Sanction.objects.filter(scope_q(user, prefix="cadre__unit__"))


def clues_visible_to(user) -> QuerySet[ProblemClue]:
    return ProblemClue.objects.filter(scope_q(user, prefix="cadre__unit__"))


def clue_get(user, pk) -> ProblemClue:
    try:
        return (
            clues_visible_to(user)
            .select_related("cadre", "cadre__unit", "created_by")
            .annotate(unit_label=unit_label("cadre__unit__"))
            .get(pk=pk)
        )
    except (ProblemClue.DoesNotExist, ValueError, TypeError):
        raise Http404("问题线索不存在或不在您的管辖范围内。") from None


def clue_list(
    user,
    *,
    source: str = "",
    status: str = "",
    unit: Unit | None = None,
    name: str = "",
) -> QuerySet[ProblemClue]:
    qs = (
        clues_visible_to(user)
        .select_related("cadre", "cadre__unit")
        .annotate(unit_label=unit_label("cadre__unit__"))
    )
    if source:
        qs = qs.filter(source=source)
    if status:
        qs = qs.filter(status=status)
    if unit is not None:
        qs = qs.filter(cadre__unit__path__startswith=unit.path)
    if name:
        qs = qs.filter(cadre__name__contains=name.strip())
    return qs.order_by("-received_on", "-id")


def clue_status_counts(user) -> dict[str, int]:
    """Clues in scope by status, in one aggregate query."""
    counts = clues_visible_to(user).aggregate(
        **{s: Count("id", filter=Q(status=s)) for s in ClueStatus.values}
    )
    return {s: counts[s] or 0 for s in ClueStatus.values}


def _pending_clue_exists(cadre_ref) -> Exists:
    return Exists(ProblemClue.objects.filter(cadre=cadre_ref, status=ClueStatus.PENDING))


def cadres_on_hold_ids(user) -> QuerySet:
    """Ids of cadres in scope held from promotion (暂缓使用): any clue still 待核实."""
    return (
        ProblemClue.objects.filter(scope_q(user, prefix="cadre__unit__"), status=ClueStatus.PENDING)
        .order_by()
        .values_list("cadre_id", flat=True)
        .distinct()
    )


def is_on_hold(cadre: Cadre) -> bool:
    return ProblemClue.objects.filter(cadre=cadre, status=ClueStatus.PENDING).exists()


def promotion_candidates(user, cadres: QuerySet[Cadre]) -> QuerySet[Cadre]:
    """``cadres`` restricted to the user's scope, without those held by an unverified clue.

    Every clue counts, whoever registered it: a hold is a fact about the cadre, not about scope.
    """
    return cadres.filter(scope_q(user)).exclude(_pending_clue_exists(OuterRef("pk")))


# ---------------------------------------------------------------- personal-matters spot checks


def checks_visible_to(user) -> QuerySet[PersonalMattersCheck]:
    return PersonalMattersCheck.objects.filter(scope_q(user, prefix="cadre__unit__"))


def check_list(
    user,
    *,
    year: int | None = None,
    outcome: str = "",
    unit: Unit | None = None,
    name: str = "",
) -> QuerySet[PersonalMattersCheck]:
    qs = (
        checks_visible_to(user)
        .select_related("cadre", "cadre__unit", "interview")
        .annotate(unit_label=unit_label("cadre__unit__"))
    )
    if year:
        qs = qs.filter(year=year)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if unit is not None:
        qs = qs.filter(cadre__unit__path__startswith=unit.path)
    if name:
        qs = qs.filter(cadre__name__contains=name.strip())
    return qs.order_by("-year", "-checked_on", "-id")


def check_summary(user, *, year: int | None = None, unit: Unit | None = None) -> list[dict]:
    """Per report year: checked, not truthful, reminded, admonished (one grouped query)."""
    qs = checks_visible_to(user)
    if year:
        qs = qs.filter(year=year)
    if unit is not None:
        qs = qs.filter(cadre__unit__path__startswith=unit.path)
    untruthful = Q(outcome=CheckOutcome.UNTRUTHFUL)
    rows = (
        qs.order_by()
        .values("year")
        .annotate(
            checked=Count("id"),
            untruthful=Count("id", filter=untruthful),
            reminded=Count("id", filter=untruthful & Q(handling=CheckHandling.REMINDER)),
            admonished=Count("id", filter=untruthful & Q(handling=CheckHandling.ADMONISH)),
        )
        .order_by("-year")
    )
    return list(rows)


# ---------------------------------------------------------------- 述职评议 follow-through


def review_items_visible_to(user) -> QuerySet[ReviewItem]:
    return ReviewItem.objects.filter(scope_q(user, prefix="secretary__unit__"))


def review_item_get(user, pk) -> ReviewItem:
    try:
        return review_items_visible_to(user).select_related("secretary", "secretary__unit").get(pk=pk)
    except (ReviewItem.DoesNotExist, ValueError, TypeError):
        raise Http404("述职评议问题不存在或不在您的管辖范围内。") from None


def _with_checks(qs: QuerySet[ReviewItem]) -> QuerySet[ReviewItem]:
    return qs.prefetch_related(
        Prefetch(
            "checks",
            queryset=ReviewItemCheck.objects.select_related("checked_by").order_by("year", "quarter"),
        )
    )


def secretary_items(user, cadre: Cadre, year: int) -> list[ReviewItem]:
    """The secretary's problem list of ``year`` with each item's quarterly checks."""
    qs = review_items_visible_to(user).filter(secretary=cadre, year=year).order_by("id")
    return list(_with_checks(qs))


def open_items_carried_over(user, cadre: Cadre, year: int) -> QuerySet[ReviewItem]:
    """Items of years before ``year`` still open: they are shown in that year's assessment."""
    qs = review_items_visible_to(user).filter(secretary=cadre, year__lt=year, status=ReviewItemStatus.OPEN)
    return _with_checks(qs.order_by("year", "id"))


def review_secretaries(
    user,
    *,
    year: int | None = None,
    unit: Unit | None = None,
    name: str = "",
    open_only: bool = True,
) -> QuerySet:
    """One row per secretary and year: item counts, open, closed and overdue (grouped query)."""
    qs = review_items_visible_to(user)
    if year:
        qs = qs.filter(year=year)
    if unit is not None:
        qs = qs.filter(secretary__unit__path__startswith=unit.path)
    if name:
        qs = qs.filter(secretary__name__contains=name.strip())
    is_open = Q(status=ReviewItemStatus.OPEN)
    today = timezone.localdate()
    rows = (
        qs.order_by()
        .values(
            "secretary_id",
            "year",
            "secretary__name",
            "secretary__post_title",
            "secretary__unit__name",
            "secretary__unit__path",
            # grouped by the unit's id as well, so the label's subqueries may read the unit's columns
            "secretary__unit__id",
            unit_label=unit_label("secretary__unit__"),
        )
        .annotate(
            total=Count("id"),
            open=Count("id", filter=is_open),
            closed=Count("id", filter=Q(status=ReviewItemStatus.CLOSED)),
            overdue=Count("id", filter=is_open & Q(deadline__lt=today)),
        )
    )
    if open_only:
        rows = rows.filter(open__gt=0)
    return rows.order_by("-year", "secretary__unit__path", "secretary__name", "secretary_id")


def current_quarter(today: datetime.date | None = None) -> tuple[int, int]:
    today = today or timezone.localdate()
    return today.year, (today.month - 1) // 3 + 1


# ---------------------------------------------------------------- the cadre profile


def profile_context(user, cadre: Cadre) -> dict:
    """What the cadre profile shows of these records. ``cadre`` must come from ``cadre_get``.

    Six queries: clues, checks (with their interviews), the secretary's items, their checks,
    sanctions.
    """
    today = timezone.localdate()
    clues = list(ProblemClue.objects.filter(cadre=cadre).order_by("-received_on", "-id"))
    pending = [c for c in clues if c.status == ClueStatus.PENDING]
    checks = list(
        PersonalMattersCheck.objects.filter(cadre=cadre).select_related("interview").order_by("-year", "-id")
    )
    items = list(_with_checks(ReviewItem.objects.filter(secretary=cadre).order_by("-year", "id")))
    for item in items:
        item.overdue = (
            item.status == ReviewItemStatus.OPEN and item.deadline is not None and item.deadline < today
        )
        checks_of_item = list(item.checks.all())
        item.last_check = checks_of_item[-1] if checks_of_item else None
    carried_over = [i for i in items if i.status == ReviewItemStatus.OPEN and i.year < today.year]
    years = sorted({i.year for i in items}, reverse=True)
    review_years = [
        {
            "year": y,
            "items": [i for i in items if i.year == y],
            "total": sum(1 for i in items if i.year == y),
            "closed": sum(1 for i in items if i.year == y and i.status == ReviewItemStatus.CLOSED),
        }
        for y in years
    ]
    return {
        "records_cadre": cadre,
        "clues": clues,
        "pending_clues": pending,
        "on_hold": bool(pending),
        "matters_checks": checks,
        "review_items": items,
        "review_years": review_years,
        "carried_over_items": carried_over,
        "sanctions": list(
            Sanction.objects.filter(cadre=cadre)
            .annotate(
                exemption_id=decision_id(MatterType.SANCTION),
                exemption_verdict=decision_verdict(MatterType.SANCTION),
            )
            .order_by("-decided_on", "-id")
        ),
        "this_year": today.year,
        "records_can_edit": user.can("edit_registry"),
        "can_decide": user.can("approve"),
    }
