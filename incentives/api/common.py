"""What the incentives/ lists, bonus-bases/ and team-pools/ endpoints share: the permission,
query-parameter parsing and the mapping of a service's PermissionDenied to a 403 saying why (a
ValidationError reaches core.api's handler as a 400 with ``fields``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import permissions
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from assessment.models import Period
from cadres import selectors as cadre_selectors
from core.api_fields import resolve_choice


class IncentivesPermission(permissions.BasePermission):
    """Every signed-in role reads (within scope); writes need ``manage_incentives``."""

    message = "您的角色只能查阅激励名单、奖金基数和团队奖金池，不能办理。"

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in permissions.SAFE_METHODS or user.can("manage_incentives")


def int_param(value, field: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError({field: "应为整数 id。"}) from None
    if not -(2**63) <= number < 2**63:
        raise ValidationError({field: "应为整数 id。"})
    return number


def bool_param(value, field: str) -> bool:
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "是"):
        return True
    if text in ("false", "0", "no", "否"):
        return False
    raise ValidationError({field: "应为 true 或 false。"})


def choice_param(enum, value: str, field: str) -> str:
    code = resolve_choice(enum, value)
    if code is None:
        raise ValidationError({field: f"无效的取值“{value}”。可选值：" + "、".join(enum.labels)})
    return code


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


def call_service(service, **kwargs):
    """Run one service: its PermissionDenied is a 403 saying why; its ValidationError reaches
    core.api's handler as a 400 with ``fields``."""
    try:
        return service(**kwargs)
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc) or None) from None
