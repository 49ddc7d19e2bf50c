"""Reads of periods and assessments, always through the caller so scoping cannot be forgotten.

Periods are department-wide (every signed-in user sees the list); assessments are scoped by the
unit the cadre was assessed in.
"""

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404

from cadres.selectors import KEY_RANGE, scope_q, unit_label
from core import prepared
from core.rowload import RowLoader

from .models import Assessment, ImportBatch, Period, TeamAssessment


def periods_visible_to(user) -> QuerySet[Period]:
    if not getattr(user, "is_authenticated", False):
        return Period.objects.none()
    return Period.objects.select_related("scheme")


def period_get(user, pk) -> Period:
    try:
        return periods_visible_to(user).get(pk=pk)
    except (Period.DoesNotExist, ValueError, TypeError):
        raise Http404("考核期不存在。") from None


_periods = RowLoader(Period)


def period_visible(user, pk: int) -> Period | None:
    """``periods_visible_to(user).filter(pk=pk).first()`` as plain SQL, without the scheme (read
    on first use): the grade-report API looks the period up on every page, and compiling the
    ORM query cost ten times running it."""
    if not getattr(user, "is_authenticated", False) or pk not in KEY_RANGE:
        return None
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(Period._meta.db_table)
        prepared.execute(cursor, f"SELECT {_periods.select('p')} FROM {table} p WHERE p.id = %s", [pk])
        row = cursor.fetchone()
    return None if row is None else _periods.load(row)


def assessments_visible_to(user) -> QuerySet[Assessment]:
    return Assessment.objects.filter(scope_q(user))


def assessment_get(user, pk) -> Assessment:
    try:
        return (
            assessments_visible_to(user)
            .select_related("period", "cadre", "unit")
            .annotate(unit_label=unit_label("unit__"))
            .get(pk=pk)
        )
    except (Assessment.DoesNotExist, ValueError, TypeError):
        raise Http404("考核结果不存在或不在您的管辖范围内。") from None


def team_assessments_visible_to(user) -> QuerySet[TeamAssessment]:
    return TeamAssessment.objects.filter(scope_q(user))


def cadre_assessments(user, cadre) -> list[Assessment]:
    """The cadre's grades in every period, newest first, for the profile. One query."""
    return list(
        assessments_visible_to(user)
        .filter(cadre=cadre)
        .select_related("period")
        .order_by("-period__year", "period__quarter")
    )


def import_batches_visible_to(user) -> QuerySet[ImportBatch]:
    """Batches about the user's subtree, and the user's own uploads."""
    path = getattr(user, "scope_path", None) if getattr(user, "is_authenticated", False) else None
    if path is None:
        return (
            ImportBatch.objects.filter(uploaded_by=user)
            if user.is_authenticated
            else ImportBatch.objects.none()
        )
    if path == "":
        return ImportBatch.objects.all()
    return ImportBatch.objects.filter(Q(scope_path__startswith=path) | Q(uploaded_by=user))
