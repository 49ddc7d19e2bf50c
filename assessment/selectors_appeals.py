"""Reads of 复核申诉, always through the caller: an appeal is seen by whoever sees the result it
is about (the unit the cadre was assessed in)."""

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404

from cadres.selectors import scope_q, unit_label

from .models import Appeal, AppealAttachment, AppealStatus


def appeals_visible_to(user) -> QuerySet[Appeal]:
    return Appeal.objects.filter(scope_q(user, prefix="assessment__unit__"))


def appeal_list(user, *, period=None, status: str = "", unit=None, name: str = "", assessment=None):
    """The appeals in the user's subtree, pending ones first, then the newest filed."""
    qs = appeals_visible_to(user)
    if period is not None:
        qs = qs.filter(assessment__period=period)
    if status:
        qs = qs.filter(status=status)
    if unit is not None:
        qs = qs.filter(assessment__unit__path__startswith=unit.path)
    if name:
        qs = qs.filter(assessment__cadre__name__contains=name)
    if assessment is not None:
        qs = qs.filter(assessment_id=assessment)
    return (
        qs.select_related("assessment__period", "assessment__cadre", "assessment__unit", "decided_by")
        .annotate(
            unit_label=unit_label("assessment__unit__"),
            pending_first=Case(
                When(status=AppealStatus.PENDING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .order_by("pending_first", "-filed_on", "-id")
    )


def appeal_get(user, pk) -> Appeal:
    try:
        return (
            appeals_visible_to(user)
            .select_related(
                "assessment__period", "assessment__cadre", "assessment__unit", "recorded_by", "decided_by"
            )
            .annotate(unit_label=unit_label("assessment__unit__"))
            .get(pk=pk)
        )
    except (Appeal.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("复核申诉不存在或不在您的管辖范围内。") from None


def attachments_visible_to(user) -> QuerySet[AppealAttachment]:
    return AppealAttachment.objects.filter(scope_q(user, prefix="appeal__assessment__unit__"))


def cadre_appeals(user, cadre) -> list[Appeal]:
    """The cadre's appeals in every period, newest first, for the profile. One query."""
    return list(
        appeals_visible_to(user)
        .filter(assessment__cadre=cadre)
        .select_related("assessment__period")
        .order_by("-filed_on", "-id")
    )


def pending_for(user) -> QuerySet[Appeal]:
    """Appeals waiting for a decision in the user's subtree, oldest first (a head's 待办)."""
    return (
        appeals_visible_to(user)
        .filter(status=AppealStatus.PENDING)
        .select_related("assessment__period", "assessment__cadre")
        .annotate(unit_label=unit_label("assessment__unit__"))
        .order_by("filed_on", "id")
    )
