"""What every recall endpoint shares: the permission, query-parameter parsing, the mapping of a
service's errors (StepError 409 ``step_out_of_order``, PermissionDenied 403 with its reason; a
ValidationError reaches core.api's handler as a 400 with ``fields``), ID numbers masked for the roles
that may not see them, and the facts field."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import permissions, serializers
from rest_framework.exceptions import PermissionDenied, ValidationError

from audit.services import audit_view
from cadres import selectors as cadre_selectors
from core.api import Conflict, choice_param, int_param  # noqa: F401 (the endpoints import them from here)

from ..errors import StepError
from ..models import Situation


class RecallPermission(permissions.BasePermission):
    """Every signed-in role reads (within scope); writes need ``manage_recall``. The services
    check the exact capability of each step again (approving takes ``approve``)."""

    message = "您的角色无权办理干部召回。"

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in permissions.SAFE_METHODS or user.can("manage_recall")


def unit_filter(user, params):
    """The ``?unit=`` filter: the unit in scope, or False for a unit outside (an empty list)."""
    if not params.get("unit"):
        return None
    unit = cadre_selectors.units_visible_to(user).filter(pk=int_param(params["unit"], "unit")).first()
    return unit if unit is not None else False


def call_service(service, **kwargs):
    """Run one service: its StepError is a 409 ``step_out_of_order``, its PermissionDenied a 403
    saying why; its ValidationError reaches core.api's handler as a 400 with ``fields``."""
    try:
        return service(**kwargs)
    except StepError as exc:
        raise Conflict(str(exc), code="step_out_of_order") from None
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc) or None) from None


def cadre_in_scope(user, pk):
    cadre = cadre_selectors.cadres_visible_to(user).select_related("unit").filter(pk=pk).first()
    if cadre is None:
        raise ValidationError({"cadre": "干部不存在或不在您的管辖范围内。"})
    return cadre


def situation_by_code_or_id(value, field: str = "situation") -> Situation:
    """A situation of the catalogue by its code (C01) or its id."""
    text = str(value).strip()
    found = None
    if text:
        found = Situation.objects.filter(code=text).first()
        if found is None and text.isascii() and text.isdigit() and len(text) < 10:
            found = Situation.objects.filter(pk=int(text)).first()
    if found is None:
        raise ValidationError({field: f"惰政情形“{text}”不存在（可填编号如 C01，或 id）。"})
    return found


class FullIdNumbers:
    """Roles that may see full ID numbers get them, and the view is on the record (who, when,
    which cadres); the others get the masked number, as in ``cadres/``."""

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user
        context["full_id_numbers"] = bool(user and user.is_authenticated and user.can("view_id_number"))
        return context

    def record_view(self, objects, where: str) -> None:
        if self.get_serializer_context()["full_id_numbers"]:
            seen = {o.cadre_id: o.cadre.name for o in objects}
            audit_view(actor=self.request.user, cadres=list(seen.items()), where=where)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        self.record_view(page, f"接口 {self.where}/ 列表")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema_field(OpenApiTypes.STR)
class CadreIdNumberField(serializers.Field):
    """The cadre's ID number: full for roles that may see it, masked (320102********1234) else."""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "cadre")
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("help_text", "干部身份证号；无权查看的角色得到脱敏值，如 320102********1234")
        super().__init__(**kwargs)

    def to_representation(self, cadre):
        full = self.context.get("full_id_numbers", False)
        return cadre.id_number if full else cadre.masked_id_number


def user_name(user) -> str | None:
    return str(user) if user is not None else None


FACTS_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "label": {"type": "string", "description": "事实（如 2025年度考核）"},
            "value": {"description": "取值（如 不称职）"},
            "ref": {
                "type": "object",
                "additionalProperties": True,
                "description": "来源记录，如 {model, id}",
            },
        },
        "additionalProperties": True,
    },
}


@extend_schema_field(FACTS_SCHEMA)
class FactsField(serializers.Field):
    """What a case or a flag rests on: ``[{label, value, ref?}]``. On input, label and value
    are required text; a client cannot point at records (``ref``)."""

    MAX = 50

    def to_representation(self, value):
        return value or []

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise ValidationError('应为列表：[{"label": 事实, "value": 取值}]。')
        if len(data) > self.MAX:
            raise ValidationError(f"事实依据最多 {self.MAX} 条。")
        facts = []
        for number, item in enumerate(data, start=1):
            if not isinstance(item, dict):
                raise ValidationError(f"第 {number} 条应为对象 {{label, value}}。")
            label, value = item.get("label"), item.get("value")
            if not isinstance(label, str) or not label.strip() or not isinstance(value, str | int | float):
                raise ValidationError(f"第 {number} 条须有文字 label 和 value。")
            value = str(value).strip()
            if len(label) > 200 or len(value) > 500 or "\x00" in label + value:
                raise ValidationError(f"第 {number} 条过长或含有不允许的字符。")
            facts.append({"label": label.strip(), "value": value})
        return facts


def text_field(**kwargs):
    return serializers.CharField(required=False, allow_blank=True, **kwargs)


def date_field(help_text: str):
    return serializers.DateField(required=False, allow_null=True, help_text=help_text)
