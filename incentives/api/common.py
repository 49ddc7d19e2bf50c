"""What the incentives/ lists, bonus-bases/ and team-pools/ endpoints share: the permission,
query-parameter parsing and the mapping of a service's PermissionDenied to a 403 saying why (a
ValidationError reaches core.api's handler as a 400 with ``fields``)."""

from __future__ import annotations

from django.http import Http404
from rest_framework.exceptions import NotFound, ValidationError

from assessment.models import Period
from cadres import selectors as cadre_selectors
from core.api import bool_param, call_service, choice_param, int_param, read_or_capability  # noqa: F401 (used by the endpoints)

IncentivesPermission = read_or_capability(
    "manage_incentives", "您的角色只能查阅激励名单、奖金基数和团队奖金池，不能办理。"
)


def unit_filter(user, params):
    """``?unit=``: the unit in scope, False for one outside (an empty answer), None if absent."""
    if not params.get("unit"):
        return None
    unit = cadre_selectors.units_visible_to(user).filter(pk=int_param(params["unit"], "unit")).first()
    return unit if unit is not None else False


def period_of(value, field: str = "period") -> Period:
    """An assessment period by id (periods are not scoped: every user's are the same)."""
    period = Period.objects.filter(pk=int_param(value, field)).first()
    if period is None:
        raise ValidationError({field: "考核期不存在。"})
    return period


def unit_in_scope(user, value):
    """The unit named in a request body; one outside the caller's subtree is a 404."""
    try:
        return cadre_selectors.unit_get(user, int_param(value, "unit"))
    except Http404:
        raise NotFound("单位不存在或不在您的管辖范围内。") from None


def cadre_in_scope(user, value):
    """The cadre named in a request body; one outside the caller's subtree is a 404."""
    try:
        return cadre_selectors.cadre_get(user, int_param(value, "cadre"))
    except Http404:
        raise NotFound("干部不存在或不在您的管辖范围内。") from None
